package io.github.usergrpc.user.bench;

import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The framework's ceiling: a grpc-java server that answers GetUser with a constant user, on the same
 * transport settings as UserServerMain (Netty, a fixed pool of max(16, 4 x cores) threads, the same message
 * limit and keepalive), with no validation, no error mapping, no store and no etag.
 *
 * <p>With {@code direct} after the port, it runs calls on the transport's thread ({@code directExecutor()})
 * instead: no hand-off from Netty's event loop, the ceiling of a server whose calls never block.
 *
 * <p>{@code java -cp ... io.github.usergrpc.user.bench.BareServer <port> [direct]}
 */
public final class BareServer {

  /** The answer to every GetUser. */
  public static final UserResponse CONSTANT = UserResponse.newBuilder()
      .setId("0b5f2ed4-3f2a-4c35-9a8e-6f1d2c3b4a59")
      .setEmail("bench-user@example.com")
      .setName("Bench User 1")
      .setRole("viewer")
      .setCreatedAt(1_764_000_000L)
      .setUpdatedAt(1_764_000_000L)
      .setEtag("\"3f2a4c359a8e6f1d\"")
      .build();

  private BareServer() {}

  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 50052;
    boolean direct = args.length > 1 && args[1].equals("direct");
    ExecutorService executor = Executors.newFixedThreadPool(
        Math.max(16, 4 * Runtime.getRuntime().availableProcessors()), runnable -> {
          Thread thread = new Thread(runnable, "bare-server-call");
          thread.setDaemon(true);
          return thread;
        });
    ServerBuilder<?> builder = Grpc.newServerBuilderForPort(port, InsecureServerCredentials.create());
    if (direct) {
      builder.directExecutor();
    } else {
      builder.executor(executor);
    }
    Server server = builder
        .maxInboundMessageSize(1024 * 1024)
        .keepAliveTime(60, TimeUnit.SECONDS)
        .keepAliveTimeout(20, TimeUnit.SECONDS)
        .permitKeepAliveTime(10, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true)
        .addService(new UserServiceGrpc.UserServiceImplBase() {
          @Override
          public void getUser(GetUserRequest request, StreamObserver<UserResponse> responses) {
            responses.onNext(CONSTANT);
            responses.onCompleted();
          }
        })
        .build()
        .start();
    System.out.println("bare-server listening on port " + server.getPort() + (direct ? " (direct executor)" : ""));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.shutdownNow();
      executor.shutdownNow();
    }));
    server.awaitTermination();
  }
}
