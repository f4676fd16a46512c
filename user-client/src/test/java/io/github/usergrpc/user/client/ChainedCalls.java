package io.github.usergrpc.user.client;

import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Calls issued one from the completion of the one before, as a consumer chaining futures (or callbacks) does,
 * against an in-process server that answers every GetUser. The client runs its callbacks on the transport's
 * threads ({@code directExecutor()}, as the benchmarks' load generator and many busy clients do), here the
 * server's, so each call completes on another thread than the one that made it. {@link ChainedCallsTest} runs
 * it in a class loader holding only what a consumer's class path gets from user-client (and the in-process
 * transport), so it references nothing else: no user-server, no test library.
 */
public final class ChainedCalls {

  private ChainedCalls() {}

  /**
   * Makes {@code calls} GetUser calls in a chain and returns when the last one is answered.
   *
   * @param calls how many calls, at least 1
   * @throws Exception if a call fails, or the chain takes more than a minute
   */
  public static void run(int calls) throws Exception {
    String name = InProcessServerBuilder.generateName();
    Server server = InProcessServerBuilder.forName(name)
        .addService(new UserServiceGrpc.UserServiceImplBase() {
          @Override
          public void getUser(GetUserRequest request, StreamObserver<UserResponse> responses) {
            responses.onNext(UserResponse.newBuilder().setId(request.getId()).build());
            responses.onCompleted();
          }
        })
        .build()
        .start();
    // Each callback runs inside the gRPC Context of the call it completes, and makes the next call there.
    try (UserClient client = UserClient.newBuilder()
        .setChannelBuilder(InProcessChannelBuilder.forName(name).directExecutor()).build()) {
      CompletableFuture<Void> done = new CompletableFuture<>();
      next(client, calls, done);
      done.get(1, TimeUnit.MINUTES);
    } finally {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static void next(UserClient client, int remaining, CompletableFuture<Void> done) {
    client.getUser("u" + remaining).whenComplete((user, failure) -> {
      if (failure != null) {
        done.completeExceptionally(failure);
      } else if (remaining == 1) {
        done.complete(null);
      } else {
        next(client, remaining - 1, done);
      }
    });
  }
}
