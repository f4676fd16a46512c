package io.github.usergrpc.user.client.reliability;

import io.github.usergrpc.user.server.store.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link ServerCrashTest} on PostgreSQL (a fresh schema; skipped without a database unless required). */
class PostgresServerCrashTest extends ServerCrashTest {

  @RegisterExtension
  final PostgresTestDatabase postgres = new PostgresTestDatabase();

  @Override
  List<String> storeArguments() {
    List<String> args = new ArrayList<>(List.of("--store", postgres.jdbcUrl(), "--db-user", postgres.user()));
    if (!postgres.password().isEmpty()) {
      args.addAll(List.of("--db-password", postgres.password()));
    }
    return args;
  }

  @Override
  Connection connect() throws SQLException {
    return connect(postgres.jdbcUrl(), postgres.user(), postgres.password());
  }
}
