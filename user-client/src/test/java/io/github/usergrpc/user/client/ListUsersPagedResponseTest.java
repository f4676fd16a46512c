package io.github.usergrpc.user.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.server.Futures;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.service.UserServiceCore;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.v1.ListUsersRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link ListUsersPagedResponse} and {@link ListUsersPage} against the service core on the in-process transport,
 * counting the ListUsers calls that reach the server.
 */
class ListUsersPagedResponseTest {

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();

  private final AtomicInteger listCalls = new AtomicInteger();
  private final ConcurrentLinkedQueue<ListUsersRequest> listRequests = new ConcurrentLinkedQueue<>();
  /** The ListUsers call (1-based) that the server fails with PERMISSION_DENIED; 0 for none. */
  private volatile int failingCall;
  /** Whether the server leaves ListUsers calls unanswered, counting down {@link #cancelled} on cancel. */
  private volatile boolean holdCalls;
  private final CountDownLatch cancelled = new CountDownLatch(1);
  private UserClient client;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    UserServiceCore core = cleanup.register(UserServiceCore.newBuilder().setStore(new InMemoryUserStore())
        .addInterceptor(new ListUsersSpy())
        .build());
    core.start();
    cleanup.register(InProcessServerBuilder.forName(name).directExecutor()
        .addService(core.userService())
        .build()
        .start());
    client = cleanup.register(UserClient.newBuilder()
        .setChannelBuilder(InProcessChannelBuilder.forName(name).directExecutor())
        .build());
  }

  @Test
  void getNextPage_followsNextPageToken_keepingPageSizeAndFilter() {
    seed(25, "viewer");

    ListUsersPagedResponse response = client.listUsersPaged(request(10));
    ListUsersPage first = response.getPage();
    ListUsersPage second = first.getNextPage();
    ListUsersPage third = second.getNextPage();

    assertThat(first.getValues()).hasSize(10);
    assertThat(first.hasNextPage()).isTrue();
    assertThat(response.getNextPageToken()).isEqualTo(first.getNextPageToken()).isNotEmpty();
    assertThat(second.getRequest().getPageToken()).isEqualTo(first.getNextPageToken());
    assertThat(second.getRequest().getLimit()).isEqualTo(10);
    assertThat(second.getValues()).hasSize(10);
    assertThat(third.getValues()).hasSize(5);
    assertThat(third.hasNextPage()).isFalse();
    assertThat(third.getNextPageToken()).isEmpty();
    assertThatThrownBy(third::getNextPage).isInstanceOf(NoSuchElementException.class);
    assertThatThrownBy(third::getNextPageAsync).isInstanceOf(NoSuchElementException.class);
    List<UserResponse> paged = new ArrayList<>(first.getValues());
    paged.addAll(second.getValues());
    paged.addAll(third.getValues());
    assertThat(paged).containsExactlyElementsOf(allInOneCall());
  }

  @Test
  void iterateAll_fetchesEachPageOnlyWhenTheOneBeforeIsUsedUp() {
    seed(45, "viewer");
    List<UserResponse> expected = allInOneCall();
    listCalls.set(0);

    ListUsersPagedResponse response = client.listUsersPaged(request(10));
    Iterator<UserResponse> users = response.iterateAll().iterator();
    List<UserResponse> seen = new ArrayList<>();
    List<Integer> callsAfter = new ArrayList<>();
    while (users.hasNext()) {
      seen.add(users.next());
      callsAfter.add(listCalls.get());
    }

    assertThat(seen).containsExactlyElementsOf(expected);
    assertThat(callsAfter.get(0)).as("calls after the 1st user").isEqualTo(1);
    assertThat(callsAfter.get(9)).as("calls after the 10th user").isEqualTo(1);
    assertThat(callsAfter.get(10)).as("calls after the 11th user").isEqualTo(2);
    assertThat(callsAfter.get(44)).as("calls after the last user").isEqualTo(5);
    listCalls.set(0);
    assertThat(response.streamAll().limit(15)).hasSize(15);
    assertThat(listCalls.get()).as("calls for 15 users, the first page already fetched").isEqualTo(1);
    listCalls.set(0);
    assertThat(response.iteratePages()).extracting(page -> page.getValues().size()).containsExactly(10, 10, 10, 10, 5);
    assertThat(listCalls.get()).as("calls for the pages after the first").isEqualTo(4);
  }

  @Test
  void listAllUsers_delegatesToThePagedResponse_andCallsNothingBeforeTheStreamIsUsed() {
    seed(12, "viewer");
    List<UserResponse> expected = allInOneCall();
    listCalls.set(0);

    Stream<UserResponse> users = client.listAllUsers(request(5));
    int callsBefore = listCalls.get();
    List<UserResponse> all = users.toList();

    assertThat(callsBefore).isZero();
    assertThat(all).containsExactlyElementsOf(expected);
    assertThat(listCalls.get()).isEqualTo(3);
  }

  @Test
  void listUsersPagedAsync_walksEveryPageWithGetNextPageAsync() {
    seed(25, "viewer");
    listCalls.set(0);

    List<UserResponse> collected = new ArrayList<>();
    CompletableFuture<Void> done = client.listUsersPagedAsync(request(10))
        .thenCompose(response -> collect(response.getPage(), collected));

    assertThat(done).succeedsWithin(Duration.ofSeconds(10));
    assertThat(collected).hasSize(25).doesNotHaveDuplicates();
    assertThat(listCalls.get()).isEqualTo(3);
  }

  private static CompletableFuture<Void> collect(ListUsersPage page, List<UserResponse> into) {
    into.addAll(page.getValues());
    return page.hasNextPage()
        ? page.getNextPageAsync().thenCompose(next -> collect(next, into))
        : CompletableFuture.completedFuture(null);
  }

  @Test
  void failedPage_surfacesAsTheClientsException_syncAndAsync() {
    seed(25, "viewer");
    listCalls.set(0);
    failingCall = 2;

    ListUsersPagedResponse response = client.listUsersPaged(request(10));
    Iterator<UserResponse> users = response.iterateAll().iterator();
    for (int i = 0; i < 10; i++) {
      users.next();
    }

    assertThatThrownBy(users::hasNext).isInstanceOfSatisfying(UserServiceException.class,
        e -> assertThat(e.code()).isEqualTo(Status.Code.PERMISSION_DENIED));
    failingCall = 3;
    assertThat(Futures.failureOf(response.getPage().getNextPageAsync()))
        .isInstanceOfSatisfying(UserServiceException.class,
            e -> assertThat(e.code()).isEqualTo(Status.Code.PERMISSION_DENIED));
    failingCall = 4;
    assertThatThrownBy(() -> client.listUsersPaged(request(10))).isInstanceOfSatisfying(UserServiceException.class,
        e -> assertThat(e.code()).isEqualTo(Status.Code.PERMISSION_DENIED));
    failingCall = 0;
    assertThat(users.hasNext()).as("the same iterator asks again for the page that failed").isTrue();
  }

  @Test
  void invalidRequest_failsWithTheTypedException_locallyOrFromTheServer() {
    listCalls.set(0);

    assertThatThrownBy(() -> client.listUsersPaged(request(-1))).isInstanceOf(InvalidArgumentException.class);
    assertThat(Futures.failureOf(client.listUsersPagedAsync(request(-1)))).isInstanceOf(InvalidArgumentException.class);
    assertThat(listCalls.get()).as("calls for requests the client validates").isZero();
    assertThat(Futures.failureOf(client.listUsersPagedAsync(request(10).toBuilder().setPageToken("forged").build())))
        .isInstanceOfSatisfying(InvalidArgumentException.class,
            e -> assertThat(e.reason()).contains("INVALID_PAGE_TOKEN"));
  }

  @Test
  void emptyResult_isOnePageWithoutUsers() {
    listCalls.set(0);

    ListUsersPagedResponse response = client.listUsersPaged(ListUsersRequest.getDefaultInstance());

    assertThat(response.getPage().getValues()).isEmpty();
    assertThat(response.getPage().hasNextPage()).isFalse();
    assertThat(response.getNextPageToken()).isEmpty();
    assertThat(response.iterateAll()).isEmpty();
    assertThat(response.streamAll()).isEmpty();
    assertThat(response.iteratePages()).hasSize(1);
    assertThat(listCalls.get()).isEqualTo(1);
  }

  @Test
  void pageSize_limitsEveryPage_andZeroMeansTheDefaultOfTwenty() {
    seed(7, "admin");
    seed(18, "viewer");
    listRequests.clear();

    ListUsersPagedResponse admins = client.listUsersPaged(request(3).toBuilder().setRoleFilter("admin").build());
    List<Integer> adminPages = StreamSupport.stream(admins.iteratePages().spliterator(), false)
        .map(page -> page.getValues().size()).toList();
    List<ListUsersRequest> sent = List.copyOf(listRequests);
    List<Integer> defaultPages = StreamSupport.stream(
        client.listUsersPaged(ListUsersRequest.getDefaultInstance()).iteratePages().spliterator(), false)
        .map(page -> page.getValues().size()).toList();

    assertThat(adminPages).containsExactly(3, 3, 1);
    assertThat(admins.streamAll()).hasSize(7).allSatisfy(user -> assertThat(user.getRole()).isEqualTo("admin"));
    assertThat(sent).hasSize(3).allSatisfy(request -> {
      assertThat(request.getLimit()).isEqualTo(3);
      assertThat(request.getRoleFilter()).isEqualTo("admin");
    });
    assertThat(defaultPages).containsExactly(20, 5);
  }

  @Test
  void cancellingTheAsyncFuture_cancelsTheCallOnTheWire() throws Exception {
    holdCalls = true;
    // A deadline far beyond the wait below, so that only the cancellation can end the call in time.
    UserClient patient = client.withTimeout(Duration.ofMinutes(5));

    CompletableFuture<ListUsersPagedResponse> response = patient.listUsersPagedAsync(request(10));
    assertThat(response.cancel(true)).isTrue();

    assertThat(cancelled.await(10, TimeUnit.SECONDS)).as("the server saw the call cancelled").isTrue();
    assertThat(response).isCancelled();
  }

  private static ListUsersRequest request(int limit) {
    return ListUsersRequest.newBuilder().setLimit(limit).build();
  }

  private void seed(int count, String role) {
    int offset = (int) client.listAllUsers().count();
    for (int i = 0; i < count; i++) {
      client.createUser("user" + (offset + i) + "@example.com", "User " + (offset + i), role).join();
    }
  }

  private List<UserResponse> allInOneCall() {
    return client.listUsers(request(1000)).join().getUsersList();
  }

  /** Counts and records the ListUsers calls, fails the one numbered {@link #failingCall}, or holds them. */
  private final class ListUsersSpy implements ServerInterceptor {
    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
        ServerCallHandler<ReqT, RespT> next) {
      if (!call.getMethodDescriptor().getFullMethodName()
          .equals(UserServiceGrpc.getListUsersMethod().getFullMethodName())) {
        return next.startCall(call, headers);
      }
      if (listCalls.incrementAndGet() == failingCall) {
        call.close(Status.PERMISSION_DENIED.withDescription("injected"), new Metadata());
        return new ServerCall.Listener<>() {};
      }
      if (holdCalls) {
        return new ServerCall.Listener<>() {
          @Override
          public void onCancel() {
            cancelled.countDown();
          }
        };
      }
      return new SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
        @Override
        public void onMessage(ReqT message) {
          listRequests.add((ListUsersRequest) message);
          super.onMessage(message);
        }
      };
    }
  }
}
