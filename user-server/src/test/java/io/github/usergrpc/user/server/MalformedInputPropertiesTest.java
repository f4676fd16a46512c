package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import io.github.usergrpc.user.server.TestCalls.Closed;
import io.github.usergrpc.user.server.store.NewUser;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.DeleteUserRequest;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.ListUsersRequest;
import io.github.usergrpc.user.v1.RecordActivityRequest;
import io.github.usergrpc.user.v1.UpdateUserRequest;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.github.usergrpc.user.v1.WatchRequest;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Malformed input, generated (jqwik): any value in every field of every request, and raw garbage sent as
 * the request of every method, is answered with a deliberate status (INVALID_ARGUMENT, NOT_FOUND, ...,
 * each with an {@code ErrorInfo}), never INTERNAL or UNKNOWN, and the server keeps serving: a valid call
 * succeeds after each one. Runs on the H2 store, where input reaches SQL. Tries are bounded so the whole
 * class takes a few seconds; a failure prints the seed that reproduces it.
 */
class MalformedInputPropertiesTest {

  private static final int TRIES = 100;
  private static final String KNOWN_ID = "known-user";
  private static final Set<Status.Code> DELIBERATE = EnumSet.of(Status.Code.OK, Status.Code.INVALID_ARGUMENT,
      Status.Code.NOT_FOUND, Status.Code.ALREADY_EXISTS, Status.Code.ABORTED, Status.Code.OUT_OF_RANGE);
  /** A watch that is accepted stays open: it ends with the client's own deadline. */
  private static final Duration WATCH_TIMEOUT = Duration.ofMillis(300);
  private static final List<MethodDescriptor<? extends Message, ?>> METHODS =
      List.copyOf(TestCalls.validRequests(KNOWN_ID).keySet());

  private static JdbcUserStore store;
  private static InProcessServer server;
  /** A page token the server issued. */
  private static String pageToken;

  @BeforeContainer
  static void start() throws Exception {
    store = JdbcUserStore.open(JdbcSettings.newBuilder().setJdbcUrl("jdbc:h2:mem:malformed-" + UUID.randomUUID())
        .build());
    store.create(new NewUser(KNOWN_ID, "known@example.com", "Known", "viewer", 0), Optional.empty());
    store.create(new NewUser("other-user", "other@example.com", "Other", "admin", 1), Optional.empty());
    server = new InProcessServer(store);
    pageToken = server.blocking().listUsers(ListUsersRequest.newBuilder().setLimit(1).build()).getNextPageToken();
  }

  @AfterContainer
  static void stop() throws Exception {
    server.close();
    store.close();
  }

  @Property(tries = TRIES)
  void getUser_anyFields_answeredDeliberately(@ForAll("getUserRequests") GetUserRequest request) {
    assertAnsweredDeliberately(UserServiceGrpc.getGetUserMethod(), request);
  }

  @Property(tries = TRIES)
  void createUser_anyFields_answeredDeliberately(@ForAll("createUserRequests") CreateUserRequest request) {
    assertAnsweredDeliberately(UserServiceGrpc.getCreateUserMethod(), request);
  }

  @Property(tries = TRIES)
  void listUsers_anyFields_answeredDeliberately(@ForAll("listUsersRequests") ListUsersRequest request) {
    assertAnsweredDeliberately(UserServiceGrpc.getListUsersMethod(), request);
  }

  @Property(tries = TRIES)
  void updateUser_anyFields_answeredDeliberately(@ForAll("updateUserRequests") UpdateUserRequest request) {
    assertAnsweredDeliberately(UserServiceGrpc.getUpdateUserMethod(), request);
  }

  @Property(tries = TRIES)
  void deleteUser_anyFields_answeredDeliberately(@ForAll("deleteUserRequests") DeleteUserRequest request) {
    assertAnsweredDeliberately(UserServiceGrpc.getDeleteUserMethod(), request);
  }

  @Property(tries = TRIES)
  void watchUserActivity_anyFields_answeredDeliberately(@ForAll("watchRequests") WatchRequest request) {
    assertAnsweredDeliberately(UserServiceGrpc.getWatchUserActivityMethod(), request);
  }

  @Property(tries = TRIES)
  void recordActivity_anyFields_answeredDeliberately(
      @ForAll("recordActivityRequests") RecordActivityRequest request) {
    assertAnsweredDeliberately(UserServiceGrpc.getRecordActivityMethod(), request);
  }

  @Property(tries = 3 * TRIES)
  void anyMethod_garbageBytes_answeredDeliberately(@ForAll("methods") MethodDescriptor<?, ?> method,
      @ForAll("garbage") byte[] bytes) {
    assertAnsweredDeliberately(TestCalls.raw(method), bytes);
  }

  /**
   * No request message is MALFORMED_REQUEST; several are reset by grpc-java before the service sees any
   * (the client gets CANCELLED). Either way not INTERNAL, and the server goes on serving.
   */
  @Property(tries = 30)
  void anyMethod_noneOrSeveralRequestMessages_isRefused(@ForAll("methods") MethodDescriptor<?, ?> method,
      @ForAll("wrongMessageCounts") int count) {
    MethodDescriptor<byte[], byte[]> raw = TestCalls.raw(method);
    byte[] valid = TestCalls.validRequests("nobody").get(method).toByteArray();
    ClientCall<byte[], byte[]> call = server.channel().newCall(raw,
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
    CompletableFuture<Closed> closed = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(new Closed(status, trailers));
      }
    }, new Metadata());
    call.request(Integer.MAX_VALUE);
    for (int i = 0; i < count; i++) {
      call.sendMessage(valid);
    }
    call.halfClose();

    Closed answer = closed.join();
    if (count == 0) {
      assertThat(answer.code()).as("%s without a message: %s", method.getBareMethodName(), answer)
          .isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(answer.reason()).isEqualTo("MALFORMED_REQUEST");
    } else {
      assertThat(answer.code()).as("%s with %d messages: %s", method.getBareMethodName(), count, answer)
          .isEqualTo(Status.Code.CANCELLED);
    }
    assertStillServing();
  }

  private static void assertAnsweredDeliberately(MethodDescriptor<?, ?> method, Object request) {
    boolean watch = method.getType() == MethodDescriptor.MethodType.SERVER_STREAMING;
    Closed closed = TestCalls.call(server.channel(), method, request, new Metadata(),
        watch ? WATCH_TIMEOUT : Duration.ofSeconds(10));
    if (watch && closed.code() == Status.Code.DEADLINE_EXCEEDED && closed.reason().isEmpty()) {
      // Accepted and streaming until the client's deadline.
      assertStillServing();
      return;
    }
    assertThat(closed.code()).as("%s: %s", method.getBareMethodName(), closed).isIn(DELIBERATE);
    if (closed.code() != Status.Code.OK) {
      assertThat(closed.errorInfo().getDomain()).as("ErrorInfo of %s", closed).isEqualTo(ErrorReason.DOMAIN);
      assertThat(closed.reason()).isNotEqualTo("INTERNAL_ERROR");
    }
    assertStillServing();
  }

  private static void assertStillServing() {
    assertThat(server.blocking().getUser(GetUserRequest.newBuilder().setId(KNOWN_ID).build()).getId())
        .isEqualTo(KNOWN_ID);
  }

  /** Any string: unicode of any kind (unpaired surrogates too), control characters, huge, or plausible. */
  private static Arbitrary<String> text() {
    return Arbitraries.frequencyOf(
        Tuple.of(6, Arbitraries.strings().all().ofMaxLength(300)),
        Tuple.of(2, Arbitraries.strings().withCharRange('\u0000', '\u001f')
            .withChars('\u007f', '\u0085', '\u00a0', '\u2028', '\u202e', '\ufeff', '\ufffd').ofMaxLength(40)),
        Tuple.of(1, Arbitraries.strings().all().ofMinLength(1_000).ofMaxLength(70_000)),
        Tuple.of(4, Arbitraries.of("", " ", "\t", KNOWN_ID, "viewer", "admin", "page_view", "user.created",
            "known@example.com", "KNOWN@example.com", "new@example.com", "a@b", "@", "Ada",
            "123e4567-e89b-12d3-a456-426614174000", "not-a-uuid", "\"0\"", "*", "%", "' OR '1'='1")));
  }

  /**
   * Mostly values that pass the field's rules, so that requests get past validation to the store, where
   * they meet SQL; sometimes any string.
   */
  private static Arbitrary<String> mostly(Arbitrary<String> valid) {
    return Arbitraries.frequencyOf(Tuple.of(4, valid), Tuple.of(1, text()));
  }

  /** Any characters at all, as long as one is not white space: a valid name, to the rules. */
  private static Arbitrary<String> names() {
    return Arbitraries.strings().all().ofMinLength(1).ofMaxLength(200)
        .filter(name -> name.codePoints().anyMatch(c -> !Character.isWhitespace(c)));
  }

  private static Arbitrary<String> emails() {
    return Combinators.combine(
        Arbitraries.strings().alpha().numeric().withChars(".!#$%&'*+/=?^_`{|}~-").ofMinLength(1).ofMaxLength(40),
        Arbitraries.of("example.com", "EXAMPLE.com", "b.co", "xn--bcher-kva.example"))
        .as((local, domain) -> local + "@" + domain);
  }

  private static Arbitrary<String> identifiers(char... more) {
    return Combinators.combine(Arbitraries.chars().range('a', 'z'),
        Arbitraries.strings().withCharRange('a', 'z').numeric().withChars('_').withChars(more).ofMaxLength(30))
        .as((first, rest) -> first + rest);
  }

  private static Arbitrary<String> roles() {
    return Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just("")), Tuple.of(3, identifiers()));
  }

  private static Arbitrary<String> requestIds() {
    return Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just("")),
        Tuple.of(3, Arbitraries.create(UUID::randomUUID).map(UUID::toString)));
  }

  private static Arbitrary<String> userIds() {
    return Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(KNOWN_ID)),
        Tuple.of(2, Arbitraries.strings().all().ofMinLength(1).ofMaxLength(64)));
  }

  private static Arbitrary<String> optional(Arbitrary<String> values) {
    return values.injectNull(0.4);
  }

  @Provide
  Arbitrary<GetUserRequest> getUserRequests() {
    return mostly(userIds()).map(id -> GetUserRequest.newBuilder().setId(id).build());
  }

  @Provide
  Arbitrary<CreateUserRequest> createUserRequests() {
    return Combinators.combine(mostly(emails()), mostly(names()), mostly(roles()), mostly(requestIds()))
        .as((email, name, role, requestId) -> CreateUserRequest.newBuilder().setEmail(email).setName(name)
            .setRole(role).setRequestId(requestId).build());
  }

  @Provide
  Arbitrary<ListUsersRequest> listUsersRequests() {
    Arbitrary<Integer> numbers = Arbitraries.frequencyOf(Tuple.of(2, Arbitraries.integers().between(0, 3)),
        Tuple.of(1, Arbitraries.integers()));
    Arbitrary<String> pageTokens = Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just("")),
        Tuple.of(1, Arbitraries.just(pageToken)), Tuple.of(2, text()));
    return Combinators.combine(numbers, numbers, optional(mostly(roles())), pageTokens)
        .as((page, limit, roleFilter, token) -> {
          ListUsersRequest.Builder request = ListUsersRequest.newBuilder().setPage(page).setLimit(limit)
              .setPageToken(token);
          if (roleFilter != null) {
            request.setRoleFilter(roleFilter);
          }
          return request.build();
        });
  }

  @Provide
  Arbitrary<UpdateUserRequest> updateUserRequests() {
    return Combinators.combine(mostly(userIds()), optional(mostly(names())), optional(mostly(roles())),
        optional(text()), optional(mostly(emails())))
        .as((id, name, role, etag, email) -> {
          UpdateUserRequest.Builder request = UpdateUserRequest.newBuilder().setId(id);
          if (name != null) {
            request.setName(name);
          }
          if (role != null) {
            request.setRole(role);
          }
          if (etag != null) {
            request.setEtag(etag);
          }
          if (email != null) {
            request.setEmail(email);
          }
          return request.build();
        });
  }

  @Provide
  Arbitrary<DeleteUserRequest> deleteUserRequests() {
    // Never the known user: the other properties need it.
    return Combinators.combine(text().filter(id -> !id.equals(KNOWN_ID)), text())
        .as((id, etag) -> DeleteUserRequest.newBuilder().setId(id).setEtag(etag).build());
  }

  @Provide
  Arbitrary<WatchRequest> watchRequests() {
    // Rarely the known user: an accepted watch stays open until the client's deadline.
    Arbitrary<String> userIds = Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(KNOWN_ID)),
        Tuple.of(39, text().filter(id -> !id.equals(KNOWN_ID))));
    Arbitrary<Long> sequences = Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.longs().between(0, 10)),
        Tuple.of(1, Arbitraries.longs()));
    return Combinators.combine(userIds, sequences)
        .as((userId, resumeAfter) -> WatchRequest.newBuilder().setUserId(userId).setResumeAfter(resumeAfter).build());
  }

  @Provide
  Arbitrary<RecordActivityRequest> recordActivityRequests() {
    Arbitrary<String> details = Arbitraries.strings().all().ofMaxLength(4096);
    return Combinators.combine(mostly(userIds()), mostly(identifiers('.')), mostly(details), mostly(requestIds()))
        .as((userId, action, detail, requestId) -> RecordActivityRequest.newBuilder().setUserId(userId)
            .setAction(action).setDetails(detail).setRequestId(requestId).build());
  }

  @Provide
  Arbitrary<MethodDescriptor<?, ?>> methods() {
    return Arbitraries.of(METHODS);
  }

  @Provide
  Arbitrary<Integer> wrongMessageCounts() {
    return Arbitraries.of(0, 2, 3);
  }

  /**
   * Bytes that are not a request: random, a valid request damaged (a byte changed, cut short, garbage
   * appended or inserted), or known troublemakers of protobuf parsers.
   */
  @Provide
  Arbitrary<byte[]> garbage() {
    List<byte[]> valid = new ArrayList<>();
    // Not the known user: a damaged DeleteUser request may well still parse, and delete it.
    TestCalls.validRequests("someone-else").values().forEach(request -> valid.add(request.toByteArray()));
    Arbitrary<byte[]> damaged = Combinators.combine(Arbitraries.of(valid), Arbitraries.integers().between(0, 999),
        Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(16), Arbitraries.integers().between(0, 3))
        .as(MalformedInputPropertiesTest::damage);
    return Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.bytes().array(byte[].class).ofMaxSize(512)),
        Tuple.of(4, damaged),
        Tuple.of(1, Arbitraries.of(troublemakers())));
  }

  private static byte[] damage(byte[] valid, int position, byte[] noise, int how) {
    byte[] bytes = valid.clone();
    if (bytes.length == 0) {
      return noise;
    }
    int at = position % bytes.length;
    switch (how) {
      case 0 -> bytes[at] = noise[0];
      case 1 -> bytes = Arrays.copyOf(bytes, at);
      case 2 -> bytes = concat(bytes, noise, new byte[0]);
      default -> bytes = concat(Arrays.copyOf(bytes, at), noise,
          Arrays.copyOfRange(valid, at, valid.length));
    }
    return bytes;
  }

  private static byte[] concat(byte[] a, byte[] b, byte[] c) {
    byte[] all = Arrays.copyOf(a, a.length + b.length + c.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    System.arraycopy(c, 0, all, a.length + b.length, c.length);
    return all;
  }

  private static List<byte[]> troublemakers() {
    byte[] deepGroups = new byte[400];
    Arrays.fill(deepGroups, (byte) 0x0b);
    byte[] manyEmptyStrings = new byte[200_000];
    for (int i = 0; i < manyEmptyStrings.length; i += 2) {
      manyEmptyStrings[i] = 0x0a;
    }
    return List.of(
        new byte[0],
        new byte[] {0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f},
        new byte[] {0x0a, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80,
            (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01},
        new byte[] {0x0a, 0x05, 'a', 'b'},
        new byte[] {0x0a, 0x02, (byte) 0xc3, 0x28},
        new byte[] {0x08, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
            (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01},
        new byte[] {0x0b},
        new byte[] {0x0c},
        new byte[] {0x0f},
        new byte[] {0x00, 0x00},
        new byte[] {(byte) 0xf8, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 0x00},
        deepGroups,
        manyEmptyStrings);
  }
}
