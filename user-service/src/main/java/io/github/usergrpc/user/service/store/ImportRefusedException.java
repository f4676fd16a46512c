package io.github.usergrpc.user.service.store;

/**
 * {@link StoreImport} refused an import, and imported nothing: the target store is not empty, or the
 * records contradict each other or their summary. The message is one line for an operator.
 */
public final class ImportRefusedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what is wrong and, where there is one, the remedy
   */
  public ImportRefusedException(String message) {
    super(message);
  }
}
