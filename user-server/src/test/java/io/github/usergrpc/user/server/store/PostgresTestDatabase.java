package io.github.usergrpc.user.server.store;

import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Properties;
import javax.annotation.Nullable;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A fresh PostgreSQL schema for every test: a JUnit extension, used as an explicit field.
 *
 * <pre>{@code
 * @RegisterExtension
 * final PostgresTestDatabase postgres = new PostgresTestDatabase();
 *
 * @Test
 * void something() {
 *   try (JdbcUserStore store = JdbcUserStore.open(postgres.settings())) { ... }
 * }
 * }</pre>
 *
 * <p>Registered on a static field, it creates one schema for the whole test class instead (for suites that
 * share one server across their tests).
 *
 * <p>Before each test it creates a schema with a random name and drops it, with everything in it, after
 * the test, so that parallel runs and leftovers of killed runs never meet. The database comes from the
 * environment: {@value #URL_VARIABLE} (default {@value #DEFAULT_URL}), {@value #USER_VARIABLE} (default
 * {@value #DEFAULT_USER}) and {@value #PASSWORD_VARIABLE} (default empty).
 *
 * <p>When the database cannot be reached, the test is skipped with a message that says so, unless the
 * system property or environment variable {@value #REQUIRE_VARIABLE} is {@code true}: then it fails, so
 * that CI, which has a database, cannot pass by skipping.
 */
public final class PostgresTestDatabase
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

  /** The environment variable with the JDBC URL of the test database. */
  public static final String URL_VARIABLE = "USER_STORE_PG_URL";
  /** The environment variable with the user name. */
  public static final String USER_VARIABLE = "USER_STORE_PG_USER";
  /** The environment variable with the password. */
  public static final String PASSWORD_VARIABLE = "USER_STORE_PG_PASSWORD";
  /** The system property or environment variable that turns a skip into a failure. */
  public static final String REQUIRE_VARIABLE = "REQUIRE_POSTGRES";
  /** The database used when {@value #URL_VARIABLE} is not set. */
  public static final String DEFAULT_URL = "jdbc:postgresql://127.0.0.1:5432/test";
  /** The user used when {@value #USER_VARIABLE} is not set. */
  public static final String DEFAULT_USER = "postgres";

  private static final int CONNECT_TIMEOUT_SECONDS = 2;

  private final String url = environment(URL_VARIABLE).orElse(DEFAULT_URL);
  private final String user = environment(USER_VARIABLE).orElse(DEFAULT_USER);
  private final String password = environment(PASSWORD_VARIABLE).orElse("");
  @Nullable private String schema;
  private boolean perClass;

  @Override
  public void beforeAll(ExtensionContext context) throws SQLException {
    perClass = true;
    createSchema();
  }

  @Override
  public void afterAll(ExtensionContext context) throws SQLException {
    dropSchema();
  }

  @Override
  public void beforeEach(ExtensionContext context) throws SQLException {
    if (!perClass) {
      createSchema();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) throws SQLException {
    if (!perClass) {
      dropSchema();
    }
  }

  private void createSchema() throws SQLException {
    byte[] random = new byte[6];
    new SecureRandom().nextBytes(random);
    String name = "user_store_test_" + HexFormat.of().formatHex(random);
    try (Connection connection = connectOrSkip(); Statement statement = connection.createStatement()) {
      statement.execute("CREATE SCHEMA " + name);
    }
    schema = name;
  }

  private void dropSchema() throws SQLException {
    if (schema == null) {
      return;
    }
    try (Connection connection = connect(); Statement statement = connection.createStatement()) {
      statement.execute("DROP SCHEMA " + schema + " CASCADE");
    } finally {
      schema = null;
    }
  }

  /** Returns store settings for this test's schema, with a pool of four connections. */
  public JdbcSettings settings() {
    return JdbcSettings.newBuilder()
        .setJdbcUrl(jdbcUrl())
        .setUser(user)
        .setPassword(password)
        .setMaximumPoolSize(4)
        .build();
  }

  /** Returns the JDBC URL of this test's schema ({@code currentSchema} set). */
  public String jdbcUrl() {
    return url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema();
  }

  /** Returns the name of this test's schema. */
  public String schema() {
    if (schema == null) {
      throw new IllegalStateException("no schema: register the extension on a field with @RegisterExtension");
    }
    return schema;
  }

  /** Returns the database user. */
  public String user() {
    return user;
  }

  /** Returns the database password. */
  public String password() {
    return password;
  }

  private Connection connectOrSkip() {
    try {
      return connect();
    } catch (SQLException e) {
      String problem = "PostgreSQL is not reachable at " + url + " as " + user + " (" + e.getMessage()
          + "); set " + URL_VARIABLE + ", " + USER_VARIABLE + " and " + PASSWORD_VARIABLE + " to use another";
      if (isRequired()) {
        throw new AssertionError(problem + ". Failing because " + REQUIRE_VARIABLE + "=true.", e);
      }
      Assumptions.abort(problem + ". Skipping; set " + REQUIRE_VARIABLE + "=true to fail instead.");
      throw new AssertionError("unreachable", e);
    }
  }

  private Connection connect() throws SQLException {
    Properties properties = new Properties();
    properties.setProperty("user", user);
    properties.setProperty("password", password);
    properties.setProperty("connectTimeout", Integer.toString(CONNECT_TIMEOUT_SECONDS));
    properties.setProperty("loginTimeout", Integer.toString(CONNECT_TIMEOUT_SECONDS));
    return DriverManager.getConnection(url, properties);
  }

  private static boolean isRequired() {
    String value = System.getProperty(REQUIRE_VARIABLE, System.getenv(REQUIRE_VARIABLE));
    return Boolean.parseBoolean(value);
  }

  private static Optional<String> environment(String name) {
    return Optional.ofNullable(System.getenv(name)).filter(value -> !value.isBlank());
  }
}
