package io.github.usergrpc.user.service.internal;

import static java.util.Objects.requireNonNull;

import io.github.usergrpc.user.service.store.StoreException;
import io.github.usergrpc.user.service.store.UserStore;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.BindableService;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The standard health service, SERVING only while the store answers: pings the store at a fixed interval on
 * its own daemon thread and sets the status of the whole server and of the UserService.
 */
public final class StoreHealth implements AutoCloseable {

  private static final Logger logger = Logger.getLogger(StoreHealth.class.getName());

  private final UserStore store;
  private final Duration interval;
  private final HealthStatusManager health = new HealthStatusManager();
  private final ScheduledExecutorService checker = Executors.newSingleThreadScheduledExecutor(runnable -> {
    Thread thread = new Thread(runnable, "user-store-health");
    thread.setDaemon(true);
    return thread;
  });

  /**
   * Creates the health service; {@link #start()} begins polling.
   *
   * @param store the store to ping
   * @param interval how often, positive
   */
  public StoreHealth(UserStore store, Duration interval) {
    this.store = requireNonNull(store, "store");
    this.interval = requireNonNull(interval, "interval");
  }

  /** Returns the {@code grpc.health.v1.Health} service to serve. */
  public BindableService service() {
    return health.getHealthService();
  }

  /** Checks the store once now, then at every interval. */
  public void start() {
    check();
    long nanos = interval.toNanos();
    // The future is not needed: close() stops the executor, and check() catches what it can throw.
    var unused = checker.scheduleWithFixedDelay(this::check, nanos, nanos, TimeUnit.NANOSECONDS);
  }

  /** Turns NOT_SERVING for good and stops polling. Idempotent. */
  @Override
  public void close() {
    health.enterTerminalState();
    checker.shutdownNow();
  }

  private void check() {
    ServingStatus status;
    try {
      store.ping();
      status = ServingStatus.SERVING;
    } catch (StoreException e) {
      status = ServingStatus.NOT_SERVING;
    } catch (RuntimeException e) {
      logger.log(Level.WARNING, "store health check failed unexpectedly", e);
      status = ServingStatus.NOT_SERVING;
    }
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, status);
    health.setStatus(UserServiceGrpc.SERVICE_NAME, status);
  }
}
