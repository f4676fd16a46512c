package io.github.usergrpc.user.server;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Closes what a test registers, in reverse order, after each test, and fails the test when something did not
 * terminate: a channel or server still busy some time after shutdown (10 s by default) is a leak (a call left running, a stream
 * never ended). In the spirit of grpc-java's {@code GrpcCleanupRule}, for JUnit 5:
 *
 * <pre>{@code
 * @RegisterExtension
 * final GrpcCleanup cleanup = new GrpcCleanup();
 *
 * UserServer server = cleanup.register(UserServer.newBuilder(...).build().start());
 * ManagedChannel channel = cleanup.register(InProcessChannelBuilder.forName(name).build());
 * }</pre>
 */
public final class GrpcCleanup implements AfterEachCallback {

  /** How long a registered channel or server may take to terminate before it counts as leaked. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private interface Resource {
    /** Closes the resource; returns a description of it when it did not terminate in time. */
    String close() throws Exception;
  }

  private final Deque<Resource> resources = new ArrayDeque<>();
  private final Duration timeout;

  /** Creates the extension with {@link #DEFAULT_TIMEOUT}. */
  public GrpcCleanup() {
    this(DEFAULT_TIMEOUT);
  }

  /** Creates the extension; a channel or server not terminated {@code timeout} after shutdown is a leak. */
  public GrpcCleanup(Duration timeout) {
    this.timeout = timeout;
  }

  /** Registers a channel: shut down after the test, and a leak unless it terminates in time. */
  public <T extends ManagedChannel> T register(T channel) {
    resources.push(() -> {
      channel.shutdown();
      if (channel.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        return null;
      }
      channel.shutdownNow().awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return "channel " + channel;
    });
    return channel;
  }

  /** Registers a server: shut down after the test, and a leak unless it terminates in time. */
  public <T extends Server> T register(T server) {
    resources.push(() -> {
      server.shutdown();
      if (server.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        return null;
      }
      server.shutdownNow().awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return "server " + server;
    });
    return server;
  }

  /** Registers anything else that closes, such as a {@link UserServer}, a client or a store. */
  public <T extends AutoCloseable> T register(T closeable) {
    resources.push(() -> {
      closeable.close();
      return null;
    });
    return closeable;
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    List<String> leaked = new ArrayList<>();
    Exception failure = null;
    while (!resources.isEmpty()) {
      try {
        String leak = resources.pop().close();
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
    if (!leaked.isEmpty()) {
      throw new AssertionError("did not terminate within " + timeout.toMillis() + " ms after the test: " + leaked);
    }
  }
}
