package io.github.usergrpc.user.server.store.jdbc;

import io.github.usergrpc.user.service.store.ActivityHead;
import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.ImportRefusedException;
import io.github.usergrpc.user.service.store.StoreImport;
import io.github.usergrpc.user.service.store.StoreSummary;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import io.github.usergrpc.user.service.store.User;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@link JdbcUserStore#beginImport}: every record inserted, in batches, in one transaction on one connection,
 * committed by {@link #commit} after the counts are checked against the database itself. A failure or a
 * {@link #close} without commit rolls everything back: all or nothing, never resumable halfway.
 *
 * <p>The transaction first keeps writers out ({@link JdbcActivityTransfer#lockWriters}), then checks that the
 * store is empty (or, replacing, deletes what it holds). The heads are imported as they were on the source,
 * also those of users deleted since; the counts per role are derived from the users, into their shards
 * ({@link RoleCounts}).
 */
final class JdbcImport implements StoreImport.Load {

  private static final int BATCH_SIZE = 500;

  /** What a unique violation means, by the index or key it names. */
  private static final Map<String, String> DUPLICATES = Map.of(
      "users_email_key_uq", "two users with one email",
      "users_pk", "two users with one id",
      "create_requests_pk", "two CreateUser request ids alike",
      "activity_request_id_uq", "two events with one RecordActivity request id",
      "activity_pk", "two events of one user with one sequence",
      "activity_heads_pk", "two heads of one user");

  private final Connection connection;
  private final StoreSummary summary;
  private final PreparedStatement insertUser;
  private final PreparedStatement insertCreateRequest;
  private final JdbcActivityTransfer.Inserter insertActivity;
  private int pendingUsers;
  private int pendingCreateRequests;
  private long users;
  private long createRequests;
  private long events;
  private long heads;
  private final RoleCounts.Tally roleCounts = new RoleCounts.Tally();
  private boolean done;

  private JdbcImport(Connection connection, StoreSummary summary) throws SQLException {
    this.connection = connection;
    this.summary = summary;
    insertUser = connection.prepareStatement("INSERT INTO users (" + UserRows.USER_COLUMNS
        + ", email_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    insertCreateRequest = connection.prepareStatement("INSERT INTO create_requests (request_id, "
        + UserRows.CREATED_USER_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    insertActivity = new JdbcActivityTransfer.Inserter(connection);
  }

  /**
   * Starts the import on {@code connection}, which it owns from now on: it is closed by {@link #close}, and
   * at once when this throws.
   *
   * @throws ImportRefusedException if the store is not empty and {@code replace} is false
   */
  static JdbcImport begin(Connection connection, StoreSummary summary, boolean replace) throws SQLException {
    try {
      JdbcExport.checkSupported(connection);
      connection.setAutoCommit(false);
      JdbcActivityTransfer.lockWriters(connection);
      long users = JdbcExport.single(connection, "SELECT COUNT(*) FROM users");
      long createRequests = JdbcExport.single(connection, "SELECT COUNT(*) FROM create_requests");
      JdbcActivityTransfer.Log log = JdbcActivityTransfer.read(connection);
      boolean empty = log.heads() == 0
          && new StoreSummary(users, createRequests, log.events(), log.lastSequence(), log.prunedUpTo()).isEmpty();
      if (!empty && !replace) {
        throw new ImportRefusedException("the target store is not empty (" + users + " users, last sequence "
            + log.lastSequence() + "); import into an empty store, or replace what it holds");
      }
      if (!empty) {
        try (Statement delete = connection.createStatement()) {
          delete.executeUpdate("DELETE FROM users");
          delete.executeUpdate("DELETE FROM create_requests");
          delete.executeUpdate("DELETE FROM user_counts");
        }
        JdbcActivityTransfer.clear(connection);
      }
      return new JdbcImport(connection, summary);
    } catch (SQLException | RuntimeException e) {
      rollbackAndClose(connection, e);
      throw e;
    }
  }

  @Override
  public void user(User user) {
    checkNotDone();
    run(() -> {
      UserRows.setUser(insertUser, 1, user);
      insertUser.setString(8, user.emailKey());
      insertUser.addBatch();
      if (++pendingUsers == BATCH_SIZE) {
        insertUser.executeBatch();
        pendingUsers = 0;
      }
    });
    roleCounts.add(user.role(), user.id());
    users++;
  }

  @Override
  public void createRequest(String requestId, User asCreated) {
    checkNotDone();
    run(() -> {
      insertCreateRequest.setString(1, requestId);
      UserRows.setUser(insertCreateRequest, 2, asCreated);
      insertCreateRequest.addBatch();
      if (++pendingCreateRequests == BATCH_SIZE) {
        insertCreateRequest.executeBatch();
        pendingCreateRequests = 0;
      }
    });
    createRequests++;
  }

  @Override
  public void event(ActivityRecord event, Optional<String> requestId) {
    checkNotDone();
    run(() -> insertActivity.add(event, requestId));
    events++;
  }

  @Override
  public void head(ActivityHead head) {
    checkNotDone();
    run(() -> insertActivity.add(head));
    heads++;
  }

  @Override
  public void commit() {
    checkNotDone();
    StoreSummary received = new StoreSummary(users, createRequests, events, summary.lastSequence(),
        summary.prunedUpTo());
    if (!received.equals(summary)) {
      throw new ImportRefusedException("received " + received + ", announced " + summary);
    }
    run(() -> {
      if (pendingUsers > 0) {
        insertUser.executeBatch();
      }
      if (pendingCreateRequests > 0) {
        insertCreateRequest.executeBatch();
      }
      insertActivity.flush();
      roleCounts.insert(connection);
      long storedUsers = JdbcExport.single(connection, "SELECT COUNT(*) FROM users");
      long storedRequests = JdbcExport.single(connection, "SELECT COUNT(*) FROM create_requests");
      JdbcActivityTransfer.Log log = JdbcActivityTransfer.read(connection);
      StoreSummary stored = new StoreSummary(storedUsers, storedRequests, log.events(), log.lastSequence(),
          log.prunedUpTo());
      if (!stored.equals(summary) || log.heads() != heads) {
        throw new ImportRefusedException("the store holds " + stored + " and " + log.heads()
            + " activity heads after the import, expected " + summary + " and " + heads + " heads");
      }
      long outside = JdbcActivityTransfer.eventsOutsideHeads(connection);
      if (outside > 0) {
        throw new ImportRefusedException(outside + " events of the file lie outside their user's head (no head,"
            + " after its last sequence or not after its pruned-up-to); nothing was imported");
      }
      connection.commit();
    });
    done = true;
    closeConnection();
  }

  @Override
  public void close() {
    if (done) {
      return;
    }
    done = true;
    rollbackAndClose(connection, null);
  }

  private void closeConnection() {
    try {
      connection.close();
    } catch (SQLException e) {
      // Committed: a connection that fails to close changes nothing.
    }
  }

  private void checkNotDone() {
    if (done) {
      throw new IllegalStateException("the import was committed or closed");
    }
  }

  /** Runs {@code work}; on any failure rolls the import back and throws it as {@link #failure}. */
  private void run(SqlWork work) {
    try {
      work.run();
    } catch (SQLException e) {
      close();
      throw failure(e);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  @FunctionalInterface
  private interface SqlWork {
    void run() throws SQLException;
  }

  /**
   * Returns what a failed statement of an export or an import means: records that break a unique rule are
   * refused (named by the rule, never with SQL), an unreachable database is {@link StoreUnavailableException},
   * anything else a bug.
   */
  static RuntimeException failure(SQLException e) {
    // A failed batch reports the statement's own failure as its next exception (PostgreSQL).
    for (SQLException each = e; each != null; each = each.getNextException()) {
      if (SqlFailures.isUniqueViolation(each)) {
        String message = String.valueOf(each.getMessage()).toLowerCase(Locale.ROOT);
        return new ImportRefusedException(DUPLICATES.entrySet().stream()
            .filter(duplicate -> message.contains(duplicate.getKey()))
            .map(Map.Entry::getValue)
            .findFirst()
            .orElse("two records with one key") + " in the file; nothing was imported");
      }
    }
    if (SqlFailures.isUnavailable(e)) {
      return new StoreUnavailableException(e);
    }
    return new IllegalStateException("store transfer failed with SQLState " + e.getSQLState(), e);
  }

  private static void rollbackAndClose(Connection connection, Exception failure) {
    try (connection) {
      connection.rollback();
    } catch (SQLException e) {
      if (failure != null) {
        failure.addSuppressed(e);
      }
    }
  }
}
