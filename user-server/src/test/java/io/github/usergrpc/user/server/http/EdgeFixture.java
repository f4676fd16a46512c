package io.github.usergrpc.user.server.http;

import io.github.usergrpc.user.server.UserServer;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.net.URI;
import java.util.function.UnaryOperator;

/**
 * The HTTP port as the HTTP tests need it: a {@link UserServer} on the in-process transport and the memory
 * store, the channel the edge calls it on (to build other edges on), and an {@link HttpEdge} in front of its
 * service, all registered with the test's {@link GrpcCleanup} (which closes the edge, the channel and the
 * server, in that order).
 */
record EdgeFixture(UserServer server, ManagedChannel channel, HttpEdge edge) {

  /** Starts an edge with the defaults. */
  static EdgeFixture start(GrpcCleanup cleanup) throws Exception {
    return start(cleanup, channel -> channel, edge -> edge);
  }

  /**
   * Starts an edge.
   *
   * @param channel configures the channel the edge calls the server on
   * @param edge configures the edge
   */
  static EdgeFixture start(GrpcCleanup cleanup, UnaryOperator<InProcessChannelBuilder> channel,
      UnaryOperator<HttpEdge.Builder> edge) throws Exception {
    String name = InProcessServerBuilder.generateName();
    UserServer server = cleanup.register(UserServer.newBuilder(InProcessServerBuilder.forName(name))
        .setStore(new InMemoryUserStore()).build().start());
    ManagedChannel local = cleanup.register(channel.apply(InProcessChannelBuilder.forName(name)).build());
    HttpEdge started = cleanup.register(edge.apply(HttpEdge.newBuilder(server.userService(), local)).build().start());
    return new EdgeFixture(server, local, started);
  }

  /** Returns the URI of {@code path} on the edge, such as {@code /v1/users}. */
  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + edge.port() + path);
  }
}
