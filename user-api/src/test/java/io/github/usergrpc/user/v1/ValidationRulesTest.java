package io.github.usergrpc.user.v1;

import static org.assertj.core.api.Assertions.assertThat;

import build.buf.protovalidate.ValidationResult;
import build.buf.protovalidate.Validator;
import build.buf.protovalidate.ValidatorFactory;
import build.buf.protovalidate.Violation;
import com.google.protobuf.Message;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The protovalidate rules declared in user.proto, evaluated the way the server and client evaluate them. */
class ValidationRulesTest {

  private static final Validator VALIDATOR = ValidatorFactory.newBuilder().build();

  private static final CreateUserRequest VALID_CREATE = CreateUserRequest.newBuilder()
      .setEmail("ada@example.com")
      .setName("Ada Lovelace")
      .setRole("admin")
      .setRequestId("1b4e28ba-2fa1-41d2-883f-0016d3cca427")
      .build();

  @Test
  void createUser_validRequest_passes() throws Exception {
    assertThat(violations(VALID_CREATE)).isEmpty();
    assertThat(violations(VALID_CREATE.toBuilder().clearRole().clearRequestId().build())).isEmpty();
  }

  @Test
  void createUser_badEmail_isOneViolationOnEmail() throws Exception {
    assertThat(violations(VALID_CREATE.toBuilder().setEmail("not-an-email").build()))
        .containsExactly("email: string.email");
    assertThat(violations(VALID_CREATE.toBuilder().setEmail("").build()))
        .containsExactly("email: string.email_empty");
  }

  @Test
  void createUser_blankOrLongName_isRejected() throws Exception {
    assertThat(violations(VALID_CREATE.toBuilder().setName("").build())).containsExactly("name: string.min_len");
    assertThat(violations(VALID_CREATE.toBuilder().setName(" \t ").build())).containsExactly("name: name.not_blank");
    assertThat(violations(VALID_CREATE.toBuilder().setName("x".repeat(201)).build()))
        .containsExactly("name: string.max_len");
  }

  @Test
  void createUser_roleMustBeShortLowercaseIdentifier() throws Exception {
    assertThat(violations(VALID_CREATE.toBuilder().setRole("Admin").build())).containsExactly("role: string.pattern");
    assertThat(violations(VALID_CREATE.toBuilder().setRole("a".repeat(33)).build()))
        .containsExactly("role: string.max_len");
    assertThat(violations(VALID_CREATE.toBuilder().setRole("team_lead2").build())).isEmpty();
  }

  @Test
  void createUser_requestIdMustBeUuid() throws Exception {
    assertThat(violations(VALID_CREATE.toBuilder().setRequestId("retry-1").build()))
        .containsExactly("request_id: string.uuid");
  }

  @Test
  void createUser_everyBrokenRule_isReported() throws Exception {
    CreateUserRequest bad = CreateUserRequest.newBuilder().setEmail("x").setRole("BAD").build();

    assertThat(violations(bad)).containsExactlyInAnyOrder(
        "email: string.email", "name: string.min_len", "role: string.pattern");
    assertThat(violations(VALID_CREATE.toBuilder().setName(" Ada ").build())).isEmpty();
  }

  @Test
  void ids_mustBePresentAndBounded() throws Exception {
    assertThat(violations(GetUserRequest.getDefaultInstance())).containsExactly("id: string.min_len");
    assertThat(violations(GetUserRequest.newBuilder().setId("x".repeat(65)).build()))
        .containsExactly("id: string.max_len");
    assertThat(violations(DeleteUserRequest.getDefaultInstance())).containsExactly("id: string.min_len");
    assertThat(violations(WatchRequest.getDefaultInstance())).containsExactly("user_id: string.min_len");
  }

  @Test
  void updateUser_checksOnlyPresentFields() throws Exception {
    assertThat(violations(UpdateUserRequest.newBuilder().setId("u1").build())).isEmpty();
    assertThat(violations(UpdateUserRequest.newBuilder().setId("u1").setName("").build()))
        .containsExactly("name: string.min_len");
    assertThat(violations(UpdateUserRequest.newBuilder().setId("u1").setRole("").build())).isEmpty();
    assertThat(violations(UpdateUserRequest.newBuilder().setId("u1").setEmail("nope").build()))
        .containsExactly("email: string.email");
  }

  @Test
  void listUsers_negativePageOrLimit_isRejected() throws Exception {
    assertThat(violations(ListUsersRequest.newBuilder().setPage(-1).setLimit(-5).build()))
        .containsExactlyInAnyOrder("page: int32.gte", "limit: int32.gte");
    assertThat(violations(ListUsersRequest.newBuilder().setLimit(100_000).build())).isEmpty();
    assertThat(violations(ListUsersRequest.newBuilder().setRoleFilter("").build())).isEmpty();
  }

  @Test
  void listUsers_pageTokenWithLaterPage_isRejected() throws Exception {
    assertThat(violations(ListUsersRequest.newBuilder().setPageToken("t").setPage(1).build())).isEmpty();
    assertThat(violations(ListUsersRequest.newBuilder().setPageToken("t").setPage(3).build()))
        .containsExactly(": page_token_without_page");
  }

  @Test
  void watch_negativeResumeAfter_isRejected() throws Exception {
    assertThat(violations(WatchRequest.newBuilder().setUserId("u1").setResumeAfter(-1).build()))
        .containsExactly("resume_after: int64.gte");
  }

  @Test
  void recordActivity_reservedOrMalformedAction_isRejected() throws Exception {
    RecordActivityRequest valid = RecordActivityRequest.newBuilder()
        .setUserId("u1").setAction("page_view").setDetails("/dashboard").build();

    assertThat(violations(valid)).isEmpty();
    assertThat(violations(valid.toBuilder().setAction("user.deleted").build()))
        .containsExactly("action: action_not_reserved");
    assertThat(violations(valid.toBuilder().setAction("").build())).containsExactly("action: string.pattern");
    assertThat(violations(valid.toBuilder().setDetails("x".repeat(4097)).build()))
        .containsExactly("details: string.max_len");
  }

  private static List<String> violations(Message message) throws Exception {
    ValidationResult result = VALIDATOR.validate(message);
    return result.getViolations().stream().map(ValidationRulesTest::describe).toList();
  }

  private static String describe(Violation violation) {
    var proto = violation.toProto();
    String path = proto.getField().getElementsList().stream()
        .map(e -> e.getFieldName())
        .reduce((a, b) -> a + "." + b)
        .orElse("");
    return path + ": " + proto.getRuleId();
  }
}
