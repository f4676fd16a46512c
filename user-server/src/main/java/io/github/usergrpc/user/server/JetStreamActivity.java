package io.github.usergrpc.user.server;

import io.github.usergrpc.user.server.activity.jetstream.ActivityStreamSetupException;
import io.github.usergrpc.user.server.activity.jetstream.JetStreamActivitySettings;
import io.github.usergrpc.user.server.activity.jetstream.JetStreamUserStore;
import io.github.usergrpc.user.server.activity.jetstream.PostgresAdvisoryLease;
import io.github.usergrpc.user.server.activity.jetstream.RelayLease;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import java.sql.DriverManager;
import java.time.Duration;

/**
 * {@code --activity nats://...}: the JetStream activity log on top of the database store, as the command line
 * configures it ({@link JetStreamUserStore}).
 */
final class JetStreamActivity {

  private JetStreamActivity() {}

  /**
   * Returns the store with its activity on JetStream.
   *
   * @param jetStream the options of the stream
   * @param retention {@code --activity-retention}: the stream's max age
   * @param database the database store, opened with its outbox ({@link JdbcSettings#activityOutbox()}); the
   *     returned store owns it, and on failure the caller still does
   * @param settings the settings {@code database} was opened with
   * @throws StartupFailure if NATS cannot be reached or the stream cannot be used, with the cause and the remedy
   */
  static JetStreamUserStore open(ServerOptions.JetStream jetStream, Duration retention, JdbcUserStore database,
      JdbcSettings settings) throws StartupFailure {
    RelayLease lease = lease(settings, database.secretKey());
    try {
      return JetStreamUserStore.open(database, database.outbox(), lease, settings(jetStream, retention));
    } catch (ActivityStreamSetupException e) {
      lease.close();
      throw new StartupFailure(e.getMessage(), e);
    }
  }

  /** Returns the stream's settings: name and subjects, replicas, and the retention as max age. */
  static JetStreamActivitySettings settings(ServerOptions.JetStream jetStream, Duration retention) {
    return JetStreamActivitySettings.of(String.join(",", jetStream.servers()))
        .withStreamName(jetStream.stream())
        .withSubjectPrefix(jetStream.subjectPrefix())
        .withReplicas(jetStream.replicas())
        .withMaxAge(retention);
  }

  /**
   * Returns who may run the outbox relay: on PostgreSQL, which several servers share, one of them at a time
   * (an advisory lock on a connection of its own); an embedded database belongs to one process.
   */
  private static RelayLease lease(JdbcSettings settings, byte[] storeSecret) {
    if (!settings.jdbcUrl().startsWith("jdbc:postgresql:")) {
      return RelayLease.singleProcess();
    }
    return new PostgresAdvisoryLease(
        () -> DriverManager.getConnection(settings.jdbcUrl(), settings.user(), settings.password()),
        PostgresAdvisoryLease.keyFor(storeSecret));
  }
}
