package io.github.usergrpc.user.server.transfer;

/**
 * A file given to import is not a complete, intact export file: not one at all, of a newer version,
 * truncated, or corrupt. Nothing was imported. The message is one line for an operator.
 */
public final class InvalidExportFileException extends Exception {

  private static final long serialVersionUID = 1L;

  InvalidExportFileException(String message) {
    super(message);
  }

  InvalidExportFileException(String message, Throwable cause) {
    super(message, cause);
  }
}
