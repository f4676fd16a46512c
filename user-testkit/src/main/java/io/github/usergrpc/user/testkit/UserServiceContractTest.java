package io.github.usergrpc.user.testkit;

import static io.github.usergrpc.user.testkit.StatusDetails.catchStatus;
import static io.github.usergrpc.user.testkit.StatusDetails.detail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.github.usergrpc.user.api.ErrorReasons;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.DeleteUserRequest;
import io.github.usergrpc.user.v1.ErrorReason;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.ListUsersRequest;
import io.github.usergrpc.user.v1.ListUsersResponse;
import io.github.usergrpc.user.v1.RecordActivityRequest;
import io.github.usergrpc.user.v1.UpdateUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.github.usergrpc.user.v1.WatchRequest;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The behaviour every UserService implementation must show, as JUnit 5 tests over a {@link Channel}: the
 * contract of user.proto, its validation rules and its error details (AIP-193). Extend it and return a
 * channel to the implementation under test:
 *
 * <pre>{@code
 * class MyServiceContractTest extends UserServiceContractTest {
 *   @RegisterExtension
 *   static final FakeUserServiceExtension fake = FakeUserServiceExtension.perClass();
 *
 *   @Override
 *   protected Channel channel() {
 *     return fake.channel();
 *   }
 * }
 * }</pre>
 *
 * <p>The tests do not need an empty directory and do not clean up: each works with its own emails and
 * roles, so one server may serve a whole run. They assume a server-side per-watch buffer of at least 100
 * events and do not take longer than a few seconds each.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class UserServiceContractTest {

  /** The {@code ErrorInfo.domain} of every error of the UserService; {@link ErrorReasons#DOMAIN}. */
  public static final String ERROR_DOMAIN = ErrorReasons.DOMAIN;

  /** Returns a channel to the implementation under test; called for every test. */
  protected abstract Channel channel();

  private UserServiceGrpc.UserServiceBlockingStub users() {
    return UserServiceGrpc.newBlockingStub(channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  // ---- CreateUser ----------------------------------------------------------------------------------

  @Test
  void createUser_returnsUserWithServerGeneratedIdTimestampsAndEtag() {
    long before = Instant.now().getEpochSecond();
    String email = uniqueEmail();

    UserResponse user = users().createUser(CreateUserRequest.newBuilder()
        .setEmail(email).setName("Ada Lovelace").setRole("admin").build());

    long after = Instant.now().getEpochSecond();
    assertThat(UUID.fromString(user.getId()).toString()).isEqualTo(user.getId());
    assertThat(user.getEmail()).isEqualTo(email);
    assertThat(user.getName()).isEqualTo("Ada Lovelace");
    assertThat(user.getRole()).isEqualTo("admin");
    assertThat(user.getCreatedAt()).isBetween(before - 5, after + 5);
    assertThat(user.getUpdatedAt()).isEqualTo(user.getCreatedAt());
    assertThat(user.getEtag()).startsWith("\"").endsWith("\"").hasSizeGreaterThan(2);
    assertThat(users().getUser(GetUserRequest.newBuilder().setId(user.getId()).build())).isEqualTo(user);
  }

  @Test
  void createUser_emptyRole_defaultsToViewer() {
    UserResponse user = create(uniqueEmail(), "Grace", "");

    assertThat(user.getRole()).isEqualTo("viewer");
  }

  @Test
  void createUser_twoCreates_getDistinctIds() {
    assertThat(create(uniqueEmail(), "A", "").getId()).isNotEqualTo(create(uniqueEmail(), "B", "").getId());
  }

  @Test
  void createUser_duplicateEmailInOtherCase_isAlreadyExists() {
    String email = uniqueEmail();
    create(email, "First", "");

    assertError(() -> create(email.toUpperCase(Locale.ROOT), "Second", ""),
        Status.Code.ALREADY_EXISTS, ErrorReason.EMAIL_ALREADY_EXISTS);
  }

  @Test
  void createUser_repeatedRequestId_returnsTheFirstUser() {
    String role = uniqueRole();
    CreateUserRequest request = CreateUserRequest.newBuilder().setEmail(uniqueEmail()).setName("Once")
        .setRole(role).setRequestId(UUID.randomUUID().toString()).build();

    UserResponse first = users().createUser(request);
    UserResponse second = users().createUser(request);

    assertThat(second).isEqualTo(first);
    assertThat(list(ListUsersRequest.newBuilder().setRoleFilter(role).build()).getTotal()).isEqualTo(1);
  }

  @Test
  void createUser_requestIdReusedWithOtherValues_isInvalidArgument() {
    String requestId = UUID.randomUUID().toString();
    users().createUser(CreateUserRequest.newBuilder().setEmail(uniqueEmail()).setName("One")
        .setRequestId(requestId).build());

    assertError(() -> users().createUser(CreateUserRequest.newBuilder().setEmail(uniqueEmail())
        .setName("Other").setRequestId(requestId).build()),
        Status.Code.INVALID_ARGUMENT, ErrorReason.REQUEST_ID_REUSED);
  }

  @Test
  void createUser_fiftyConcurrentCreatesOfOneEmail_exactlyOneSucceeds() throws Exception {
    String email = uniqueEmail();
    List<Callable<Status.Code>> creates = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      String name = "Racer " + i;
      creates.add(() -> {
        try {
          create(email, name, "");
          return Status.Code.OK;
        } catch (StatusRuntimeException e) {
          return e.getStatus().getCode();
        }
      });
    }

    List<Status.Code> outcomes = runConcurrently(creates);

    assertThat(outcomes).filteredOn(code -> code == Status.Code.OK).hasSize(1);
    assertThat(outcomes).filteredOn(code -> code != Status.Code.OK)
        .hasSize(49).containsOnly(Status.Code.ALREADY_EXISTS);
  }

  @Test
  void createUser_concurrentRetriesOfOneRequestId_createOneUser() throws Exception {
    String role = uniqueRole();
    CreateUserRequest request = CreateUserRequest.newBuilder().setEmail(uniqueEmail()).setName("Retry")
        .setRole(role).setRequestId(UUID.randomUUID().toString()).build();
    List<Callable<String>> retries = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      retries.add(() -> users().createUser(request).getId());
    }

    List<String> ids = runConcurrently(retries);

    assertThat(new HashSet<>(ids)).hasSize(1);
    assertThat(list(ListUsersRequest.newBuilder().setRoleFilter(role).build()).getTotal()).isEqualTo(1);
  }

  // ---- GetUser -------------------------------------------------------------------------------------

  @Test
  void getUser_unknownId_isNotFoundNamingTheId() {
    String id = UUID.randomUUID().toString();

    StatusRuntimeException e = assertError(
        () -> users().getUser(GetUserRequest.newBuilder().setId(id).build()),
        Status.Code.NOT_FOUND, ErrorReason.USER_NOT_FOUND);

    assertThat(e.getStatus().getDescription()).contains(id);
    assertThat(errorInfo(e).getMetadataMap()).containsEntry("user_id", id);
  }

  // ---- ListUsers -----------------------------------------------------------------------------------

  @Test
  void listUsers_pageAndLimit_pagesNewestFirstWithTotal() {
    String role = uniqueRole();
    List<String> created = createMany(role, 7);

    ListUsersResponse page0 = list(ListUsersRequest.newBuilder().setRoleFilter(role).setLimit(3).build());
    ListUsersResponse page1 = list(ListUsersRequest.newBuilder().setRoleFilter(role).setPage(1).setLimit(3).build());
    ListUsersResponse page2 = list(ListUsersRequest.newBuilder().setRoleFilter(role).setPage(2).setLimit(3).build());
    ListUsersResponse page3 = list(ListUsersRequest.newBuilder().setRoleFilter(role).setPage(3).setLimit(3).build());
    ListUsersResponse page4 = list(ListUsersRequest.newBuilder().setRoleFilter(role).setPage(4).setLimit(3).build());

    assertThat(page0.getUsersList()).isEqualTo(page1.getUsersList());
    assertThat(page0.getTotal()).isEqualTo(page1.getTotal());
    assertThat(page1.getPage()).isEqualTo(1);
    assertThat(page2.getPage()).isEqualTo(2);
    assertThat(page1.getTotal()).isEqualTo(7);
    List<String> ids = new ArrayList<>();
    for (ListUsersResponse page : List.of(page1, page2, page3)) {
      page.getUsersList().forEach(u -> ids.add(u.getId()));
    }
    assertThat(ids).containsExactlyInAnyOrderElementsOf(created);
    assertThat(page1.getUsersCount()).isEqualTo(3);
    assertThat(page3.getUsersCount()).isEqualTo(1);
    assertThat(page4.getUsersList()).isEmpty();
    assertNewestFirst(List.of(page1, page2, page3));
  }

  @Test
  void listUsers_limitZero_usesDefaultPageSizeOfTwenty() {
    String role = uniqueRole();
    createMany(role, 21);

    ListUsersResponse page = list(ListUsersRequest.newBuilder().setRoleFilter(role).build());

    assertThat(page.getUsersCount()).isEqualTo(20);
    assertThat(page.getTotal()).isEqualTo(21);
    assertThat(page.getNextPageToken()).isNotEmpty();
  }

  @Test
  void listUsers_roleFilter_returnsOnlyThatRole() {
    String role = uniqueRole();
    String other = uniqueRole();
    List<String> mine = createMany(role, 3);
    createMany(other, 2);

    ListUsersResponse page = list(ListUsersRequest.newBuilder().setRoleFilter(role).setLimit(100).build());

    assertThat(page.getUsersList()).extracting(UserResponse::getId).containsExactlyInAnyOrderElementsOf(mine);
    assertThat(page.getUsersList()).extracting(UserResponse::getRole).containsOnly(role);
  }

  @Test
  void listUsers_pageTokens_walkEveryUserExactlyOnceNewestFirst() {
    String role = uniqueRole();
    List<String> created = createMany(role, 11);

    List<ListUsersResponse> pages = walk(ListUsersRequest.newBuilder().setRoleFilter(role).setLimit(4).build());

    assertThat(pages).hasSize(3);
    assertThat(pages.get(0).getTotal()).isEqualTo(11);
    assertThat(pages.get(1).getPage()).isZero();
    assertThat(pages.get(2).getNextPageToken()).isEmpty();
    assertThat(pages.stream().flatMap(p -> p.getUsersList().stream()).map(UserResponse::getId).toList())
        .containsExactlyInAnyOrderElementsOf(created)
        .doesNotHaveDuplicates();
    assertNewestFirst(pages);
  }

  @Test
  void listUsers_pageTokensWhileUsersAreCreated_neverSkipOrRepeatExistingUsers() throws Exception {
    String role = uniqueRole();
    List<String> existing = createMany(role, 30);
    AtomicBoolean walking = new AtomicBoolean(true);
    // One permit per insert: the walk waits for an insert between pages, so that users are created while it
    // pages however fast the implementation answers.
    Semaphore inserted = new Semaphore(0);
    ExecutorService writer = Executors.newSingleThreadExecutor();
    Future<Integer> inserts = writer.submit(() -> {
      int n = 0;
      while (walking.get()) {
        create(uniqueEmail(), "Late " + n++, role);
        inserted.release();
      }
      return n;
    });
    List<String> seen = new ArrayList<>();
    try {
      String token = "";
      do {
        assertThat(inserted.tryAcquire(30, TimeUnit.SECONDS)).as("a user created while paging").isTrue();
        ListUsersResponse page = list(ListUsersRequest.newBuilder()
            .setRoleFilter(role).setLimit(3).setPageToken(token).build());
        page.getUsersList().forEach(u -> seen.add(u.getId()));
        token = page.getNextPageToken();
      } while (!token.isEmpty());
    } finally {
      walking.set(false);
      writer.shutdown();
    }

    assertThat(inserts.get(30, TimeUnit.SECONDS)).isPositive();
    assertThat(seen).doesNotHaveDuplicates().containsAll(existing);
  }

  @Test
  void listUsers_tamperedOrForeignToken_isInvalidPageToken() {
    String role = uniqueRole();
    createMany(role, 3);
    String token = list(ListUsersRequest.newBuilder().setRoleFilter(role).setLimit(1).build()).getNextPageToken();
    char last = token.charAt(token.length() / 2);
    String tampered = token.substring(0, token.length() / 2) + (last == 'A' ? 'B' : 'A')
        + token.substring(token.length() / 2 + 1);

    for (String bad : List.of(tampered, "not-a-token", token + "x")) {
      assertError(() -> list(ListUsersRequest.newBuilder().setRoleFilter(role).setPageToken(bad).build()),
          Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_PAGE_TOKEN);
    }
    assertError(() -> list(ListUsersRequest.newBuilder().setRoleFilter(uniqueRole()).setPageToken(token).build()),
        Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_PAGE_TOKEN);
  }

  @Test
  void listUsers_pageTokenWithLaterPage_isInvalidFields() {
    assertError(() -> list(ListUsersRequest.newBuilder().setPage(3).setPageToken("x").build()),
        Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_FIELDS);
  }

  // ---- UpdateUser ----------------------------------------------------------------------------------

  @Test
  void updateUser_changesOnlyPresentFields_andGivesNewEtag() throws InterruptedException {
    UserResponse user = create(uniqueEmail(), "Before", "viewer");
    Thread.sleep(1100);

    UserResponse updated = users().updateUser(UpdateUserRequest.newBuilder()
        .setId(user.getId()).setName("After").build());

    assertThat(updated.getName()).isEqualTo("After");
    assertThat(updated.getEmail()).isEqualTo(user.getEmail());
    assertThat(updated.getRole()).isEqualTo("viewer");
    assertThat(updated.getCreatedAt()).isEqualTo(user.getCreatedAt());
    assertThat(updated.getUpdatedAt()).isGreaterThan(user.getUpdatedAt());
    assertThat(updated.getEtag()).isNotEqualTo(user.getEtag());
  }

  @Test
  void updateUser_nothingChanges_keepsEtag() {
    UserResponse user = create(uniqueEmail(), "Same", "editor");

    UserResponse updated = users().updateUser(UpdateUserRequest.newBuilder()
        .setId(user.getId()).setName("Same").setRole("editor").build());

    assertThat(updated).isEqualTo(user);
  }

  @Test
  void updateUser_emptyRole_setsViewer() {
    UserResponse user = create(uniqueEmail(), "Role", "admin");

    assertThat(users().updateUser(UpdateUserRequest.newBuilder().setId(user.getId()).setRole("").build())
        .getRole()).isEqualTo("viewer");
  }

  @Test
  void updateUser_unknownId_isNotFound() {
    assertError(() -> users().updateUser(UpdateUserRequest.newBuilder()
        .setId(UUID.randomUUID().toString()).setName("x").build()), Status.Code.NOT_FOUND, ErrorReason.USER_NOT_FOUND);
  }

  @Test
  void updateUser_staleEtag_isAbortedAndChangesNothing() {
    UserResponse user = create(uniqueEmail(), "Original", "");
    users().updateUser(UpdateUserRequest.newBuilder().setId(user.getId()).setName("Changed").build());

    assertError(() -> users().updateUser(UpdateUserRequest.newBuilder().setId(user.getId())
        .setName("Lost").setEtag(user.getEtag()).build()), Status.Code.ABORTED, ErrorReason.ETAG_MISMATCH);
    assertThat(get(user.getId()).getName()).isEqualTo("Changed");
  }

  @Test
  void updateUser_currentEtag_succeeds() {
    UserResponse user = create(uniqueEmail(), "Original", "");

    UserResponse updated = users().updateUser(UpdateUserRequest.newBuilder().setId(user.getId())
        .setRole("editor").setEtag(user.getEtag()).build());

    assertThat(updated.getRole()).isEqualTo("editor");
  }

  @Test
  void updateUser_emailOfAnotherUser_isAlreadyExists() {
    String taken = uniqueEmail();
    create(taken, "Owner", "");
    UserResponse user = create(uniqueEmail(), "Other", "");

    assertError(() -> users().updateUser(UpdateUserRequest.newBuilder().setId(user.getId())
        .setEmail(taken.toUpperCase(Locale.ROOT)).build()), Status.Code.ALREADY_EXISTS,
        ErrorReason.EMAIL_ALREADY_EXISTS);
  }

  @Test
  void updateUser_concurrentWritersWithEtags_loseNoUpdate() throws Exception {
    UserResponse user = create(uniqueEmail(), "n", "");
    int writers = 8;
    int incrementsEach = 5;
    List<Callable<Integer>> tasks = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      tasks.add(() -> {
        int aborted = 0;
        for (int i = 0; i < incrementsEach; i++) {
          while (true) {
            UserResponse current = get(user.getId());
            try {
              users().updateUser(UpdateUserRequest.newBuilder().setId(user.getId())
                  .setName(current.getName() + "+").setEtag(current.getEtag()).build());
              break;
            } catch (StatusRuntimeException e) {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ABORTED);
              aborted++;
            }
          }
        }
        return aborted;
      });
    }

    runConcurrently(tasks);

    assertThat(get(user.getId()).getName()).isEqualTo("n" + "+".repeat(writers * incrementsEach));
  }

  // ---- DeleteUser ----------------------------------------------------------------------------------

  @Test
  void deleteUser_removesUserAndFreesEmail() {
    String email = uniqueEmail();
    UserResponse user = create(email, "Gone", "");

    users().deleteUser(DeleteUserRequest.newBuilder().setId(user.getId()).build());

    assertError(() -> get(user.getId()), Status.Code.NOT_FOUND, ErrorReason.USER_NOT_FOUND);
    assertThat(create(email, "New owner", "").getId()).isNotEqualTo(user.getId());
  }

  @Test
  void deleteUser_unknownId_isNotFound() {
    assertError(() -> users().deleteUser(DeleteUserRequest.newBuilder().setId(UUID.randomUUID().toString())
        .build()), Status.Code.NOT_FOUND, ErrorReason.USER_NOT_FOUND);
  }

  @Test
  void deleteUser_staleEtag_isAbortedAndKeepsUser() {
    UserResponse user = create(uniqueEmail(), "Kept", "");
    UserResponse changed = users().updateUser(UpdateUserRequest.newBuilder().setId(user.getId())
        .setName("Kept too").build());

    assertError(() -> users().deleteUser(DeleteUserRequest.newBuilder().setId(user.getId())
        .setEtag(user.getEtag()).build()), Status.Code.ABORTED, ErrorReason.ETAG_MISMATCH);
    users().deleteUser(DeleteUserRequest.newBuilder().setId(user.getId()).setEtag(changed.getEtag()).build());
    assertError(() -> get(user.getId()), Status.Code.NOT_FOUND, ErrorReason.USER_NOT_FOUND);
  }

  // ---- Validation and malformed input --------------------------------------------------------------

  @Test
  void createUser_brokenRules_areInvalidArgumentWithOneFieldViolationEach() {
    StatusRuntimeException e = assertError(() -> users().createUser(CreateUserRequest.newBuilder()
        .setEmail("not-an-email").setName("").setRole("Admin!").build()),
        Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_FIELDS);

    BadRequest badRequest = detail(e, BadRequest.class);
    assertThat(badRequest.getFieldViolationsList()).extracting(BadRequest.FieldViolation::getField)
        .containsExactlyInAnyOrder("email", "name", "role");
    assertThat(badRequest.getFieldViolationsList()).allSatisfy(v -> assertThat(v.getDescription()).isNotEmpty());
  }

  @Test
  void everyRpc_validatesItsRequest() {
    assertError(() -> users().getUser(GetUserRequest.getDefaultInstance()),
        Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_FIELDS);
    assertError(() -> list(ListUsersRequest.newBuilder().setLimit(-1).build()),
        Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_FIELDS);
    assertError(() -> users().updateUser(UpdateUserRequest.newBuilder().setId("x").setEmail("bad").build()),
        Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_FIELDS);
    assertError(() -> users().deleteUser(DeleteUserRequest.getDefaultInstance()),
        Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_FIELDS);
    assertError(() -> users().recordActivity(RecordActivityRequest.newBuilder().setUserId("x")
        .setAction("user.created").build()), Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_FIELDS);
    assertError(() -> {
      boolean unused = users().watchUserActivity(WatchRequest.getDefaultInstance()).hasNext();
    }, Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_FIELDS);
  }

  @Test
  void malformedRequestBytes_areInvalidArgument_andServerKeepsServing() {
    MethodDescriptor<byte[], byte[]> rawGetUser = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(UserServiceGrpc.getGetUserMethod().getFullMethodName())
        .setRequestMarshaller(BYTES)
        .setResponseMarshaller(BYTES)
        .build();
    // Field 1 declared as a 100-byte string, but only 3 bytes follow.
    byte[] garbage = {0x0a, 0x64, 'a', 'b', 'c'};

    assertError(() -> ClientCalls.blockingUnaryCall(channel(), rawGetUser,
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), garbage),
        Status.Code.INVALID_ARGUMENT, ErrorReason.MALFORMED_REQUEST);
    assertThat(create(uniqueEmail(), "Still serving", "").getId()).isNotEmpty();
  }

  // ---- RecordActivity and WatchUserActivity --------------------------------------------------------

  @Test
  void recordActivity_returnsStoredEvent_andRequestIdMakesItIdempotent() {
    UserResponse user = create(uniqueEmail(), "Active", "");
    RecordActivityRequest request = RecordActivityRequest.newBuilder().setUserId(user.getId())
        .setAction("page_view").setDetails("/dashboard").setRequestId(UUID.randomUUID().toString()).build();

    ActivityEvent first = users().recordActivity(request).getEvent();
    ActivityEvent again = users().recordActivity(request).getEvent();

    assertThat(first.getUserId()).isEqualTo(user.getId());
    assertThat(first.getAction()).isEqualTo("page_view");
    assertThat(first.getDetails()).isEqualTo("/dashboard");
    assertThat(first.getSequence()).isPositive();
    assertThat(again).isEqualTo(first);
  }

  @Test
  void recordActivity_unknownUser_isNotFound() {
    assertError(() -> users().recordActivity(RecordActivityRequest.newBuilder()
        .setUserId(UUID.randomUUID().toString()).setAction("page_view").build()),
        Status.Code.NOT_FOUND, ErrorReason.USER_NOT_FOUND);
  }

  @Test
  void watchUserActivity_unknownUser_isNotFound() {
    assertError(() -> {
      boolean unused = users().watchUserActivity(WatchRequest.newBuilder()
          .setUserId(UUID.randomUUID().toString()).build()).hasNext();
    }, Status.Code.NOT_FOUND, ErrorReason.USER_NOT_FOUND);
  }

  @Test
  void watchUserActivity_streamsChangesAndRecordedActivity_thenCompletesAfterDelete() throws Exception {
    UserResponse user = create(uniqueEmail(), "Watched", "");
    // Resuming after a known event makes the test independent of when the server registers the watch.
    ActivityEvent login = users().recordActivity(RecordActivityRequest.newBuilder().setUserId(user.getId())
        .setAction("login").build()).getEvent();
    Recorder watcher = watch(user.getId(), login.getSequence());

    users().updateUser(UpdateUserRequest.newBuilder().setId(user.getId()).setName("Renamed").setRole("admin")
        .build());
    users().recordActivity(RecordActivityRequest.newBuilder().setUserId(user.getId()).setAction("page_view")
        .setDetails("/home").build());
    users().deleteUser(DeleteUserRequest.newBuilder().setId(user.getId()).build());

    List<ActivityEvent> events = watcher.awaitCompletion();
    assertThat(events).extracting(ActivityEvent::getAction)
        .containsExactly("user.updated", "page_view", "user.deleted");
    assertThat(events.get(0).getDetails()).isEqualTo("name,role");
    assertThat(events.get(1).getDetails()).isEqualTo("/home");
    assertThat(events).allSatisfy(e -> assertThat(e.getUserId()).isEqualTo(user.getId()));
    assertThat(events).extracting(ActivityEvent::getSequence).isSorted().doesNotHaveDuplicates();
  }

  @Test
  void watchUserActivity_resumeAfter_replaysMissedEventsThenContinuesLive() throws Exception {
    UserResponse user = create(uniqueEmail(), "Resumed", "");
    ActivityEvent seen = users().recordActivity(RecordActivityRequest.newBuilder().setUserId(user.getId())
        .setAction("login").build()).getEvent();
    for (int i = 0; i < 5; i++) {
      users().recordActivity(RecordActivityRequest.newBuilder().setUserId(user.getId())
          .setAction("page_view").setDetails("/missed/" + i).build());
    }

    Recorder watcher = watch(user.getId(), seen.getSequence());
    List<ActivityEvent> replayed = watcher.take(5);
    users().recordActivity(RecordActivityRequest.newBuilder().setUserId(user.getId())
        .setAction("page_view").setDetails("/live").build());
    users().deleteUser(DeleteUserRequest.newBuilder().setId(user.getId()).build());
    List<ActivityEvent> rest = watcher.awaitCompletion();

    assertThat(replayed).extracting(ActivityEvent::getDetails)
        .containsExactly("/missed/0", "/missed/1", "/missed/2", "/missed/3", "/missed/4");
    assertThat(rest).extracting(ActivityEvent::getDetails).containsExactly("/live", "");
    List<Long> sequences = new ArrayList<>();
    replayed.forEach(e -> sequences.add(e.getSequence()));
    rest.forEach(e -> sequences.add(e.getSequence()));
    assertThat(sequences).isSorted().doesNotHaveDuplicates().allSatisfy(s -> assertThat(s).isGreaterThan(seen.getSequence()));
  }

  @Test
  void watchUserActivity_deletedUserWithResumePoint_replaysUpToTheDelete() throws Exception {
    UserResponse user = create(uniqueEmail(), "Short-lived", "");
    ActivityEvent before = users().recordActivity(RecordActivityRequest.newBuilder().setUserId(user.getId())
        .setAction("login").build()).getEvent();
    users().deleteUser(DeleteUserRequest.newBuilder().setId(user.getId()).build());

    List<ActivityEvent> events = watch(user.getId(), before.getSequence()).awaitCompletion();

    assertThat(events).extracting(ActivityEvent::getAction).containsExactly("user.deleted");
  }

  // ---- Helpers -------------------------------------------------------------------------------------

  /** Returns an email address no other test uses. */
  protected static String uniqueEmail() {
    return "user-" + UUID.randomUUID() + "@example.com";
  }

  /** Returns a role no other test uses, so that a role filter isolates a test's users. */
  protected static String uniqueRole() {
    return "r" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
  }

  private UserResponse create(String email, String name, String role) {
    return users().createUser(CreateUserRequest.newBuilder().setEmail(email).setName(name).setRole(role).build());
  }

  private UserResponse get(String id) {
    return users().getUser(GetUserRequest.newBuilder().setId(id).build());
  }

  private ListUsersResponse list(ListUsersRequest request) {
    return users().listUsers(request);
  }

  private List<String> createMany(String role, int count) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ids.add(create(uniqueEmail(), "User " + i, role).getId());
    }
    return ids;
  }

  private List<ListUsersResponse> walk(ListUsersRequest first) {
    List<ListUsersResponse> pages = new ArrayList<>();
    ListUsersRequest request = first;
    while (true) {
      ListUsersResponse page = list(request);
      pages.add(page);
      if (page.getNextPageToken().isEmpty()) {
        return pages;
      }
      request = first.toBuilder().setPageToken(page.getNextPageToken()).build();
    }
  }

  private static void assertNewestFirst(List<ListUsersResponse> pages) {
    List<Long> createdAt = pages.stream().flatMap(p -> p.getUsersList().stream())
        .map(UserResponse::getCreatedAt).toList();
    assertThat(createdAt).isSortedAccordingTo((a, b) -> Long.compare(b, a));
  }

  private Recorder watch(String userId, long resumeAfter) {
    Recorder recorder = new Recorder();
    UserServiceGrpc.newStub(channel()).withDeadlineAfter(30, TimeUnit.SECONDS)
        .watchUserActivity(WatchRequest.newBuilder().setUserId(userId).setResumeAfter(resumeAfter).build(),
            recorder);
    return recorder;
  }

  /**
   * Asserts that {@code call} fails with {@code code} and an {@code ErrorInfo} of this service's domain with
   * {@code reason}.
   *
   * @param call the call
   * @param code the status code expected
   * @param reason the reason expected
   * @return the failure, for further checks
   */
  protected static StatusRuntimeException assertError(Runnable call, Status.Code code, ErrorReason reason) {
    return assertError(call, code, reason.name());
  }

  /**
   * Asserts that {@code call} fails with {@code code} and an {@code ErrorInfo} of this service's domain with
   * {@code reason}, such as the name of a gRPC status code for errors that gRPC itself produces.
   */
  protected static StatusRuntimeException assertError(Runnable call, Status.Code code, String reason) {
    StatusRuntimeException e = catchStatus(call);
    assertThat(e.getStatus().getCode()).as("status of %s", e.getStatus()).isEqualTo(code);
    ErrorInfo info = errorInfo(e);
    assertThat(info.getReason()).isEqualTo(reason);
    assertThat(info.getDomain()).isEqualTo(ERROR_DOMAIN);
    return e;
  }

  private static ErrorInfo errorInfo(StatusRuntimeException e) {
    return detail(e, ErrorInfo.class);
  }

  private static <T> List<T> runConcurrently(List<Callable<T>> tasks) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (Callable<T> task : tasks) {
        futures.add(pool.submit(() -> {
          start.await();
          return task.call();
        }));
      }
      start.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> future : futures) {
        results.add(future.get(60, TimeUnit.SECONDS));
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
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

  /** Collects a watch stream. */
  private static final class Recorder implements StreamObserver<ActivityEvent> {
    private static final Object COMPLETED = new Object();
    private final BlockingQueue<Object> signals = new LinkedBlockingQueue<>();

    @Override
    public void onNext(ActivityEvent event) {
      signals.add(event);
    }

    @Override
    public void onError(Throwable t) {
      signals.add(t);
    }

    @Override
    public void onCompleted() {
      signals.add(COMPLETED);
    }

    List<ActivityEvent> take(int count) throws InterruptedException {
      List<ActivityEvent> events = new ArrayList<>();
      while (events.size() < count) {
        Object signal = signals.poll(20, TimeUnit.SECONDS);
        if (!(signal instanceof ActivityEvent event)) {
          throw new AssertionError("expected event " + (events.size() + 1) + " of " + count + ", got " + signal);
        }
        events.add(event);
      }
      return events;
    }

    List<ActivityEvent> awaitCompletion() throws InterruptedException {
      List<ActivityEvent> events = new ArrayList<>();
      while (true) {
        Object signal = signals.poll(20, TimeUnit.SECONDS);
        if (signal == COMPLETED) {
          return events;
        }
        if (!(signal instanceof ActivityEvent event)) {
          throw new AssertionError("expected an event or completion after " + events + ", got " + signal);
        }
        events.add(event);
      }
    }
  }

}
