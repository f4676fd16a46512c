package io.github.usergrpc.user.server.activity.jetstream;

import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * A {@link RelayLease} held as a PostgreSQL session-level advisory lock ({@code pg_try_advisory_lock}) on a
 * connection of its own, outside any pool: the lock lives exactly as long as that session, so when the
 * holder dies (or its connection breaks) PostgreSQL frees it and another server's relay takes it on its next
 * try. Every server on one database uses the same key ({@link #keyFor}).
 */
public final class PostgresAdvisoryLease implements RelayLease {

  private static final Logger LOG = Logger.getLogger(PostgresAdvisoryLease.class.getName());

  /** Opens a new, unpooled connection to the store's database. */
  @FunctionalInterface
  public interface ConnectionFactory {
    /** Returns a new connection. */
    Connection open() throws SQLException;
  }

  private final ConnectionFactory connections;
  private final long key;
  @Nullable private Connection connection;
  private boolean held;

  /**
   * @param connections opens the lease's own connection
   * @param key the advisory lock key, the same for every server on the database
   */
  public PostgresAdvisoryLease(ConnectionFactory connections, long key) {
    this.connections = connections;
    this.key = key;
  }

  /**
   * Returns the lock key of the relays of one database: from its store's secret, which every server on the
   * database shares and no other database has. Advisory locks are per database, not per schema, so a fixed key
   * would let the relays of two stores in one database (in different schemas) exclude each other.
   *
   * @param storeSecret the store's secret key ({@code UserStore.secretKey()})
   */
  public static long keyFor(byte[] storeSecret) {
    return ByteBuffer.wrap(SecretDigest.of("user-grpc activity outbox relay lease", storeSecret)).getLong();
  }

  @Override
  public synchronized boolean tryAcquire() {
    try {
      if (connection != null && !connection.isValid(1)) {
        dropConnection(); // the session, and with it the lock, is gone
      }
      if (connection == null) {
        connection = connections.open();
        connection.setAutoCommit(true);
      }
      if (!held) {
        try (PreparedStatement lock = connection.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
          lock.setLong(1, key);
          try (ResultSet result = lock.executeQuery()) {
            result.next();
            held = result.getBoolean(1);
          }
        }
      }
      return held;
    } catch (SQLException e) {
      LOG.log(Level.FINE, "relay lease: database not reachable", e);
      dropConnection();
      return false;
    }
  }

  @Override
  public synchronized void close() {
    if (connection != null && held) {
      try (PreparedStatement unlock = connection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
        unlock.setLong(1, key);
        unlock.execute();
      } catch (SQLException e) {
        // Closing the session below frees the lock as well.
      }
    }
    dropConnection();
  }

  private void dropConnection() {
    held = false;
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException e) {
        // already broken
      }
      connection = null;
    }
  }
}
