package io.github.usergrpc.user.server.store.jdbc;

import java.sql.SQLException;
import java.util.Locale;

/** A unique index or primary key rejected a write; callers tell which from the index name. */
final class DuplicateKeyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  DuplicateKeyException(SQLException cause) {
    super("duplicate key", cause);
  }

  /** Tells whether the violated index is {@code indexName}; H2 and PostgreSQL both name it in the message. */
  boolean violates(String indexName) {
    String message = getCause().getMessage();
    return message != null && message.toLowerCase(Locale.ROOT).contains(indexName);
  }
}
