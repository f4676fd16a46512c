package io.github.usergrpc.user.testkit;

import io.github.usergrpc.user.server.UserServer;
import io.github.usergrpc.user.service.store.UserStore;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** The reference server on a real Netty port of the loopback interface, with a channel to it. */
final class RealServer implements AutoCloseable {

  private final UserStore store;
  private final UserServer server;
  private final ManagedChannel channel;

  RealServer(UserStore store) throws IOException {
    this.store = store;
    this.server = UserServer.newBuilder(Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()))
        .setStore(store)
        .build()
        .start();
    this.channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
        InsecureChannelCredentials.create()).build();
  }

  ManagedChannel channel() {
    return channel;
  }

  UserServer server() {
    return server;
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    server.close();
    store.close();
  }
}
