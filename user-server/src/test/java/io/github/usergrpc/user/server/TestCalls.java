package io.github.usergrpc.user.server;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.DeleteUserRequest;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.ListUsersRequest;
import io.github.usergrpc.user.v1.RecordActivityRequest;
import io.github.usergrpc.user.v1.UpdateUserRequest;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.github.usergrpc.user.v1.WatchRequest;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Calls any UserService method and reports how the server closed the call; for tests of every method. */
final class TestCalls {

  /** Sends and receives raw bytes: what any method receives when a client sends garbage. */
  static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  private TestCalls() {}

  /** How a call ended. */
  record Closed(Status status, Metadata trailers) {

    Status.Code code() {
      return status.getCode();
    }

    /** Returns the {@code ErrorInfo.reason}, or empty when the status carries none. */
    String reason() {
      return errorInfo().getReason();
    }

    ErrorInfo errorInfo() {
      return detail(ErrorInfo.class).orElse(ErrorInfo.getDefaultInstance());
    }

    /** Returns the {@code BadRequest} detail, or an empty one. */
    BadRequest badRequest() {
      return detail(BadRequest.class).orElse(BadRequest.getDefaultInstance());
    }

    private <T extends Message> Optional<T> detail(Class<T> type) {
      com.google.rpc.Status details = StatusProto.fromStatusAndTrailers(status, trailers);
      try {
        for (com.google.protobuf.Any detail : details.getDetailsList()) {
          if (detail.is(type)) {
            return Optional.of(detail.unpack(type));
          }
        }
      } catch (InvalidProtocolBufferException e) {
        throw new AssertionError(e);
      }
      return Optional.empty();
    }

    @Override
    public String toString() {
      return status + " " + reason();
    }
  }

  /**
   * Returns a valid request for every method of the UserService, in the order of the service, each naming
   * {@code userId} where it names a user.
   */
  static Map<MethodDescriptor<? extends Message, ?>, Message> validRequests(String userId) {
    Map<MethodDescriptor<? extends Message, ?>, Message> requests = new LinkedHashMap<>();
    requests.put(UserServiceGrpc.getGetUserMethod(), GetUserRequest.newBuilder().setId(userId).build());
    requests.put(UserServiceGrpc.getCreateUserMethod(),
        CreateUserRequest.newBuilder().setEmail("new-" + userId + "@example.com").setName("New").build());
    requests.put(UserServiceGrpc.getListUsersMethod(), ListUsersRequest.getDefaultInstance());
    requests.put(UserServiceGrpc.getUpdateUserMethod(),
        UpdateUserRequest.newBuilder().setId(userId).setName("Renamed").build());
    requests.put(UserServiceGrpc.getDeleteUserMethod(), DeleteUserRequest.newBuilder().setId(userId).build());
    requests.put(UserServiceGrpc.getWatchUserActivityMethod(), WatchRequest.newBuilder().setUserId(userId).build());
    requests.put(UserServiceGrpc.getRecordActivityMethod(),
        RecordActivityRequest.newBuilder().setUserId(userId).setAction("page_view").build());
    return requests;
  }

  /** Returns {@code method} sending and receiving raw bytes. */
  static MethodDescriptor<byte[], byte[]> raw(MethodDescriptor<?, ?> method) {
    return method.toBuilder(BYTES, BYTES).build();
  }

  /** A call that has been sent and may still be open. */
  record Started(ClientCall<?, ?> call, CompletableFuture<Closed> closed) {

    /** Cancels the call, as a client that goes away does. */
    void cancel() {
      call.cancel("the test cancels the call", null);
    }
  }

  /**
   * Sends {@code request} as the only message of a call to {@code method}, asking for every response;
   * returns at once.
   */
  @SuppressWarnings("unchecked")
  static <ReqT, RespT> Started start(Channel channel, MethodDescriptor<ReqT, RespT> method, Object request,
      Metadata headers, CallOptions options) {
    ClientCall<ReqT, RespT> call = channel.newCall(method, options);
    CompletableFuture<Closed> closed = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(new Closed(status, trailers));
      }
    }, headers);
    call.request(Integer.MAX_VALUE);
    call.sendMessage((ReqT) request);
    call.halfClose();
    return new Started(call, closed);
  }

  /**
   * Sends {@code request} as the only message of a call to {@code method} and waits for the call to end;
   * a stream that stays open past {@code timeout} ends with the client's DEADLINE_EXCEEDED.
   */
  static <ReqT, RespT> Closed call(Channel channel, MethodDescriptor<ReqT, RespT> method, Object request,
      Metadata headers, Duration timeout) {
    Started started = start(channel, method, request, headers,
        CallOptions.DEFAULT.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS));
    try {
      return started.closed().get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } catch (ExecutionException | TimeoutException e) {
      throw new AssertionError("the call to " + method.getFullMethodName() + " never ended", e);
    }
  }

  /** Opens a watch of {@code userId} without deadline; see {@link #start}. */
  static Started watch(Channel channel, String userId) {
    return start(channel, UserServiceGrpc.getWatchUserActivityMethod(),
        WatchRequest.newBuilder().setUserId(userId).build(), new Metadata(), CallOptions.DEFAULT);
  }

  /** Waits until {@code server} has {@code count} open watch streams. */
  static void awaitWatches(UserServer server, int count) {
    Await.until(() -> count + " watches, have " + server.activeWatches(), () -> server.activeWatches() == count);
  }

  /** Returns headers carrying {@code authorization: Bearer <token>}. */
  static Metadata bearer(String token) {
    Metadata headers = new Metadata();
    headers.put(AuthInterceptor.AUTHORIZATION, "Bearer " + token);
    return headers;
  }
}
