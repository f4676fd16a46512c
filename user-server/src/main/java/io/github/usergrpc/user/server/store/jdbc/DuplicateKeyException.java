package io.github.usergrpc.user.server.store.jdbc;

import java.sql.SQLException;

/** A unique index or primary key rejected a write; callers tell which from the index name. */
final class DuplicateKeyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient SqlDialect dialect;

  DuplicateKeyException(SQLException cause, SqlDialect dialect) {
    super("duplicate key", cause);
    this.dialect = dialect;
  }

  /**
   * Tells whether the violated index is {@code indexName}, a unique index on {@code tableDotColumn}: see
   * {@link SqlDialect#violationNames}.
   */
  boolean violates(String indexName, String tableDotColumn) {
    return dialect.violationNames((SQLException) getCause(), indexName, tableDotColumn);
  }
}
