package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.server.store.PostgresTestDatabase;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.Driver;

/**
 * A server pointed at a reachable PostgreSQL with a database or a role that does not exist says which, on
 * one line, and exits with 1. Skipped, with the reason, when the test database cannot be reached.
 */
class StartupFailurePostgresTest {

  @RegisterExtension
  static final PostgresTestDatabase postgres = new PostgresTestDatabase();

  @Test
  void unknownDatabase_saysDatabaseDoesNotExist() throws Exception {
    String stderr = runExpectingExit1("--store", "jdbc:postgresql://" + hostAndPort() + "/no_such_database",
        "--db-user", postgres.user(), "--db-password", postgres.password());

    assertThat(reasonLines(stderr)).singleElement().asString().isEqualTo("user-server: cannot start: database"
        + " \"no_such_database\" does not exist at " + hostAndPort() + "; create it (createdb no_such_database)"
        + " or fix the database name in --store");
  }

  @Test
  void unknownRole_saysRoleDoesNotExist() throws Exception {
    String stderr = runExpectingExit1("--store", postgres.jdbcUrl(), "--db-user", "nosuchuser");

    assertThat(reasonLines(stderr)).singleElement().asString().isEqualTo("user-server: cannot start: role"
        + " \"nosuchuser\" does not exist at " + hostAndPort() + "; create it (createuser nosuchuser) or fix"
        + " --db-user");
  }

  private static String hostAndPort() {
    Properties url = Driver.parseURL(postgres.jdbcUrl(), null);
    return url.getProperty("PGHOST") + ":" + url.getProperty("PGPORT");
  }

  private static List<String> reasonLines(String stderr) {
    assertThat(stderr).doesNotContainPattern("(?m)^\\s+at ");
    return stderr.lines().filter(line -> line.startsWith("user-server: cannot start: ")).toList();
  }

  private static String runExpectingExit1(String... storeArgs) throws Exception {
    String[] args = new String[storeArgs.length + 2];
    args[0] = "--port";
    args[1] = "0";
    System.arraycopy(storeArgs, 0, args, 2, storeArgs.length);
    Process process = ServerProcess.launch(args);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("exited").isTrue();
    String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.exitValue()).as(stderr).isEqualTo(1);
    return stderr;
  }
}
