package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import io.github.usergrpc.user.api.ErrorReasons;
import io.github.usergrpc.user.server.TestCalls.Closed;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.service.store.NewUser;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
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
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Malformed input, generated: any value in every field of every request, and raw garbage sent as the
 * request of every method, is answered with a deliberate status (INVALID_ARGUMENT, NOT_FOUND, ..., each
 * with an {@code ErrorInfo}), never INTERNAL or UNKNOWN, and the server keeps serving: a valid call succeeds
 * after each one. Runs on the H2 store, where input reaches SQL.
 *
 * <p>Property-based, with a small seeded generator ({@link Gen}) instead of a library: each property runs
 * {@value #TRIES} tries from a random seed, and a failure names the seed; {@code -Dproperties.seed=<seed>}
 * runs exactly those tries again.
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

  @RegisterExtension
  static final GrpcCleanup cleanup = new GrpcCleanup();
  private static InProcessServer server;
  /** A page token the server issued. */
  private static String pageToken;

  @BeforeAll
  static void start() throws Exception {
    JdbcUserStore store = cleanup.register(JdbcUserStore.open(JdbcSettings.newBuilder()
        .setJdbcUrl("jdbc:h2:mem:malformed-" + UUID.randomUUID()).build()));
    store.create(new NewUser(KNOWN_ID, "known@example.com", "Known", "viewer", 0), Optional.empty());
    store.create(new NewUser("other-user", "other@example.com", "Other", "admin", 1), Optional.empty());
    server = cleanup.register(new InProcessServer(store));
    pageToken = server.blocking().listUsers(ListUsersRequest.newBuilder().setLimit(1).build()).getNextPageToken();
  }

  @Test
  void getUser_anyFields_answeredDeliberately() {
    forAll(TRIES, gen -> assertAnsweredDeliberately(UserServiceGrpc.getGetUserMethod(),
        GetUserRequest.newBuilder().setId(gen.mostly(gen::userId)).build()));
  }

  @Test
  void createUser_anyFields_answeredDeliberately() {
    forAll(TRIES, gen -> assertAnsweredDeliberately(UserServiceGrpc.getCreateUserMethod(),
        CreateUserRequest.newBuilder().setEmail(gen.mostly(gen::email)).setName(gen.mostly(gen::name))
            .setRole(gen.mostly(gen::role)).setRequestId(gen.mostly(gen::requestId)).build()));
  }

  @Test
  void listUsers_anyFields_answeredDeliberately() {
    forAll(TRIES, gen -> {
      ListUsersRequest.Builder request = ListUsersRequest.newBuilder()
          .setPage(gen.smallOrAnyInt()).setLimit(gen.smallOrAnyInt())
          .setPageToken(gen.pick(1, () -> "", 1, () -> pageToken, 2, gen::text));
      gen.optional(() -> gen.mostly(gen::role)).ifPresent(request::setRoleFilter);
      assertAnsweredDeliberately(UserServiceGrpc.getListUsersMethod(), request.build());
    });
  }

  @Test
  void updateUser_anyFields_answeredDeliberately() {
    forAll(TRIES, gen -> {
      UpdateUserRequest.Builder request = UpdateUserRequest.newBuilder().setId(gen.mostly(gen::userId));
      gen.optional(() -> gen.mostly(gen::name)).ifPresent(request::setName);
      gen.optional(() -> gen.mostly(gen::role)).ifPresent(request::setRole);
      gen.optional(gen::text).ifPresent(request::setEtag);
      gen.optional(() -> gen.mostly(gen::email)).ifPresent(request::setEmail);
      assertAnsweredDeliberately(UserServiceGrpc.getUpdateUserMethod(), request.build());
    });
  }

  @Test
  void deleteUser_anyFields_answeredDeliberately() {
    // Never the known user: the other properties need it.
    forAll(TRIES, gen -> assertAnsweredDeliberately(UserServiceGrpc.getDeleteUserMethod(),
        DeleteUserRequest.newBuilder().setId(gen.textOtherThan(KNOWN_ID)).setEtag(gen.text()).build()));
  }

  @Test
  void watchUserActivity_anyFields_answeredDeliberately() {
    // Rarely the known user: an accepted watch stays open until the client's deadline.
    forAll(TRIES, gen -> assertAnsweredDeliberately(UserServiceGrpc.getWatchUserActivityMethod(),
        WatchRequest.newBuilder()
            .setUserId(gen.pick(1, () -> KNOWN_ID, 39, () -> gen.textOtherThan(KNOWN_ID)))
            .setResumeAfter(gen.chance(0.5) ? gen.random.nextLong(0, 11) : gen.random.nextLong())
            .build()));
  }

  @Test
  void recordActivity_anyFields_answeredDeliberately() {
    forAll(TRIES, gen -> assertAnsweredDeliberately(UserServiceGrpc.getRecordActivityMethod(),
        RecordActivityRequest.newBuilder().setUserId(gen.mostly(gen::userId))
            .setAction(gen.mostly(() -> gen.identifier('.')))
            .setDetails(gen.mostly(() -> gen.anyString(0, 4096)))
            .setRequestId(gen.mostly(gen::requestId)).build()));
  }

  @Test
  void anyMethod_garbageBytes_answeredDeliberately() {
    forAll(3 * TRIES, gen -> assertAnsweredDeliberately(TestCalls.raw(gen.oneOf(METHODS)), gen.garbage()));
  }

  /**
   * No request message is MALFORMED_REQUEST; several are reset by grpc-java before the service sees any
   * (the client gets CANCELLED). Either way not INTERNAL, and the server goes on serving.
   */
  @Test
  void anyMethod_noneOrSeveralRequestMessages_isRefused() {
    forAll(30, gen -> {
      MethodDescriptor<?, ?> method = gen.oneOf(METHODS);
      int count = gen.oneOf(List.of(0, 2, 3));
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
    });
  }

  /** Runs {@code property} {@code tries} times, each with its own generator; a failure names its seed. */
  private static void forAll(int tries, Consumer<Gen> property) {
    Long fixed = Long.getLong("properties.seed");
    long seed = fixed != null ? fixed : new SplittableRandom().nextLong();
    SplittableRandom seeds = new SplittableRandom(seed);
    for (int i = 0; i < tries; i++) {
      try {
        property.accept(new Gen(seeds.split()));
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError("property failed at try " + (i + 1) + " of " + tries
            + "; run again with -Dproperties.seed=" + seed, e);
      }
    }
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
      assertThat(closed.errorInfo().getDomain()).as("ErrorInfo of %s", closed).isEqualTo(ErrorReasons.DOMAIN);
      assertThat(closed.reason()).isNotEqualTo("INTERNAL_ERROR");
    }
    assertStillServing();
  }

  private static void assertStillServing() {
    assertThat(server.blocking().getUser(GetUserRequest.newBuilder().setId(KNOWN_ID).build()).getId())
        .isEqualTo(KNOWN_ID);
  }

  /** Arbitrary values for the properties, from one seeded random source. */
  private static final class Gen {
    private static final List<String> PLAUSIBLE = List.of("", " ", "\t", KNOWN_ID, "viewer", "admin",
        "page_view", "user.created", "known@example.com", "KNOWN@example.com", "new@example.com", "a@b", "@",
        "Ada", "123e4567-e89b-12d3-a456-426614174000", "not-a-uuid", "\"0\"", "*", "%", "' OR '1'='1");
    private static final String CONTROL_EXTRAS = "\u007f\u0085\u00a0\u2028\u202e\ufeff\ufffd";
    private static final String EMAIL_SPECIALS = ".!#$%&'*+/=?^_`{|}~-";
    private static final List<String> DOMAINS = List.of("example.com", "EXAMPLE.com", "b.co", "xn--bcher-kva.example");

    final SplittableRandom random;

    Gen(SplittableRandom random) {
      this.random = random;
    }

    boolean chance(double probability) {
      return random.nextDouble() < probability;
    }

    <T> T oneOf(List<T> values) {
      return values.get(random.nextInt(values.size()));
    }

    /** Picks one of the suppliers, each as often as its weight says. */
    <T> T pick(int w1, Supplier<T> s1, int w2, Supplier<T> s2) {
      return pick(new int[] {w1, w2}, List.of(s1, s2));
    }

    <T> T pick(int w1, Supplier<T> s1, int w2, Supplier<T> s2, int w3, Supplier<T> s3) {
      return pick(new int[] {w1, w2, w3}, List.of(s1, s2, s3));
    }

    <T> T pick(int w1, Supplier<T> s1, int w2, Supplier<T> s2, int w3, Supplier<T> s3, int w4, Supplier<T> s4) {
      return pick(new int[] {w1, w2, w3, w4}, List.of(s1, s2, s3, s4));
    }

    private <T> T pick(int[] weights, List<Supplier<T>> suppliers) {
      int roll = random.nextInt(Arrays.stream(weights).sum());
      for (int i = 0; i < weights.length; i++) {
        roll -= weights[i];
        if (roll < 0) {
          return suppliers.get(i).get();
        }
      }
      throw new AssertionError("unreachable");
    }

    /** Any string: any UTF-16 code units (unpaired surrogates too), control characters, huge, or plausible. */
    String text() {
      return pick(6, () -> anyString(0, 300), 2, this::controlString, 1, () -> anyString(1_000, 70_000),
          4, () -> oneOf(PLAUSIBLE));
    }

    String textOtherThan(String excluded) {
      String text = text();
      return text.equals(excluded) ? text + "x" : text;
    }

    /** Mostly a value that passes the field's rules, so that the request reaches the store; else any text. */
    String mostly(Supplier<String> valid) {
      return chance(0.8) ? valid.get() : text();
    }

    Optional<String> optional(Supplier<String> value) {
      return chance(0.4) ? Optional.empty() : Optional.of(value.get());
    }

    String anyString(int minLength, int maxLength) {
      char[] chars = new char[random.nextInt(minLength, maxLength + 1)];
      for (int i = 0; i < chars.length; i++) {
        chars[i] = (char) random.nextInt(Character.MAX_VALUE + 1);
      }
      return new String(chars);
    }

    String controlString() {
      StringBuilder text = new StringBuilder();
      for (int i = random.nextInt(41); i > 0; i--) {
        text.append(chance(0.7) ? (char) random.nextInt(0x20)
            : CONTROL_EXTRAS.charAt(random.nextInt(CONTROL_EXTRAS.length())));
      }
      return text.toString();
    }

    /** Any characters at all, as long as one is not white space: a valid name, to the rules. */
    String name() {
      String name = anyString(1, 200);
      return name.codePoints().anyMatch(c -> !Character.isWhitespace(c)) ? name : name + "x";
    }

    String email() {
      StringBuilder local = new StringBuilder();
      for (int i = random.nextInt(1, 41); i > 0; i--) {
        int kind = random.nextInt(3);
        local.append(kind == 0 ? (char) ('a' + random.nextInt(26)) : kind == 1 ? (char) ('0' + random.nextInt(10))
            : EMAIL_SPECIALS.charAt(random.nextInt(EMAIL_SPECIALS.length())));
      }
      return local + "@" + oneOf(DOMAINS);
    }

    String identifier(char... more) {
      StringBuilder identifier = new StringBuilder().append((char) ('a' + random.nextInt(26)));
      for (int i = random.nextInt(31); i > 0; i--) {
        int kind = random.nextInt(3 + more.length);
        identifier.append(kind == 0 ? (char) ('a' + random.nextInt(26)) : kind == 1 ? (char) ('0' + random.nextInt(10))
            : kind == 2 ? '_' : more[kind - 3]);
      }
      return identifier.toString();
    }

    String role() {
      return chance(0.25) ? "" : identifier();
    }

    String requestId() {
      return chance(0.25) ? "" : new UUID(random.nextLong(), random.nextLong()).toString();
    }

    String userId() {
      return chance(1.0 / 3) ? KNOWN_ID : anyString(1, 64);
    }

    int smallOrAnyInt() {
      return chance(2.0 / 3) ? random.nextInt(4) : random.nextInt();
    }

    /**
     * Bytes that are not a request: random, a valid request damaged (a byte changed, cut short, garbage
     * appended or inserted), or known troublemakers of protobuf parsers.
     */
    byte[] garbage() {
      return pick(4, () -> bytes(0, 512), 4, this::damaged, 1, () -> oneOf(troublemakers()));
    }

    byte[] bytes(int minSize, int maxSize) {
      byte[] bytes = new byte[random.nextInt(minSize, maxSize + 1)];
      random.nextBytes(bytes);
      return bytes;
    }

    private byte[] damaged() {
      // Not the known user: a damaged DeleteUser request may well still parse, and delete it.
      List<byte[]> valid = new ArrayList<>();
      TestCalls.validRequests("someone-else").values().forEach(request -> valid.add(request.toByteArray()));
      return damage(oneOf(valid), random.nextInt(1000), bytes(1, 16), random.nextInt(4));
    }
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
