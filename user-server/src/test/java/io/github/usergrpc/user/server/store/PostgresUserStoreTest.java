package io.github.usergrpc.user.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.service.store.NewUser;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PostgresUserStoreTest extends JdbcUserStoreContractTest {

  @RegisterExtension
  final PostgresTestDatabase postgres = new PostgresTestDatabase();

  @Override
  JdbcSettings freshDatabase() {
    return postgres.settings();
  }

  @Test
  void open_newDatabase_idsCompareByteWise() throws Exception {
    try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl(), postgres.user(),
            postgres.password());
        PreparedStatement select = connection.prepareStatement("SELECT collation_name"
            + " FROM information_schema.columns WHERE table_schema = ? AND table_name = 'users'"
            + " AND column_name = 'id'")) {
      select.setString(1, postgres.schema());
      try (ResultSet rows = select.executeQuery()) {
        assertThat(rows.next()).isTrue();
        assertThat(rows.getString(1)).isEqualTo("C");
      }
    }
  }

  @Test
  void calls_databaseGoneAfterOpen_throwStoreUnavailable() throws Exception {
    URI database = URI.create(postgres.jdbcUrl().substring("jdbc:".length()));
    try (TcpProxy proxy = TcpProxy.start(database.getHost(), database.getPort() < 0 ? 5432 : database.getPort())) {
      JdbcSettings viaProxy = settings().toBuilder()
          .setJdbcUrl("jdbc:postgresql://127.0.0.1:" + proxy.port() + database.getRawPath() + "?"
              + database.getRawQuery())
          .setConnectionTimeout(Duration.ofMillis(500))
          .build();
      try (JdbcUserStore viaProxyStore = JdbcUserStore.open(viaProxy)) {
        viaProxyStore.create(new NewUser("u1", "a@example.com", "A", "viewer", 1), Optional.empty());

        proxy.close();

        assertThatThrownBy(() -> viaProxyStore.find("u1")).isInstanceOf(StoreUnavailableException.class);
        assertThatThrownBy(() -> viaProxyStore.create(new NewUser("u2", "b@example.com", "B", "viewer", 2),
            Optional.empty())).isInstanceOf(StoreUnavailableException.class);
        assertThatThrownBy(viaProxyStore::ping).isInstanceOf(StoreUnavailableException.class);
        assertThatThrownBy(() -> viaProxyStore.userActivityAfter("u1", 0, 10)).isInstanceOf(StoreUnavailableException.class);
      }
    }
    assertThat(store.find("u1")).isPresent();
  }
}
