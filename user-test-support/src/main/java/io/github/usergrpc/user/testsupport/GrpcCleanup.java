package io.github.usergrpc.user.testsupport;

import static java.util.Objects.requireNonNull;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Closes what a test registers, in reverse order of registration, whether the test passed or failed, and
 * fails a test that passed but left something running: a channel or server still busy some time after
 * shutdown ({@link #DEFAULT_TIMEOUT} by default) is a leak (a call left running, a stream never ended). In
 * the spirit of grpc-java's {@code GrpcCleanupRule}, for JUnit 5, as its maintainers suggest there
 * (grpc/grpc-java#9240): an explicit extension field, nothing injected.
 *
 * <pre>{@code
 * @RegisterExtension
 * final GrpcCleanup cleanup = new GrpcCleanup();
 *
 * UserServer server = cleanup.register(UserServer.newBuilder(...).build().start());
 * ManagedChannel channel = cleanup.register(InProcessChannelBuilder.forName(name).build());
 * }</pre>
 *
 * <p>Executors are shut down at once ({@code shutdownNow}), servers and channels gracefully first: an
 * executor a server runs its calls on is registered before the server, so that it is closed after it.
 *
 * <p>On an instance field, everything registered is closed after the test, field initializers of the test
 * instance included. On a {@code static} field, what is registered during a test (its {@code @BeforeEach}
 * methods included) is closed after that test, and what is registered outside a test ({@code @BeforeAll})
 * after all the tests of the class. A channel or server of a test that failed is shut down at once ({@code shutdownNow}),
 * without waiting and without a leak report that would hide the test's own failure.
 */
public final class GrpcCleanup implements BeforeAllCallback, BeforeEachCallback, AfterTestExecutionCallback,
    AfterEachCallback, AfterAllCallback {

  /** How long a registered channel or server may take to terminate before it counts as leaked. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private interface Resource {
    /**
     * Closes the resource, at once if {@code force}; returns a description of it when it did not terminate
     * in time, else null.
     */
    String close(boolean force) throws Exception;
  }

  private final Duration timeout;
  private final Deque<Resource> testResources = new ArrayDeque<>();
  private final Deque<Resource> classResources = new ArrayDeque<>();
  /** Whether JUnit called beforeAll, which it does for an extension on a static field only. */
  private boolean onStaticField;
  private boolean inTest;
  private boolean testFailed;

  /** Creates the extension with {@link #DEFAULT_TIMEOUT}. */
  public GrpcCleanup() {
    this(DEFAULT_TIMEOUT);
  }

  /**
   * Creates the extension.
   *
   * @param timeout how long a channel or server may take to terminate after shutdown before it is a leak
   */
  public GrpcCleanup(Duration timeout) {
    this.timeout = requireNonNull(timeout, "timeout");
  }

  /**
   * Registers a channel: shut down after the test, and a leak unless it terminates in time.
   *
   * @param channel the channel
   * @param <T> its type
   * @return {@code channel}
   */
  public <T extends ManagedChannel> T register(T channel) {
    requireNonNull(channel, "channel");
    return add(channel, force -> terminate(force, "channel " + channel, channel::shutdown, channel::shutdownNow,
        channel::awaitTermination));
  }

  /**
   * Registers a server: shut down after the test, and a leak unless it terminates in time.
   *
   * @param server the server
   * @param <T> its type
   * @return {@code server}
   */
  public <T extends Server> T register(T server) {
    requireNonNull(server, "server");
    return add(server, force -> terminate(force, "server " + server, server::shutdown, server::shutdownNow,
        server::awaitTermination));
  }

  /**
   * Registers an executor, such as one a test gives a server for its calls: shut down at once after the test
   * (its tasks are interrupted), and a leak unless its threads end in time.
   *
   * @param executor the executor
   * @param <T> its type
   * @return {@code executor}
   */
  public <T extends ExecutorService> T register(T executor) {
    requireNonNull(executor, "executor");
    return add(executor, force -> {
      executor.shutdownNow();
      return executor.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS) ? null : "executor " + executor;
    });
  }

  /**
   * Registers anything else that closes, such as a {@code UserServer}, a client, a store or an HTTP port.
   *
   * @param closeable what to close
   * @param <T> its type
   * @return {@code closeable}
   */
  public <T extends AutoCloseable> T register(T closeable) {
    requireNonNull(closeable, "closeable");
    return add(closeable, force -> {
      closeable.close();
      return null;
    });
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    onStaticField = true;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    if (!onStaticField) {
      // On an instance field, what the test instance registered while it was constructed (field
      // initializers) belongs to its one test: no afterAll will come for this extension.
      testResources.addAll(classResources);
      classResources.clear();
    }
    inTest = true;
    testFailed = false;
  }

  @Override
  public void afterTestExecution(ExtensionContext context) {
    testFailed = context.getExecutionException().isPresent();
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    inTest = false;
    closeAll(testResources, testFailed);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    closeAll(classResources, context.getExecutionException().isPresent());
  }

  /** How a channel or a server waits for its termination. */
  private interface Termination {
    boolean await(long timeout, TimeUnit unit) throws InterruptedException;
  }

  /**
   * Shuts a channel or server down, gracefully unless {@code force}, and returns {@code description} if it
   * had to be forced or did not terminate in time.
   */
  private String terminate(boolean force, String description, Runnable shutdown, Runnable shutdownNow,
      Termination termination) throws InterruptedException {
    if (!force) {
      shutdown.run();
      if (termination.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        return null;
      }
    }
    shutdownNow.run();
    termination.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    return description;
  }

  private <T> T add(T resource, Resource closing) {
    (inTest ? testResources : classResources).push(closing);
    return resource;
  }

  private void closeAll(Deque<Resource> resources, boolean force) throws Exception {
    List<String> leaked = new ArrayList<>();
    Exception failure = null;
    while (!resources.isEmpty()) {
      try {
        String leak = resources.pop().close(force);
        if (leak != null) {
          leaked.add(leak);
        }
      } catch (Exception e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
    if (!leaked.isEmpty() && !force) {
      throw new AssertionError("did not terminate within " + timeout.toMillis() + " ms after the test: " + leaked);
    }
  }
}
