package io.github.usergrpc.user.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import build.buf.validate.FieldPath;
import build.buf.validate.FieldPathElement;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.Status;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.RecordActivityRequest;
import io.grpc.Status.Code;
import org.junit.jupiter.api.Test;

class RequestValidatorTest {

  private final RequestValidator validator = RequestValidator.get();

  @Test
  void validRequest_hasNoViolations() throws Exception {
    assertThat(validator.validate(CreateUserRequest.newBuilder().setEmail("ada@example.com").setName("Ada").build())
        .getFieldViolationsList()).isEmpty();
    assertThat(RequestValidator.get()).isSameAs(validator);
  }

  @Test
  void brokenRules_comeFirst_thenNul_eachWithItsFieldAndRule() throws Exception {
    BadRequest badRequest = validator.validate(RecordActivityRequest.newBuilder().setUserId("u\u0000")
        .setAction("user.created").setDetails("a\u0000b").build());

    assertThat(badRequest.getFieldViolationsList()).extracting(v -> v.getField() + ": " + v.getReason())
        .containsExactly("action: action_not_reserved", "user_id: string.no_nul", "details: string.no_nul");
    assertThat(badRequest.getFieldViolations(1).getDescription())
        .isEqualTo("must not contain the NUL character (U+0000)");
  }

  @Test
  void nul_isFoundInNestedMessages_listsAndMapKeys() throws Exception {
    // No request of the contract has maps or nested strings yet; Struct has both.
    Struct struct = Struct.newBuilder()
        .putFields("clean", Value.newBuilder().setListValue(ListValue.newBuilder()
            .addValues(Value.newBuilder().setStringValue("ok"))
            .addValues(Value.newBuilder().setStringValue("n\u0000l"))).build())
        .putFields("k\u0000", Value.newBuilder().setStringValue("v\u0000").build())
        .build();

    assertThat(validator.validate(struct).getFieldViolationsList()).extracting(BadRequest.FieldViolation::getField)
        .containsExactlyInAnyOrder("fields[\"clean\"].list_value.values[1].string_value",
            "fields[\"k\u0000\"]", "fields[\"k\u0000\"].string_value");
  }

  @Test
  void fieldPath_writesEverySubscript() {
    FieldPath path = FieldPath.newBuilder()
        .addElements(FieldPathElement.newBuilder().setFieldName("users").setIndex(2))
        .addElements(FieldPathElement.newBuilder().setFieldName("labels").setStringKey("team"))
        .addElements(FieldPathElement.newBuilder().setFieldName("flags").setBoolKey(true))
        .addElements(FieldPathElement.newBuilder().setFieldName("ints").setIntKey(-3))
        .addElements(FieldPathElement.newBuilder().setFieldName("uints").setUintKey(-1L))
        .addElements(FieldPathElement.newBuilder().setFieldName("name"))
        .build();

    assertThat(RequestValidator.fieldPath(path))
        .isEqualTo("users[2].labels[\"team\"].flags[true].ints[-3].uints[18446744073709551615].name");
  }

  @Test
  void invalidFields_isInvalidArgumentWithErrorInfoAndBadRequest() throws Exception {
    BadRequest badRequest = validator.validate(GetUserRequest.newBuilder().setId("").build());

    Status status = RequestValidator.invalidFields(badRequest);

    assertThat(status.getCode()).isEqualTo(Code.INVALID_ARGUMENT.value());
    assertThat(status.getMessage()).isEqualTo("invalid request: id must be at least 1 characters");
    assertThat(status.getDetailsList()).hasSize(2);
    assertThat(unpack(status.getDetails(0), ErrorInfo.class)).isEqualTo(ErrorInfo.newBuilder()
        .setReason("INVALID_FIELDS").setDomain(ErrorReasons.DOMAIN).build());
    assertThat(unpack(status.getDetails(1), BadRequest.class)).isEqualTo(badRequest);
    assertThatThrownBy(() -> RequestValidator.invalidFields(BadRequest.getDefaultInstance()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static <T extends com.google.protobuf.Message> T unpack(com.google.protobuf.Any any, Class<T> type)
      throws InvalidProtocolBufferException {
    return any.unpack(type);
  }
}
