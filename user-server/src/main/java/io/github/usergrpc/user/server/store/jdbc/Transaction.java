package io.github.usergrpc.user.server.store.jdbc;

import io.github.usergrpc.user.server.activity.jetstream.OutboxEntry;
import io.github.usergrpc.user.service.store.ActivityRecord;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import javax.annotation.Nullable;

/** The connection of one transaction, and the event it appended or the outbox rows it read, if any. */
final class Transaction {

  /** Work done in a transaction. */
  @FunctionalInterface
  interface Work<T> {
    T run(Transaction tx) throws SQLException;
  }

  final Connection connection;
  /** The database's dialect, for the statements that differ ({@link SqlDialect#forUpdate}). */
  final SqlDialect dialect;
  /** Set by {@link ActivityLog#append}: a transaction appends at most one event. */
  @Nullable ActivityRecord appended;
  /** Set by {@link JdbcOutbox#insertAndReadPending}: its user's pending rows, for the outbox's listeners. */
  @Nullable List<OutboxEntry> pendingOutbox;

  Transaction(Connection connection, SqlDialect dialect) {
    this.connection = connection;
    this.dialect = dialect;
  }
}
