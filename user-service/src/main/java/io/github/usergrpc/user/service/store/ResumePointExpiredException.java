package io.github.usergrpc.user.service.store;

/** A watch asked to resume after a sequence older than the events the store still keeps. */
public final class ResumePointExpiredException extends StoreException {

  private static final long serialVersionUID = 1L;

  private final long oldestRetained;

  /**
   * Creates the exception.
   *
   * @param resumeAfter the sequence the watcher asked to resume after
   * @param oldestRetained the oldest sequence the store still keeps
   */
  public ResumePointExpiredException(long resumeAfter, long oldestRetained) {
    super("cannot resume after event " + resumeAfter + ": events before " + oldestRetained
        + " are no longer kept");
    this.oldestRetained = oldestRetained;
  }

  /** Returns the oldest sequence the store still keeps. */
  public long oldestRetained() {
    return oldestRetained;
  }
}
