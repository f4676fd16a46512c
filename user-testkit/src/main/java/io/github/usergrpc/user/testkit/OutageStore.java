package io.github.usergrpc.user.testkit;

import io.github.usergrpc.user.service.store.ForwardingUserStore;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import io.github.usergrpc.user.service.store.UserStore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Filter;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The fake's store: forwards to an in-memory store, and fails every data call with
 * {@link StoreUnavailableException} while an outage is on, as a database that cannot be reached would. The
 * server maps that to UNAVAILABLE (reason STORE_UNAVAILABLE).
 */
final class OutageStore extends ForwardingUserStore {

  /**
   * The logger on which the server reports every call that fails because the store is unavailable, at
   * WARNING. Held here so that the filter set on it is not lost with a collected logger.
   */
  private static final Logger SERVER_ERROR_LOGGER = Logger.getLogger("io.github.usergrpc.user.service.internal.ErrorMapper");
  private static final AtomicBoolean QUIET = new AtomicBoolean();

  private volatile boolean unavailable;

  OutageStore(UserStore delegate) {
    super(delegate);
  }

  /** Starts an outage: every data call fails until {@link #restore()}. */
  void makeUnavailable() {
    quietServerLog();
    unavailable = true;
  }

  /** Ends the outage. */
  void restore() {
    unavailable = false;
  }

  @Override
  protected void beforeCall(String method) {
    if (unavailable) {
      throw new StoreUnavailableException(new SimulatedOutage(method));
    }
  }

  /**
   * Keeps the server from logging a WARNING for every call that fails during a simulated outage: a test that
   * asks for one does not want a log line per call. Only records about a {@link SimulatedOutage} are
   * dropped: with it as the thrown cause, or with its message among the parameters (the server logs the
   * cause's message in one line). A filter already set on the logger keeps working.
   */
  private static void quietServerLog() {
    if (!QUIET.compareAndSet(false, true)) {
      return;
    }
    Filter previous = SERVER_ERROR_LOGGER.getFilter();
    SERVER_ERROR_LOGGER.setFilter(record -> !isAboutSimulatedOutage(record)
        && (previous == null || previous.isLoggable(record)));
  }

  static boolean isAboutSimulatedOutage(LogRecord record) {
    if (record.getThrown() instanceof SimulatedOutage) {
      return true;
    }
    Object[] parameters = record.getParameters();
    if (parameters == null) {
      return false;
    }
    for (Object parameter : parameters) {
      if (String.valueOf(parameter).contains(SimulatedOutage.MARKER)) {
        return true;
      }
    }
    return false;
  }

  /** The cause of the failures of a simulated outage. */
  static final class SimulatedOutage extends RuntimeException {
    /** Starts the message of every simulated outage; how the log filter recognises them. */
    static final String MARKER = "FakeUserService.makeStoreUnavailable() is in effect";

    private static final long serialVersionUID = 1L;

    SimulatedOutage(String method) {
      super(MARKER + " (store method " + method + ")", null, false, false);
    }
  }
}
