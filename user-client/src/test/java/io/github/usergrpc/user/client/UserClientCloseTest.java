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
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link UserClient#close()} keeps its promise of one grace period, however many channels the client owns. */
class UserClientCloseTest {

  /** The grace period {@link UserClient#close()} promises for the calls in flight, in all. */
  private static final Duration GRACE = Duration.ofSeconds(5);

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();
  private final CountDownLatch arrived = new CountDownLatch(2);
  private final CountDownLatch cancelled = new CountDownLatch(2);
  /** When the server saw each call cancelled: when the client cut it. */
  private final List<Long> cancelledAtNanos = Collections.synchronizedList(new ArrayList<>());
  private String name;

  /**
   * A server that never answers: calls stay in flight until the client gives up on them, which the server
   * sees as their cancellation.
   */
  @BeforeEach
  void start() throws Exception {
    name = InProcessServerBuilder.generateName();
    cleanup.register(InProcessServerBuilder.forName(name)
        .addService(new UserServiceGrpc.UserServiceImplBase() {
          @Override
          public void getUser(GetUserRequest request, StreamObserver<UserResponse> responses) {
            ((ServerCallStreamObserver<UserResponse>) responses).setOnCancelHandler(UserClientCloseTest.this::cut);
            arrived.countDown();
          }

          @Override
          public void deleteUser(DeleteUserRequest request, StreamObserver<Empty> responses) {
            ((ServerCallStreamObserver<Empty>) responses).setOnCancelHandler(UserClientCloseTest.this::cut);
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

    assertThat(cancelled.await(10, TimeUnit.SECONDS)).as("both calls were cut").isTrue();
    List<Long> cuts = cancelledAtNanos.stream().sorted().toList();
    // close() waited the grace period for the calls in flight before it cut the first (awaitTermination never
    // returns early for a call that does not end, so this holds on any machine).
    assertThat(Duration.ofNanos(cuts.get(0) - start)).isGreaterThanOrEqualTo(GRACE.minusMillis(100));
    // ... and then cut the other channel's at once: each channel waited a grace period of its own before,
    // which put a whole one between the two cuts. (The margin is that whole period, not a guess of speed.)
    assertThat(Duration.ofNanos(cuts.get(1) - cuts.get(0))).isLessThan(GRACE);
    assertThat(read).failsWithin(Duration.ofSeconds(5));
    assertThat(delete).failsWithin(Duration.ofSeconds(5));
  }

  private void cut() {
    cancelledAtNanos.add(System.nanoTime());
    cancelled.countDown();
  }
}
