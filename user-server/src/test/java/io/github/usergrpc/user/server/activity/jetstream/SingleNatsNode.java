package io.github.usergrpc.user.server.activity.jetstream;

import java.util.concurrent.atomic.AtomicInteger;
import javax.annotation.Nullable;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One JetStream node ({@link NatsTestCluster#startSingle}) for a test class, and a stream of its own for every
 * test, so that tests never see each other's events. Skips (or fails, with REQUIRE_NATS=true) without the
 * binary.
 *
 * <pre>{@code
 * @RegisterExtension static final SingleNatsNode nats = new SingleNatsNode();
 *
 * try (JetStreamActivityLog log = JetStreamActivityLog.open(nats.freshSettings())) { ... }
 * }</pre>
 */
public final class SingleNatsNode implements BeforeAllCallback, AfterAllCallback {

  private final AtomicInteger streams = new AtomicInteger();
  @Nullable private NatsTestCluster node;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    node = NatsTestCluster.startSingle();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (node != null) {
      node.close();
      node = null;
    }
  }

  /** Returns the running node. */
  public NatsTestCluster node() {
    if (node == null) {
      throw new IllegalStateException("not started: register the extension on a static field");
    }
    return node;
  }

  /** Returns default settings for this node with a stream name and subject prefix no other test uses. */
  public JetStreamActivitySettings freshSettings() {
    int n = streams.incrementAndGet();
    return JetStreamActivitySettings.of(node().url()).withStreamName("T" + n).withSubjectPrefix("t" + n);
  }
}
