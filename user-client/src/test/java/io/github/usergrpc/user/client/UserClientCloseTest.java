package io.github.usergrpc.user.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.v1.DeleteUserRequest;
import io.github.usergrpc.user.v1.Empty;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link UserClient#close()} keeps its promise of one grace period, however many channels the client owns. */
class UserClientCloseTest {

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();
  private final CountDownLatch arrived = new CountDownLatch(2);
  private String name;

  /** A server that never answers: calls stay in flight until the client gives up on them. */
  @BeforeEach
  void start() throws Exception {
    name = InProcessServerBuilder.generateName();
    cleanup.register(InProcessServerBuilder.forName(name)
        .addService(new UserServiceGrpc.UserServiceImplBase() {
          @Override
          public void getUser(GetUserRequest request, StreamObserver<UserResponse> responses) {
            arrived.countDown();
          }

          @Override
          public void deleteUser(DeleteUserRequest request, StreamObserver<Empty> responses) {
            arrived.countDown();
          }
        })
        .build()
        .start());
  }

  @Test
  void close_callsInFlightOnBothChannels_waitsOneGracePeriodInAll() throws Exception {
    UserClient client = cleanup.register(UserClient.newBuilder()
        .setChannelBuilder(InProcessChannelBuilder.forName(name))
        .setTimeout(Duration.ofMinutes(1))
        .build());
    // A read goes on the channel with retries, a delete without an etag on the one without.
    CompletableFuture<UserResponse> read = client.getUser("u-1");
    CompletableFuture<Empty> delete = client.deleteUser("u-2");
    assertThat(arrived.await(10, TimeUnit.SECONDS)).as("both calls reached the server").isTrue();

    long start = System.nanoTime();
    client.close();
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    // Each channel waited its own 5 s before: 10 s in all.
    assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(4_500)).isLessThan(Duration.ofMillis(7_500));
    assertThat(read).failsWithin(Duration.ofSeconds(5));
    assertThat(delete).failsWithin(Duration.ofSeconds(5));
  }
}
