package io.github.usergrpc.user.testkit;

import static java.util.Objects.requireNonNull;

import io.github.usergrpc.user.server.UserServer;
import io.github.usergrpc.user.service.store.UserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import java.util.concurrent.Callable;
import javax.annotation.Nullable;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The reference server on a real Netty port of the loopback interface, with a channel to it, shared by the
 * tests of a class: a JUnit extension on a static field, as {@link FakeUserServiceExtension#perClass()} is
 * for the fake. It opens the store, starts the server and connects before all tests, and closes channel,
 * server and store after them (a {@link GrpcCleanup}: a server still busy then fails the class).
 *
 * <pre>{@code
 * @RegisterExtension
 * static final RealServer server = new RealServer(InMemoryUserStore::new);
 * }</pre>
 */
final class RealServer implements BeforeAllCallback, AfterAllCallback {

  private final Callable<UserStore> stores;
  private final GrpcCleanup cleanup = new GrpcCleanup();
  @Nullable private ManagedChannel channel;

  /**
   * @param stores opens the store, once, before all tests (after the class's {@code @TempDir} is set)
   */
  RealServer(Callable<UserStore> stores) {
    this.stores = requireNonNull(stores, "stores");
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    UserStore store = cleanup.register(stores.call());
    UserServer server = cleanup.register(
        UserServer.newBuilder(Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()))
            .setStore(store)
            .build()
            .start());
    channel = cleanup.register(Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
        InsecureChannelCredentials.create()).build());
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    channel = null;
    cleanup.afterAll(context);
  }

  /** Returns the channel to the server; the extension owns it. */
  ManagedChannel channel() {
    if (channel == null) {
      throw new IllegalStateException("the server runs from before all tests of the class to after them");
    }
    return channel;
  }
}
