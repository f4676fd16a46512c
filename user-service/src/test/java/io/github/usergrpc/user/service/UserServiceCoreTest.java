package io.github.usergrpc.user.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.service.internal.ActivityFeed;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.v1.ListUsersRequest;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class UserServiceCoreTest {

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();

  @Test
  void setMaxPendingEventsPerWatch_belowTheMinimum_isRefused() {
    UserServiceCore.Builder builder = UserServiceCore.newBuilder();

    assertThatThrownBy(() -> builder.setMaxPendingEventsPerWatch(ActivityFeed.MIN_PENDING_PER_WATCH - 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("maxPending: 1 (expected: >= 2)");
    assertThat(builder.setMaxPendingEventsPerWatch(ActivityFeed.MIN_PENDING_PER_WATCH)).isSameAs(builder);
  }

  @Test
  void builder_buildsSeveralCores_eachWithItsInterceptorsOnce_andUntouchedByLaterChanges() throws Exception {
    AtomicInteger headerCalls = new AtomicInteger();
    AtomicInteger requestCalls = new AtomicInteger();
    UserServiceCore.Builder builder = UserServiceCore.newBuilder().setStore(new InMemoryUserStore())
        .setCallLogging(false).addHeaderInterceptor(counting(headerCalls)).addInterceptor(counting(requestCalls));
    UserServiceCore first = cleanup.register(builder.build());
    UserServiceCore second = cleanup.register(builder.build());
    builder.addHeaderInterceptor(refusingAll());

    listUsers(second);
    assertThat(headerCalls).as("header interceptors of the second core").hasValue(1);
    assertThat(requestCalls).as("interceptors of the second core").hasValue(1);
    listUsers(first);
    assertThat(headerCalls).hasValue(2);
    assertThat(requestCalls).hasValue(2);
  }

  /** Serves the core in-process and makes one ListUsers call, which must succeed. */
  private void listUsers(UserServiceCore core) throws Exception {
    String name = InProcessServerBuilder.generateName();
    cleanup.register(InProcessServerBuilder.forName(name).directExecutor().addService(core.userService()).build()
        .start());
    UserServiceGrpc.UserServiceBlockingStub users = UserServiceGrpc.newBlockingStub(
        cleanup.register(InProcessChannelBuilder.forName(name).directExecutor().build()));

    assertThat(users.withDeadlineAfter(10, TimeUnit.SECONDS).listUsers(ListUsersRequest.getDefaultInstance())
        .getUsersCount()).isZero();
  }

  private static ServerInterceptor counting(AtomicInteger calls) {
    return new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
          ServerCallHandler<ReqT, RespT> next) {
        calls.incrementAndGet();
        return next.startCall(call, headers);
      }
    };
  }

  private static ServerInterceptor refusingAll() {
    return new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
          ServerCallHandler<ReqT, RespT> next) {
        call.close(Status.PERMISSION_DENIED.withDescription("added after the core was built"), new Metadata());
        return new ServerCall.Listener<>() {};
      }
    };
  }
}
