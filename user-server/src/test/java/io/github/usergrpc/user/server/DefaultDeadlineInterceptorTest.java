package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.github.usergrpc.user.v1.WatchRequest;
import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The default deadline's mechanism on one call at a time, without a transport: its timer task, what it
 * closes the call with, and what it drops after.
 */
class DefaultDeadlineInterceptorTest {

  private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);

  {
    timer.setRemoveOnCancelPolicy(true);
  }

  @AfterEach
  void stopTimer() {
    timer.shutdownNow();
  }

  @Test
  void callsThatEnd_leaveNoTaskOnTheTimer() {
    DefaultDeadlineInterceptor interceptor = new DefaultDeadlineInterceptor(Duration.ofHours(1), timer);

    for (int i = 0; i < 1000; i++) {
      RecordingCall<GetUserRequest, UserResponse> call = new RecordingCall<>(UserServiceGrpc.getGetUserMethod());
      ServerCall.Listener<GetUserRequest> listener = interceptor.interceptCall(call, new Metadata(), answering());
      listener.onHalfClose();
      if (i % 2 == 0) {
        listener.onComplete();
      } else {
        listener.onCancel();
      }
    }

    assertThat(timer.getQueue()).isEmpty();
  }

  @Test
  void expiry_closesWithDeadlineExceeded_andDropsWhatTheHandlerSendsAfter() {
    DefaultDeadlineInterceptor interceptor = new DefaultDeadlineInterceptor(Duration.ofMillis(50), timer);
    RecordingCall<GetUserRequest, UserResponse> call = new RecordingCall<>(UserServiceGrpc.getGetUserMethod());
    List<ServerCall<GetUserRequest, UserResponse>> seen = new ArrayList<>();

    interceptor.interceptCall(call, new Metadata(), (handled, headers) -> {
      seen.add(handled);
      return new ServerCall.Listener<>() {};
    });
    Await.until("the deadline closed the call", () -> call.closed() != null);
    ServerCall<GetUserRequest, UserResponse> handled = seen.get(0);
    handled.sendHeaders(new Metadata());
    handled.sendMessage(UserResponse.getDefaultInstance());
    handled.close(Status.OK, new Metadata());

    assertThat(call.closed().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(call.closed().getDescription()).isEqualTo("the call was sent without a deadline and did not"
        + " finish within the server's default of 50 ms");
    ErrorInfo info = errorInfo(call);
    assertThat(info.getReason()).isEqualTo("DEADLINE_EXCEEDED");
    assertThat(call.events).containsExactly("close DEADLINE_EXCEEDED");
    assertThat(handled.isCancelled()).isTrue();
  }

  @Test
  void callThatEndsFirst_isNotClosedAgainByItsDeadline() {
    DefaultDeadlineInterceptor interceptor = new DefaultDeadlineInterceptor(Duration.ofMillis(1), timer);
    RecordingCall<GetUserRequest, UserResponse> call = new RecordingCall<>(UserServiceGrpc.getGetUserMethod());
    List<ServerCall<GetUserRequest, UserResponse>> seen = new ArrayList<>();

    interceptor.interceptCall(call, new Metadata(), (handled, headers) -> {
      seen.add(handled);
      handled.sendHeaders(new Metadata());
      handled.sendMessage(UserResponse.getDefaultInstance());
      handled.close(Status.OK, new Metadata());
      return new ServerCall.Listener<>() {};
    });
    // The call ended, but gRPC has not told its listener yet: the task may still run, and must not close.
    Await.until("the deadline task ran", () -> timer.getCompletedTaskCount() == 1);

    assertThat(call.events).containsExactly("headers", "message", "close OK");
    assertThat(seen.get(0).isCancelled()).isFalse();
  }

  @Test
  void callWithItsOwnDeadline_andStreams_getNoTask() {
    DefaultDeadlineInterceptor interceptor = new DefaultDeadlineInterceptor(Duration.ofHours(1), timer);

    Context.current().withDeadlineAfter(10, TimeUnit.SECONDS, timer).run(() -> interceptor.interceptCall(
        new RecordingCall<>(UserServiceGrpc.getGetUserMethod()), new Metadata(), answering()));
    interceptor.interceptCall(new RecordingCall<WatchRequest, ActivityEvent>(
        UserServiceGrpc.getWatchUserActivityMethod()), new Metadata(),
        (call, headers) -> new ServerCall.Listener<>() {});

    // The only task is the test's own context deadline.
    assertThat(timer.getQueue()).hasSize(1);
  }

  @Test
  void shutDownTimer_refusesTheCallAsShuttingDown() {
    timer.shutdown();
    DefaultDeadlineInterceptor interceptor = new DefaultDeadlineInterceptor(Duration.ofHours(1), timer);
    RecordingCall<GetUserRequest, UserResponse> call = new RecordingCall<>(UserServiceGrpc.getGetUserMethod());

    interceptor.interceptCall(call, new Metadata(), (handled, headers) -> {
      throw new AssertionError("the handler must not start");
    });

    assertThat(call.closed().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(errorInfo(call).getReason()).isEqualTo("SERVER_SHUTTING_DOWN");
  }

  private static ServerCallHandler<GetUserRequest, UserResponse> answering() {
    return (call, headers) -> new ServerCall.Listener<>() {
      @Override
      public void onHalfClose() {
        call.sendHeaders(new Metadata());
        call.sendMessage(UserResponse.getDefaultInstance());
        call.close(Status.OK, new Metadata());
      }
    };
  }

  private static ErrorInfo errorInfo(RecordingCall<?, ?> call) {
    try {
      return StatusProto.fromStatusAndTrailers(call.closed(), call.trailers).getDetails(0).unpack(ErrorInfo.class);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  /** Records what reaches the transport. */
  private static final class RecordingCall<ReqT, RespT> extends ServerCall<ReqT, RespT> {
    private final MethodDescriptor<ReqT, RespT> method;
    final List<String> events = new CopyOnWriteArrayList<>();
    private volatile Status closed;
    private volatile Metadata trailers;

    RecordingCall(MethodDescriptor<ReqT, RespT> method) {
      this.method = method;
    }

    Status closed() {
      return closed;
    }

    @Override
    public void request(int numMessages) {}

    @Override
    public void sendHeaders(Metadata headers) {
      events.add("headers");
    }

    @Override
    public void sendMessage(RespT message) {
      events.add("message");
    }

    @Override
    public void close(Status status, Metadata trailers) {
      this.trailers = trailers;
      this.closed = status;
      events.add("close " + status.getCode());
    }

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public Attributes getAttributes() {
      return Attributes.EMPTY;
    }

    @Override
    public MethodDescriptor<ReqT, RespT> getMethodDescriptor() {
      return method;
    }
  }
}
