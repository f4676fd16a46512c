package io.github.usergrpc.user.server.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.service.store.StoreUnavailableException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What {@link JdbcUserStore} does beyond the contract tests in the parent package. */
class JdbcUserStoreTest {

  @Test
  void connectionUrl_plainH2FileUrl_addsModeDurabilityAndLockSettings() {
    assertThat(SqlDialect.H2.connectionUrl("jdbc:h2:file:./data/users")).isEqualTo(
        "jdbc:h2:file:./data/users;DB_CLOSE_ON_EXIT=FALSE;LOCK_TIMEOUT=10000;MODE=PostgreSQL;WRITE_DELAY=0");
  }

  @Test
  void connectionUrl_h2UrlSetsSomeItself_keepsTheirValues() {
    assertThat(SqlDialect.H2.connectionUrl("jdbc:h2:mem:x;write_delay=100;LOCK_TIMEOUT=5"))
        .isEqualTo("jdbc:h2:mem:x;write_delay=100;LOCK_TIMEOUT=5;DB_CLOSE_ON_EXIT=FALSE;MODE=PostgreSQL");
  }

  @Test
  void connectionUrl_plainSqliteFileUrl_addsWalDurabilityAndImmediateTransactions() {
    assertThat(SqlDialect.SQLITE.connectionUrl("jdbc:sqlite:./data/users.db")).isEqualTo(
        "jdbc:sqlite:./data/users.db?busy_timeout=10000&foreign_keys=true&journal_mode=WAL"
            + "&journal_size_limit=4194304&synchronous=NORMAL&transaction_mode=IMMEDIATE");
  }

  @Test
  void connectionUrl_sqliteUrlSetsSomeItself_keepsTheirValues() {
    assertThat(SqlDialect.SQLITE.connectionUrl("jdbc:sqlite:/d/users.db?Synchronous=EXTRA&busy_timeout=50"))
        .isEqualTo("jdbc:sqlite:/d/users.db?Synchronous=EXTRA&busy_timeout=50&foreign_keys=true&journal_mode=WAL"
            + "&journal_size_limit=4194304&transaction_mode=IMMEDIATE");
  }

  @Test
  void connectionUrl_postgresql_isTheUrl() {
    assertThat(SqlDialect.POSTGRESQL.connectionUrl("jdbc:postgresql://db/users?ssl=true"))
        .isEqualTo("jdbc:postgresql://db/users?ssl=true");
  }

  @Test
  @Timeout(10)
  void open_nothingListensOnThePort_throwsStoreUnavailable() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    JdbcSettings settings = JdbcSettings.newBuilder()
        .setJdbcUrl("jdbc:postgresql://127.0.0.1:" + closedPort + "/users")
        .setUser("users")
        .setConnectionTimeout(Duration.ofMillis(500))
        .build();

    assertThatThrownBy(() -> JdbcUserStore.open(settings))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessage("the user store is unavailable")
        .hasRootCauseInstanceOf(java.net.ConnectException.class);
  }
}
