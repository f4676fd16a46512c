package io.github.usergrpc.user.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import build.buf.validate.FieldRules;
import build.buf.validate.MessageRules;
import build.buf.validate.Rule;
import build.buf.validate.ValidateProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Message;
import io.github.usergrpc.user.server.UserServer;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.DeleteUserRequest;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.ListUsersRequest;
import io.github.usergrpc.user.v1.RecordActivityRequest;
import io.github.usergrpc.user.v1.UpdateUserRequest;
import io.github.usergrpc.user.v1.UserProto;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.github.usergrpc.user.v1.WatchRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The client refuses exactly what the server refuses, rule by rule: for every bad request of the table below,
 * the client's own check (without a call) and the server's answer over the in-process transport give the
 * same status, message, {@code ErrorInfo} and field violations; and the table covers every rule that
 * user.proto declares on a request, plus the no-NUL rule on every string field of every request.
 */
class ValidationParityTest {

  private static final String NUL = "\u0000";
  private static final String ID = "00000000-0000-0000-0000-000000000001";

  @RegisterExtension
  static final GrpcCleanup cleanup = new GrpcCleanup();
  private static final AtomicInteger serverCalls = new AtomicInteger();
  private static UserClient validating;
  private static UserClient unvalidated;
  private static ManagedChannel rawChannel;

  /** A bad request and the violations, {@code field: rule}, the server answers it with, in order. */
  record Case(Message request, List<String> violations) {
    @Override
    public String toString() {
      return request.getDescriptorForType().getName() + " " + violations;
    }
  }

  private static Case bad(Message request, String... violations) {
    return new Case(request, List.of(violations));
  }

  static Stream<Case> badRequests() {
    CreateUserRequest create = CreateUserRequest.newBuilder().setEmail("ada@example.com").setName("Ada").build();
    UpdateUserRequest update = UpdateUserRequest.newBuilder().setId(ID).build();
    DeleteUserRequest delete = DeleteUserRequest.newBuilder().setId(ID).build();
    RecordActivityRequest record = RecordActivityRequest.newBuilder().setUserId(ID).setAction("page_view").build();
    ListUsersRequest list = ListUsersRequest.getDefaultInstance();
    return Stream.of(
        bad(GetUserRequest.newBuilder().setId("").build(), "id: string.min_len"),
        bad(GetUserRequest.newBuilder().setId("x".repeat(65)).build(), "id: string.max_len"),
        bad(GetUserRequest.newBuilder().setId(ID + NUL).build(), "id: string.no_nul"),

        bad(create.toBuilder().setEmail("not-an-email").build(), "email: string.email"),
        bad(create.toBuilder().setEmail("").build(), "email: string.email_empty"),
        bad(create.toBuilder().setEmail("a".repeat(64) + "@" + "b".repeat(63) + "." + "c".repeat(63) + "."
            + "d".repeat(63)).build(), "email: string.max_len"),
        bad(create.toBuilder().setEmail("ada@example.com" + NUL).build(),
            "email: string.email", "email: string.no_nul"),
        bad(create.toBuilder().setName("").build(), "name: string.min_len"),
        bad(create.toBuilder().setName("x".repeat(201)).build(), "name: string.max_len"),
        bad(create.toBuilder().setName(" \t ").build(), "name: name.not_blank"),
        bad(create.toBuilder().setName("Ada" + NUL).build(), "name: string.no_nul"),
        bad(create.toBuilder().setRole("Admin").build(), "role: string.pattern"),
        bad(create.toBuilder().setRole("a".repeat(33)).build(), "role: string.max_len"),
        bad(create.toBuilder().setRole("admin" + NUL).build(), "role: string.pattern", "role: string.no_nul"),
        bad(create.toBuilder().setRequestId("retry-1").build(), "request_id: string.uuid"),
        bad(create.toBuilder().setRequestId(NUL).build(), "request_id: string.uuid", "request_id: string.no_nul"),
        bad(CreateUserRequest.newBuilder().setEmail("nope").setName("").setRole("Admin").build(),
            "email: string.email", "name: string.min_len", "role: string.pattern"),

        bad(list.toBuilder().setPage(-1).build(), "page: int32.gte"),
        bad(list.toBuilder().setLimit(-1).build(), "limit: int32.gte"),
        bad(list.toBuilder().setRoleFilter("Admin").build(), "role_filter: string.pattern"),
        bad(list.toBuilder().setRoleFilter("a".repeat(33)).build(), "role_filter: string.max_len"),
        bad(list.toBuilder().setRoleFilter(NUL).build(), "role_filter: string.pattern", "role_filter: string.no_nul"),
        bad(list.toBuilder().setPageToken("t".repeat(1025)).build(), "page_token: string.max_len"),
        bad(list.toBuilder().setPageToken("t" + NUL).build(), "page_token: string.no_nul"),
        bad(list.toBuilder().setPage(2).setPageToken("t").build(), ": page_token_without_page"),

        bad(update.toBuilder().setId("").build(), "id: string.min_len"),
        bad(update.toBuilder().setId("x".repeat(65)).build(), "id: string.max_len"),
        bad(update.toBuilder().setId(ID + NUL).build(), "id: string.no_nul"),
        bad(update.toBuilder().setName("").build(), "name: string.min_len"),
        bad(update.toBuilder().setName("x".repeat(201)).build(), "name: string.max_len"),
        bad(update.toBuilder().setName("   ").build(), "name: name.not_blank"),
        bad(update.toBuilder().setName(NUL).build(), "name: string.no_nul"),
        bad(update.toBuilder().setRole("Admin").build(), "role: string.pattern"),
        bad(update.toBuilder().setRole("a".repeat(33)).build(), "role: string.max_len"),
        bad(update.toBuilder().setRole(NUL).build(), "role: string.pattern", "role: string.no_nul"),
        bad(update.toBuilder().setEtag("e".repeat(129)).build(), "etag: string.max_len"),
        bad(update.toBuilder().setEtag("\"1\"" + NUL).build(), "etag: string.no_nul"),
        bad(update.toBuilder().setEmail("bad").build(), "email: string.email"),
        bad(update.toBuilder().setEmail("").build(), "email: string.email_empty"),
        bad(update.toBuilder().setEmail("a".repeat(64) + "@" + "b".repeat(63) + "." + "c".repeat(63) + "."
            + "d".repeat(63)).build(), "email: string.max_len"),
        bad(update.toBuilder().setEmail(NUL).build(), "email: string.email", "email: string.no_nul"),

        bad(delete.toBuilder().setId("").build(), "id: string.min_len"),
        bad(delete.toBuilder().setId("x".repeat(65)).build(), "id: string.max_len"),
        bad(delete.toBuilder().setId(NUL).build(), "id: string.no_nul"),
        bad(delete.toBuilder().setEtag("e".repeat(129)).build(), "etag: string.max_len"),
        bad(delete.toBuilder().setEtag(NUL).build(), "etag: string.no_nul"),

        bad(WatchRequest.newBuilder().setUserId("").build(), "user_id: string.min_len"),
        bad(WatchRequest.newBuilder().setUserId("x".repeat(65)).build(), "user_id: string.max_len"),
        bad(WatchRequest.newBuilder().setUserId(ID + NUL).build(), "user_id: string.no_nul"),

        bad(record.toBuilder().setUserId("").build(), "user_id: string.min_len"),
        bad(record.toBuilder().setUserId("x".repeat(65)).build(), "user_id: string.max_len"),
        bad(record.toBuilder().setUserId(NUL).build(), "user_id: string.no_nul"),
        bad(record.toBuilder().setAction("Page").build(), "action: string.pattern"),
        bad(record.toBuilder().setAction("a".repeat(65)).build(), "action: string.max_len"),
        bad(record.toBuilder().setAction("user.created").build(), "action: action_not_reserved"),
        bad(record.toBuilder().setAction("page_view" + NUL).build(), "action: string.pattern", "action: string.no_nul"),
        bad(record.toBuilder().setDetails("d".repeat(4097)).build(), "details: string.max_len"),
        bad(record.toBuilder().setDetails("/home" + NUL).build(), "details: string.no_nul"),
        bad(record.toBuilder().setRequestId("retry-1").build(), "request_id: string.uuid"),
        bad(record.toBuilder().setRequestId(NUL).build(), "request_id: string.uuid", "request_id: string.no_nul"));
  }

  @BeforeAll
  static void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    cleanup.register(UserServer.newBuilder(InProcessServerBuilder.forName(name).directExecutor())
        .setStore(new InMemoryUserStore())
        .addInterceptor(new ServerInterceptor() {
          @Override
          public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call,
              Metadata headers, ServerCallHandler<ReqT, RespT> next) {
            serverCalls.incrementAndGet();
            return next.startCall(call, headers);
          }
        })
        .build()
        .start());
    // Automatic request ids off, so that both clients send the table's request exactly.
    validating = cleanup.register(UserClient.newBuilder()
        .setChannelBuilder(InProcessChannelBuilder.forName(name).directExecutor())
        .setAutomaticRequestIds(false).build());
    unvalidated = cleanup.register(UserClient.newBuilder()
        .setChannelBuilder(InProcessChannelBuilder.forName(name).directExecutor())
        .setAutomaticRequestIds(false).setValidateRequests(false).build());
    rawChannel = cleanup.register(InProcessChannelBuilder.forName(name).directExecutor().build());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badRequests")
  void clientRefusesWithoutACall_exactlyAsTheServerAnswers(Case bad) throws Exception {
    int before = serverCalls.get();
    UserServiceException local = failure(validating, bad.request());
    assertThat(serverCalls.get()).as("calls that reached the server").isEqualTo(before);

    UserServiceException fromServer = failure(unvalidated, bad.request());
    assertThat(serverCalls.get()).as("calls that reached the server").isEqualTo(before + 1);

    assertThat(fromServer).isInstanceOf(InvalidArgumentException.class);
    assertThat(((InvalidArgumentException) fromServer).fieldViolations())
        .extracting(v -> v.getField() + ": " + v.getReason())
        .containsExactlyElementsOf(bad.violations());
    assertThat(fromServer.errorInfo().getReason()).isEqualTo("INVALID_FIELDS");
    assertThat(fromServer.errorInfo().getDomain()).isEqualTo("usergrpc.github.io");

    assertThat(local).isInstanceOf(InvalidArgumentException.class);
    assertThat(local.code()).isEqualTo(fromServer.code());
    assertThat(local.status().getDescription()).isEqualTo(fromServer.status().getDescription());
    assertThat(local.errorInfo()).isEqualTo(fromServer.errorInfo());
    assertThat(((InvalidArgumentException) local).fieldViolations())
        .isEqualTo(((InvalidArgumentException) fromServer).fieldViolations());
  }

  @Test
  void theTable_coversEveryRuleOfEveryRequest_andNulInEveryStringField() {
    Set<String> covered = new TreeSet<>();
    badRequests().forEach(bad -> bad.violations().forEach(violation -> {
      String field = violation.substring(0, violation.indexOf(':'));
      String rule = violation.substring(violation.indexOf(": ") + 2);
      covered.add(bad.request().getDescriptorForType().getName() + "." + field + " " + rule);
    }));

    Set<String> declared = new TreeSet<>(declaredRules());
    // The client's API refuses a negative resume_after itself, before any validation; see below.
    declared.remove("WatchRequest.resume_after int64.gte");

    assertThat(covered).containsAll(declared);
    assertThat(declared).hasSizeGreaterThan(50);
  }

  @Test
  void negativeResumeAfter_isRefusedByTheClientsApi_andByTheServer() {
    assertThatThrownBy(() -> validating.watchActivity(ID, -1, event -> { }))
        .isInstanceOf(IllegalArgumentException.class);

    RuntimeException fromServer = Exceptions.toClientException(catchThrowable(() ->
        UserServiceGrpc.newBlockingStub(rawChannel)
            .watchUserActivity(WatchRequest.newBuilder().setUserId(ID).setResumeAfter(-1).build()).hasNext()));
    assertThat(fromServer).isInstanceOfSatisfying(InvalidArgumentException.class, e -> assertThat(e.fieldViolations())
        .extracting(v -> v.getField() + ": " + v.getReason()).containsExactly("resume_after: int64.gte"));
  }

  /** Returns {@code Message.field rule} for every rule declared on a request message, and no-NUL per string. */
  private static List<String> declaredRules() {
    Set<Descriptor> requests = new LinkedHashSet<>();
    for (MethodDescriptor method : UserProto.getDescriptor().findServiceByName("UserService").getMethods()) {
      requests.add(method.getInputType());
    }
    List<String> rules = new ArrayList<>();
    for (Descriptor request : requests) {
      MessageRules messageRules = request.getOptions().getExtension(ValidateProto.message);
      for (Rule rule : messageRules.getCelList()) {
        rules.add(request.getName() + ". " + rule.getId());
      }
      for (FieldDescriptor field : request.getFields()) {
        String prefix = request.getName() + "." + field.getName() + " ";
        FieldRules fieldRules = field.getOptions().getExtension(ValidateProto.field);
        for (Rule rule : fieldRules.getCelList()) {
          rules.add(prefix + rule.getId());
        }
        for (Map.Entry<FieldDescriptor, Object> typed : fieldRules.getAllFields().entrySet()) {
          if (typed.getValue() instanceof Message typeRules) { // string, int32, int64, ...
            for (FieldDescriptor rule : typeRules.getAllFields().keySet()) {
              rules.add(prefix + typed.getKey().getName() + "." + rule.getName());
            }
          }
        }
        if (field.getJavaType() == FieldDescriptor.JavaType.STRING) {
          rules.add(prefix + "string.no_nul");
        }
      }
    }
    return rules;
  }

  private static UserServiceException failure(UserClient client, Message request) throws Exception {
    CompletableFuture<?> future;
    if (request instanceof GetUserRequest r) {
      future = client.getUser(r);
    } else if (request instanceof CreateUserRequest r) {
      future = client.createUser(r);
    } else if (request instanceof ListUsersRequest r) {
      future = client.listUsers(r);
    } else if (request instanceof UpdateUserRequest r) {
      future = client.updateUser(r);
    } else if (request instanceof DeleteUserRequest r) {
      future = client.deleteUser(r);
    } else if (request instanceof RecordActivityRequest r) {
      future = client.recordActivity(r);
    } else if (request instanceof WatchRequest r) {
      CompletableFuture<Void> ended = new CompletableFuture<>();
      client.watchActivity(r.getUserId(), r.getResumeAfter(), new ActivityListener() {
        @Override
        public void onEvent(ActivityEvent event) {
          ended.completeExceptionally(new AssertionError("an event for a bad request: " + event));
        }

        @Override
        public void onCompleted() {
          ended.completeExceptionally(new AssertionError("completed"));
        }

        @Override
        public void onError(UserServiceException error) {
          ended.completeExceptionally(error);
        }
      });
      future = ended;
    } else {
      throw new IllegalArgumentException("request: " + request.getDescriptorForType().getName());
    }
    try {
      future.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(UserServiceException.class);
      return (UserServiceException) e.getCause();
    }
    throw new AssertionError("expected " + request + " to fail");
  }
}
