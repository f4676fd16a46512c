package io.github.usergrpc.user.server;

import io.github.usergrpc.user.service.store.UserStore;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A UserServer on the in-process transport, with a channel to it; a test closes it with try-with-resources or
 * registers it with its {@code GrpcCleanup}.
 */
final class InProcessServer implements AutoCloseable {

  private final UserServer server;
  private final ManagedChannel channel;

  InProcessServer(UserStore store) throws IOException {
    this(store, UnaryOperator.identity());
  }

  InProcessServer(UserStore store, UnaryOperator<UserServer.Builder> configure) throws IOException {
    String name = InProcessServerBuilder.generateName();
    server = configure.apply(UserServer.newBuilder(InProcessServerBuilder.forName(name).directExecutor())
        .setStore(store)).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  UserServer server() {
    return server;
  }

  ManagedChannel channel() {
    return channel;
  }

  UserServiceGrpc.UserServiceBlockingStub blocking() {
    return UserServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    try {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    } finally {
      server.shutdownNow();
      server.awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
