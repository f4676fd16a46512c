package io.github.usergrpc.user.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.server.Await;
import io.github.usergrpc.user.server.Futures;
import io.github.usergrpc.user.server.UserServer;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.DeleteUserRequest;
import io.github.usergrpc.user.v1.ListUsersRequest;
import io.github.usergrpc.user.v1.UpdateUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.grpc.Context;
import io.grpc.Deadline;
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
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The client against the reference server on the in-process transport. */
class UserClientTest {

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> TENANT = Metadata.Key.of("x-tenant", Metadata.ASCII_STRING_MARSHALLER);

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();
  private final ConcurrentLinkedQueue<String> calls = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Metadata> headers = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Object> requests = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Deadline> deadlines = new ConcurrentLinkedQueue<>();
  private String name;
  private UserServer server;
  private UserClient client;

  @BeforeEach
  void start() throws Exception {
    name = InProcessServerBuilder.generateName();
    server = cleanup.register(UserServer.newBuilder(InProcessServerBuilder.forName(name).directExecutor())
        .setStore(new InMemoryUserStore())
        .addInterceptor(new ServerInterceptor() {
          @Override
          public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call,
              Metadata requestHeaders, ServerCallHandler<ReqT, RespT> next) {
            calls.add(call.getMethodDescriptor().getBareMethodName());
            headers.add(requestHeaders);
            Deadline deadline = Context.current().getDeadline();
            if (deadline != null) {
              deadlines.add(deadline);
            }
            return new SimpleForwardingServerCallListener<>(next.startCall(call, requestHeaders)) {
              @Override
              public void onMessage(ReqT message) {
                requests.add(message);
                super.onMessage(message);
              }
            };
          }
        })
        .build()
        .start());
    client = newClient(UserClient.newBuilder());
  }

  /** Returns a client of the server, closed after the test (before the server). */
  private UserClient newClient(UserClient.Builder builder) {
    return cleanup.register(builder.setChannelBuilder(InProcessChannelBuilder.forName(name).directExecutor()).build());
  }

  @Test
  void unaryCalls_roundTripThroughTheServer() {
    UserResponse ada = client.createUser("ada@example.com", "Ada", "admin").join();

    assertThat(client.getUser(ada.getId()).join()).isEqualTo(ada);
    UserResponse renamed = client.updateUser(UpdateUserRequest.newBuilder().setId(ada.getId())
        .setName("Ada King").setEtag(ada.getEtag()).build()).join();
    assertThat(renamed.getName()).isEqualTo("Ada King");
    assertThat(client.listUsers(ListUsersRequest.getDefaultInstance()).join().getUsersList())
        .containsExactly(renamed);
    ActivityEvent event = client.recordActivity(ada.getId(), "page_view", "/home").join();
    assertThat(event.getSequence()).isPositive();
    client.deleteUser(DeleteUserRequest.newBuilder().setId(ada.getId()).setEtag(renamed.getEtag()).build()).join();
    assertThatThrownBy(() -> client.getUser(ada.getId()).join()).hasCauseInstanceOf(UserNotFoundException.class);
  }

  @Test
  void createUser_addsARequestId_soARepeatReturnsTheFirstUser() {
    UserResponse first = client.createUser("once@example.com", "Once", "").join();

    CreateUserRequest sent = (CreateUserRequest) requests.peek();
    assertThat(UUID.fromString(sent.getRequestId()).toString()).isEqualTo(sent.getRequestId());
    assertThat(client.createUser(sent).join()).isEqualTo(first);
  }

  @Test
  void createUser_automaticRequestIdsOff_sendsNone() {
    UserClient plain = newClient(UserClient.newBuilder().setAutomaticRequestIds(false));

    plain.createUser("plain@example.com", "Plain", "").join();

    assertThat(((CreateUserRequest) requests.peek()).getRequestId()).isEmpty();
  }

  @Test
  void failures_areTypedAndKeepTheServersDetails() {
    UserResponse user = client.createUser("dup@example.com", "Dup", "").join();
    client.updateUser(UpdateUserRequest.newBuilder().setId(user.getId()).setName("Changed").build()).join();

    assertThat(Futures.failureOf(client.getUser("00000000-0000-0000-0000-000000000000")))
        .isInstanceOfSatisfying(UserNotFoundException.class, e -> {
          assertThat(e.code()).isEqualTo(Status.Code.NOT_FOUND);
          assertThat(e.reason()).contains("USER_NOT_FOUND");
          assertThat(e.errorInfo().getMetadataMap()).containsEntry("user_id", "00000000-0000-0000-0000-000000000000");
          assertThat(e.isRetryable()).isFalse();
        });
    assertThat(Futures.failureOf(client.createUser("DUP@example.com", "Other", "")))
        .isInstanceOf(UserAlreadyExistsException.class);
    assertThat(Futures.failureOf(client.updateUser(UpdateUserRequest.newBuilder().setId(user.getId())
        .setName("Stale").setEtag(user.getEtag()).build())))
        .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.reason()).contains("ETAG_MISMATCH"));
  }

  @Test
  void invalidRequest_failsFastWithoutACall_withTheServersFieldViolations() {
    CreateUserRequest bad = CreateUserRequest.newBuilder().setEmail("nope").setName("").setRole("Admin").build();
    UserClient unvalidated = newClient(UserClient.newBuilder().setValidateRequests(false));
    InvalidArgumentException fromServer = (InvalidArgumentException) Futures.failureOf(unvalidated.createUser(bad));
    calls.clear();

    Throwable local = Futures.failureOf(client.createUser(bad));

    assertThat(calls).isEmpty();
    assertThat(local).isInstanceOfSatisfying(InvalidArgumentException.class, e -> {
      assertThat(e.fieldViolations()).containsExactlyInAnyOrderElementsOf(fromServer.fieldViolations());
      assertThat(e.reason()).isEqualTo(fromServer.reason());
      assertThat(e.status().getDescription()).isEqualTo(fromServer.status().getDescription());
    });
    assertThat(fromServer.fieldViolations()).extracting(v -> v.getField())
        .containsExactlyInAnyOrder("email", "name", "role");
  }

  @Test
  void withTimeout_appliesPerCall_notOnceForAllCalls() throws Exception {
    UserClient fast = client.withTimeout(Duration.ofMillis(300));
    UserResponse user = fast.createUser("t@example.com", "T", "").join();
    Deadline first = deadlines.peek();

    Await.until("the first call's deadline to pass", first::isExpired);

    assertThat(fast.getUser(user.getId()).join()).isEqualTo(user);
    assertThat(fast.timeouts()).containsValue(Duration.ofMillis(300)).hasSize(6);
    fast.close();
    assertThat(client.getUser(user.getId()).join()).isEqualTo(user);
  }

  @Test
  void everyCall_carriesItsDeadline() {
    client.createUser("deadline@example.com", "D", "").join();

    Metadata sent = headers.peek();
    String timeout = sent.get(Metadata.Key.of("grpc-timeout", Metadata.ASCII_STRING_MARSHALLER));
    assertThat(timeout).as("grpc-timeout header").isNotNull();
  }

  @Test
  void listAllUsers_fetchesPagesOnlyAsTheStreamNeedsThem() {
    for (int i = 0; i < 45; i++) {
      client.createUser("u" + i + "@example.com", "U" + i, "").join();
    }
    calls.clear();

    List<String> firstFive = client.listAllUsers(ListUsersRequest.newBuilder().setLimit(10).build())
        .limit(5).map(UserResponse::getEmail).toList();
    long listCallsForFive = calls.stream().filter("ListUsers"::equals).count();
    calls.clear();
    List<UserResponse> all = client.listAllUsers(ListUsersRequest.newBuilder().setLimit(10).build()).toList();

    assertThat(firstFive).containsExactlyElementsOf(all.subList(0, 5).stream().map(UserResponse::getEmail).toList());
    assertThat(listCallsForFive).isEqualTo(1);
    assertThat(all).hasSize(45).extracting(UserResponse::getId).doesNotHaveDuplicates();
    assertThat(calls.stream().filter("ListUsers"::equals).count()).isEqualTo(5);
  }

  @Test
  void listAllUsers_failedPage_throwsTheTypedException() {
    assertThatThrownBy(() -> client.listAllUsers(ListUsersRequest.newBuilder().setLimit(-1).build()).toList())
        .isInstanceOf(InvalidArgumentException.class);
  }

  @Test
  void headersAndBearerToken_areSentWithEveryCall() {
    UserClient withAuth = newClient(UserClient.newBuilder()
        .setBearerToken(() -> "t0k3n")
        .setHeaders(() -> {
          Metadata extra = new Metadata();
          extra.put(TENANT, "acme");
          return extra;
        }));

    withAuth.createUser("auth@example.com", "Auth", "").join();

    Metadata sent = headers.peek();
    assertThat(sent.get(AUTHORIZATION)).isEqualTo("Bearer t0k3n");
    assertThat(sent.get(TENANT)).isEqualTo("acme");
  }

  @Test
  void watchActivity_deliversEventsInOrder_andCompletesAfterDelete() throws Exception {
    UserResponse user = client.createUser("watched@example.com", "W", "").join();
    LinkedBlockingQueue<Object> seen = new LinkedBlockingQueue<>();
    WatchHandle watch = client.watchActivity(user.getId(), new ActivityListener() {
      @Override
      public void onEvent(ActivityEvent event) {
        seen.add(event);
      }

      @Override
      public void onCompleted() {
        seen.add("completed");
      }
    });
    watch.started().toCompletableFuture().get(Await.BOUND.toSeconds(), TimeUnit.SECONDS);

    client.recordActivity(user.getId(), "login", "").join();
    client.deleteUser(user.getId()).join();

    assertThat(((ActivityEvent) seen.poll(5, TimeUnit.SECONDS)).getAction()).isEqualTo("login");
    assertThat(((ActivityEvent) seen.poll(5, TimeUnit.SECONDS)).getAction()).isEqualTo("user.deleted");
    assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo("completed");
    assertThat(watch.isActive()).isFalse();
  }

  @Test
  void watchActivity_started_completesWithTheStartPosition_andLaterEventsFollowIt() throws Exception {
    UserResponse user = client.createUser("start@example.com", "S", "").join();
    ActivityEvent before = client.recordActivity(user.getId(), "before", "").join();
    LinkedBlockingQueue<ActivityEvent> seen = new LinkedBlockingQueue<>();
    WatchHandle watch = client.watchActivity(user.getId(), seen::add);

    long start = watch.started().toCompletableFuture().get(Await.BOUND.toSeconds(), TimeUnit.SECONDS);
    ActivityEvent after = client.recordActivity(user.getId(), "after", "").join();

    assertThat(start).isEqualTo(before.getSequence());
    assertThat(seen.poll(Await.BOUND.toSeconds(), TimeUnit.SECONDS)).isEqualTo(after);
    watch.cancel();
    assertThat(watch.started().toCompletableFuture().join()).as("stays completed").isEqualTo(start);
  }

  @Test
  void watchActivity_cancelledBeforeItStarted_failsStarted() {
    // No server under that name: the watch keeps reconnecting and never starts.
    try (UserClient nowhere = UserClient.newBuilder()
        .setChannelBuilder(InProcessChannelBuilder.forName("nowhere-" + UUID.randomUUID())).build()) {
      WatchHandle watch = nowhere.watchActivity("someone", event -> { });

      watch.cancel();

      assertThatThrownBy(() -> watch.started().toCompletableFuture().join())
          .hasCauseInstanceOf(CancellationException.class);
    }
  }

  @Test
  void watchActivity_unknownUser_endsWithNotFound() throws Exception {
    LinkedBlockingQueue<UserServiceException> errors = new LinkedBlockingQueue<>();
    WatchHandle watch = client.watchActivity("no-such-user", new ActivityListener() {
      @Override
      public void onEvent(ActivityEvent event) {}

      @Override
      public void onError(UserServiceException error) {
        errors.add(error);
      }
    });

    assertThat(errors.poll(5, TimeUnit.SECONDS)).isInstanceOf(UserNotFoundException.class);
    assertThatThrownBy(() -> watch.started().toCompletableFuture().join())
        .hasCauseInstanceOf(UserNotFoundException.class);
  }

  @Test
  void watchActivity_cancel_endsTheServerStream() throws Exception {
    UserResponse user = client.createUser("cancel@example.com", "C", "").join();
    WatchHandle watch = client.watchActivity(user.getId(), event -> { });
    awaitWatches(1);

    watch.cancel();

    awaitWatches(0);
    assertThat(watch.isActive()).isFalse();
  }

  @Test
  void activityPublisher_deliversOnlyWhatWasRequested() throws Exception {
    UserResponse user = client.createUser("pub@example.com", "P", "").join();
    for (int i = 0; i < 5; i++) {
      client.recordActivity(user.getId(), "page_view", "/" + i).join();
    }
    LinkedBlockingQueue<ActivityEvent> received = new LinkedBlockingQueue<>();
    Flow.Subscription[] subscription = new Flow.Subscription[1];
    client.activityPublisher(user.getId(), 1).subscribe(new Flow.Subscriber<>() {
      @Override
      public void onSubscribe(Flow.Subscription s) {
        subscription[0] = s;
        s.request(2);
      }

      @Override
      public void onNext(ActivityEvent item) {
        received.add(item);
      }

      @Override
      public void onError(Throwable throwable) {}

      @Override
      public void onComplete() {}
    });

    assertThat(received.poll(5, TimeUnit.SECONDS)).isNotNull();
    assertThat(received.poll(5, TimeUnit.SECONDS)).isNotNull();
    assertThat(received.poll(300, TimeUnit.MILLISECONDS)).as("a third event before it was requested").isNull();
    subscription[0].request(3);
    List<ActivityEvent> rest = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      rest.add(received.poll(5, TimeUnit.SECONDS));
    }
    subscription[0].cancel();
    assertThat(rest).doesNotContainNull().extracting(ActivityEvent::getDetails).containsExactly("/2", "/3", "/4");
  }

  @Test
  void serviceConfigJson_showsWhatIsRetried() {
    String json = client.serviceConfigJson();

    assertThat(json).contains("\"retryPolicy\"", "\"UNAVAILABLE\"", "\"maxAttempts\": 4", "\"GetUser\"",
        "\"CreateUser\"", "\"retryThrottling\"");
    assertThat(json).doesNotContain("DEADLINE_EXCEEDED", "hedgingPolicy");
  }

  @Test
  void hedging_replacesRetriesOfTheReads_andCallsStillWork() {
    UserClient hedged = newClient(UserClient.newBuilder().setHedging(new HedgingSettings(3, Duration.ofMillis(50))));

    UserResponse user = hedged.createUser("hedge@example.com", "H", "").join();

    assertThat(hedged.getUser(user.getId()).join()).isEqualTo(user);
    String json = hedged.serviceConfigJson();
    assertThat(json).contains("\"hedgingPolicy\"", "\"hedgingDelay\": \"0.05s\"", "\"maxAttempts\": 3",
        "\"nonFatalStatusCodes\"");
    String reads = json.substring(0, json.indexOf("\"hedgingPolicy\""));
    assertThat(reads).contains("\"GetUser\"", "\"ListUsers\"").doesNotContain("\"CreateUser\"");
  }

  @Test
  void builder_rejectsAmbiguousOrMissingChannel() {
    assertThatThrownBy(() -> UserClient.newBuilder().build()).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("exactly one");
    assertThatThrownBy(() -> UserClient.newBuilder().setTarget("localhost:1")
        .setChannelBuilder(InProcessChannelBuilder.forName("x")).build()).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> RetrySettings.newBuilder().setMaxAttempts(9))
        .hasMessage("maxAttempts: 9 (expected: 1..5)");
    assertThatThrownBy(() -> RetrySettings.newBuilder().setInitialBackoff(Duration.ofSeconds(5)).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("maxBackoff");
  }

  @Test
  void close_failsLaterCalls() {
    client.close();

    assertThatThrownBy(() -> client.getUser("x")).isInstanceOf(IllegalStateException.class)
        .hasMessage("the client is closed");
  }

  private void awaitWatches(int count) {
    Await.until(() -> count + " watches, have " + server.activeWatches(), () -> server.activeWatches() == count);
  }
}
