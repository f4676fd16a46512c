package io.github.usergrpc.user.server;

import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.util.Optional;
import java.util.Properties;
import org.postgresql.Driver;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * Words the reasons a PostgreSQL store cannot be opened for {@link StartupFailure}, from the SQLState and
 * the routine that the server reports and the network exception that the driver wraps. Apart from
 * {@link StartupFailure} so that the driver's classes load only for a PostgreSQL store.
 */
final class PostgresFailures {

  /** {@code invalid_catalog_name}: the database does not exist. */
  static final String INVALID_CATALOG_NAME = "3D000";
  /** {@code invalid_password}: password (or SCRAM) authentication failed. */
  static final String INVALID_PASSWORD = "28P01";
  /** {@code invalid_authorization_specification}: no such role, or pg_hba.conf rejects the connection. */
  static final String INVALID_AUTHORIZATION = "28000";
  /** {@code too_many_connections}. */
  static final String TOO_MANY_CONNECTIONS = "53300";
  /** The server routine that reports a role that does not exist (postgres src/backend/utils/init/miscinit.c). */
  private static final String UNKNOWN_ROLE_ROUTINE = "InitializeSessionUserId";

  private PostgresFailures() {}

  /**
   * Returns the cause and remedy of a failure to open a PostgreSQL store, if it is one this class knows.
   *
   * @param e what opening the store threw
   * @param url the {@code --store} URL
   * @param dbUser the {@code --db-user}, if given
   */
  static Optional<String> describe(Throwable e, String url, Optional<String> dbUser) {
    // The user as the driver sees it: the URL's user= wins over the one the pool passes (--db-user or sa).
    Properties given = new Properties();
    given.setProperty("user", dbUser.orElse(JdbcSettings.DEFAULT_USER));
    Properties parsed = Driver.parseURL(url, given);
    String at = parsed == null ? "the --store URL" : hostsAndPorts(parsed);
    String database = parsed == null ? "?" : parsed.getProperty("PGDBNAME", "");
    String user = (parsed == null ? given : parsed).getProperty("user");
    if (StartupFailure.cause(e, ConnectException.class).isPresent()) {
      return Optional.of("connection refused at " + at + "; start PostgreSQL there, or fix the host and port in"
          + " --store");
    }
    if (StartupFailure.cause(e, UnknownHostException.class).isPresent()) {
      return Optional.of("unknown host in " + at + "; fix the host in --store");
    }
    if (StartupFailure.cause(e, SocketTimeoutException.class).isPresent()) {
      return Optional.of("no answer from PostgreSQL at " + at + " (timed out); check the host, port and"
          + " firewall");
    }
    Optional<SQLException> sql = StartupFailure.cause(e, SQLException.class);
    String state = sql.map(SQLException::getSQLState).orElse("");
    return switch (state) {
      case INVALID_CATALOG_NAME -> Optional.of("database \"" + database + "\" does not exist at " + at
          + "; create it (createdb " + database + ") or fix the database name in --store");
      case INVALID_PASSWORD -> Optional.of("password authentication failed for user \"" + user + "\" at " + at
          + "; fix --db-password (or --db-user)");
      case INVALID_AUTHORIZATION -> {
        if (UNKNOWN_ROLE_ROUTINE.equals(routine(sql.get()))) {
          yield Optional.of("role \"" + user + "\" does not exist at " + at + "; create it (createuser " + user
              + ") or fix --db-user");
        }
        yield Optional.of("user \"" + user + "\" may not connect to database \"" + database + "\" at " + at
            + " (pg_hba.conf rejects it); allow it in pg_hba.conf, or fix --db-user");
      }
      case TOO_MANY_CONNECTIONS -> Optional.of("PostgreSQL at " + at + " has no free connection slots; raise"
          + " max_connections or stop idle clients");
      default -> Optional.empty();
    };
  }

  private static String routine(SQLException e) {
    if (e instanceof PSQLException psql) {
      ServerErrorMessage server = psql.getServerErrorMessage();
      return server == null ? null : server.getRoutine();
    }
    return null;
  }

  /** Returns {@code host:port}, or each of them comma-separated for a URL naming several servers. */
  private static String hostsAndPorts(Properties parsed) {
    // Every name the driver parsed, with -1 also an empty one at the end, which split(",") silently dropped.
    String[] hosts = parsed.getProperty("PGHOST", "localhost").split(",", -1);
    String[] ports = parsed.getProperty("PGPORT", "5432").split(",", -1);
    StringBuilder joined = new StringBuilder();
    for (int i = 0; i < hosts.length; i++) {
      joined.append(i == 0 ? "" : ",").append(hosts[i]).append(':').append(i < ports.length ? ports[i] : "5432");
    }
    return joined.toString();
  }
}
