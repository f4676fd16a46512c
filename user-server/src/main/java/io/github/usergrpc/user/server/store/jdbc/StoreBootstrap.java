package io.github.usergrpc.user.server.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * What {@link JdbcUserStore#open} does before the store serves calls: the URL and pool settings, the schema
 * migration, the shared secret, and the connection the circuit breaker probes with.
 */
final class StoreBootstrap {

  private static final Logger logger = Logger.getLogger(StoreBootstrap.class.getName());

  private static final Duration VALIDATION_TIMEOUT = Duration.ofSeconds(1);
  private static final int SECRET_BYTES = 32;

  private StoreBootstrap() {}

  /** An H2 database in a file of this JVM: not in memory, not on an H2 server, not read-only in a zip. */
  static boolean isEmbeddedH2File(String url) {
    return url.startsWith("jdbc:h2:") && !url.matches("(?i)jdbc:h2:(mem|tcp|ssl|zip):.*");
  }

  static HikariConfig poolConfig(JdbcSettings settings, SqlDialect dialect, String url) {
    HikariConfig config = new HikariConfig();
    config.setPoolName(JdbcUserStore.POOL_NAME);
    config.setJdbcUrl(url);
    config.setUsername(settings.user());
    config.setPassword(settings.password());
    config.setMaximumPoolSize(settings.maximumPoolSize());
    // Connections are opened as calls need them, not kept at the maximum: a pool below its minimum keeps
    // retrying to connect while the database is down, backing off up to 5 s between attempts, and the first
    // calls after the database returns waited out that backoff. Idle connections close after 10 minutes.
    config.setMinimumIdle(0);
    config.setConnectionTimeout(settings.connectionTimeout().toMillis());
    // HikariCP requires validationTimeout < connectionTimeout, and would quietly change it otherwise.
    Duration validationTimeout = settings.connectionTimeout().compareTo(VALIDATION_TIMEOUT) > 0
        ? VALIDATION_TIMEOUT
        : JdbcSettings.MINIMUM_CONNECTION_TIMEOUT;
    config.setValidationTimeout(validationTimeout.toMillis());
    config.setAutoCommit(dialect.restsInAutocommit());
    config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
    return config;
  }

  static void migrate(DataSource dataSource, SqlDialect dialect) {
    Flyway.configure(JdbcUserStore.class.getClassLoader())
        .dataSource(dataSource)
        .locations(dialect.migrationLocations().toArray(String[]::new))
        .failOnMissingLocations(true)
        .placeholders(Map.of("id_collation", dialect.idCollation()))
        .load()
        .migrate();
  }

  static byte[] loadOrCreateSecret(DataSource dataSource) throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      // Pooled SQLite connections rest in autocommit (see SqlDialect); this begins the transaction there.
      connection.setAutoCommit(false);
      Optional<byte[]> secret = readSecret(connection);
      if (secret.isEmpty()) {
        byte[] generated = new byte[SECRET_BYTES];
        new SecureRandom().nextBytes(generated);
        try (PreparedStatement insert = connection.prepareStatement(
            "INSERT INTO store_secret (id, secret_hex) VALUES (1, ?)")) {
          insert.setString(1, HexFormat.of().formatHex(generated));
          insert.executeUpdate();
          connection.commit();
        } catch (SQLException e) {
          connection.rollback();
          if (!SqlFailures.isUniqueViolation(e)) {
            throw e;
          }
          // Another server opening the same new database stored its secret first: use that one.
        }
        secret = readSecret(connection);
      }
      connection.rollback();
      connection.setAutoCommit(true);
      return secret.orElseThrow(() -> new IllegalStateException("store_secret has no row"));
    }
  }

  private static Optional<byte[]> readSecret(Connection connection) throws SQLException {
    try (Statement select = connection.createStatement();
        ResultSet rows = select.executeQuery("SELECT secret_hex FROM store_secret WHERE id = 1")) {
      return rows.next() ? Optional.of(HexFormat.of().parseHex(rows.getString(1))) : Optional.empty();
    }
  }

  /**
   * Connects to the database outside the pool, as {@link DatabaseCircuitBreaker}'s probe: with PostgreSQL's
   * connect and socket timeouts short, so that a probe never hangs on an unreachable host.
   */
  static void probe(String url, SqlDialect dialect, JdbcSettings settings) throws SQLException {
    Properties properties = new Properties();
    properties.setProperty("user", settings.user());
    properties.setProperty("password", settings.password());
    if (dialect == SqlDialect.POSTGRESQL) {
      properties.setProperty("connectTimeout", "1");
      properties.setProperty("socketTimeout", "2");
      properties.setProperty("loginTimeout", "2");
    }
    try (Connection connection = DriverManager.getConnection(url, properties);
        Statement select = connection.createStatement()) {
      select.execute("SELECT 1");
    }
  }

  /**
   * Opens a PostgreSQL session outside the pool, for the activity notifications ({@link ActivityNotifier},
   * {@link ActivityListener}): in autocommit, named {@code applicationName} in {@code pg_stat_activity}, with
   * short connect timeouts, a socket timeout (so that a statement on a dead network fails instead of hanging)
   * and TCP keepalive.
   */
  static Connection session(String url, JdbcSettings settings, String applicationName) throws SQLException {
    Properties properties = new Properties();
    properties.setProperty("user", settings.user());
    properties.setProperty("password", settings.password());
    properties.setProperty("connectTimeout", "2");
    properties.setProperty("loginTimeout", "2");
    properties.setProperty("socketTimeout", "10");
    properties.setProperty("tcpKeepAlive", "true");
    properties.setProperty("ApplicationName", applicationName);
    Connection connection = DriverManager.getConnection(url, properties);
    connection.setAutoCommit(true);
    return connection;
  }

  /** Closes a connection, if there is one, logging a failure at FINE: it is being given up anyway. */
  static void closeQuietly(@Nullable Connection connection, String what) {
    if (connection == null) {
      return;
    }
    try {
      connection.close();
    } catch (SQLException e) {
      logger.log(Level.FINE, "cannot close " + what, e);
    }
  }

  static RuntimeException openFailure(Exception e) {
    Optional<SQLException> sqlCause = SqlFailures.sqlCause(e);
    if (sqlCause.isPresent() && SqlFailures.isUnavailable(sqlCause.get())) {
      return new StoreUnavailableException(e);
    }
    return new IllegalStateException("cannot open the user store", e);
  }
}
