package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.server.TestCalls.Closed;
import io.github.usergrpc.user.server.store.PostgresTestDatabase;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.service.store.UserStore;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.UpdateUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tokens and email addresses never reach the log, at any level, while calls fail authentication, break
 * validation or collide on an email: the database's own messages name the email of a unique violation, so
 * the JDBC stores are where a leak would start.
 */
class SensitiveDataLoggingTest {

  private static final String READER = "r3ad-0nly-t0ken-4c1f9b27";
  private static final String WRITER = "wr1te-t0ken-77d0e6a5b3";
  private static final String UNKNOWN = "st0len-or-typ0ed-9e8d7c";
  private static final String EMAIL = "alice.private+x@example.com";
  private static final String OTHER_EMAIL = "bob.private@example.com";
  private static final String INVALID_EMAIL = "carol.private@@example.com";
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @Test
  void h2Store_authFailuresValidationAndDuplicateEmails_logNoTokenAndNoEmail() throws Exception {
    String text = exercise(JdbcSettings.newBuilder().setJdbcUrl("jdbc:h2:mem:logs-" + UUID.randomUUID()).build());

    assertNothingSensitive(text);
  }

  @Nested
  class OnPostgres {

    @RegisterExtension
    final PostgresTestDatabase postgres = new PostgresTestDatabase();

    @Test
    void postgresStore_authFailuresValidationAndDuplicateEmails_logNoTokenAndNoEmail() throws Exception {
      assertNothingSensitive(exercise(postgres.settings()));
    }
  }

  private static void assertNothingSensitive(String text) {
    // The capture works: the refused calls were logged (at FINE), without their tokens.
    assertThat(text).contains("refused a call to user.UserService/CreateUser");
    assertThat(text).doesNotContain(READER, WRITER, UNKNOWN, AccessTokens.hash(READER).substring(7),
        EMAIL, OTHER_EMAIL, INVALID_EMAIL, "alice.private", "bob.private", "carol.private");
  }

  /** Runs the failing calls against a server on a fresh store; returns what was logged meanwhile. */
  private static String exercise(JdbcSettings settings) throws Exception {
    AccessTokens tokens = AccessTokens.parse(AccessTokens.hash(READER) + " reader users:read\n"
        + AccessTokens.hash(WRITER) + " writer users:read,users:write");
    List<Closed> answers = new ArrayList<>();
    try (LogCapture log = new LogCapture();
        UserStore store = JdbcUserStore.open(settings);
        InProcessServer server = new InProcessServer(store, b -> b.setAccessTokens(tokens))) {
      CreateUserRequest alice = CreateUserRequest.newBuilder().setEmail(EMAIL).setName("Alice").build();
      for (Metadata headers : List.of(new Metadata(), TestCalls.bearer(UNKNOWN), TestCalls.bearer(READER))) {
        answers.add(TestCalls.call(server.channel(), UserServiceGrpc.getCreateUserMethod(), alice, headers,
            TIMEOUT));
      }
      Metadata writer = TestCalls.bearer(WRITER);
      answers.add(TestCalls.call(server.channel(), UserServiceGrpc.getCreateUserMethod(), alice, writer, TIMEOUT));
      answers.add(TestCalls.call(server.channel(), UserServiceGrpc.getCreateUserMethod(),
          alice.toBuilder().setEmail(EMAIL.toUpperCase()).build(), writer, TIMEOUT));
      answers.add(TestCalls.call(server.channel(), UserServiceGrpc.getCreateUserMethod(),
          alice.toBuilder().setEmail(INVALID_EMAIL).build(), writer, TIMEOUT));
      UserResponse bob = UserServiceGrpc.newBlockingStub(server.channel())
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(writer))
          .createUser(CreateUserRequest.newBuilder().setEmail(OTHER_EMAIL).setName("Bob").build());
      answers.add(TestCalls.call(server.channel(), UserServiceGrpc.getUpdateUserMethod(),
          UpdateUserRequest.newBuilder().setId(bob.getId()).setEmail(EMAIL).build(), writer, TIMEOUT));
      answers.add(TestCalls.call(server.channel(), UserServiceGrpc.getUpdateUserMethod(),
          UpdateUserRequest.newBuilder().setId(bob.getId()).setEmail(INVALID_EMAIL).build(), writer, TIMEOUT));

      assertThat(answers).extracting(Closed::code).containsExactly(Status.Code.UNAUTHENTICATED,
          Status.Code.UNAUTHENTICATED, Status.Code.PERMISSION_DENIED, Status.Code.OK, Status.Code.ALREADY_EXISTS,
          Status.Code.INVALID_ARGUMENT, Status.Code.ALREADY_EXISTS, Status.Code.INVALID_ARGUMENT);
      // What the client is told does not repeat them either.
      for (Closed answer : answers) {
        assertThat(String.valueOf(answer.status().getDescription()) + answer.errorInfo())
            .doesNotContain(READER, WRITER, UNKNOWN, "private");
      }
      return log.text();
    }
  }
}
