package io.github.usergrpc.user.client;

import build.buf.protovalidate.ValidationResult;
import build.buf.protovalidate.Validator;
import build.buf.protovalidate.ValidatorFactory;
import build.buf.protovalidate.Violation;
import build.buf.protovalidate.exceptions.CompilationException;
import build.buf.protovalidate.exceptions.ValidationException;
import build.buf.validate.FieldPathElement;
import com.google.protobuf.Message;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.github.usergrpc.user.v1.UserProto;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checks requests against the protovalidate rules of user.proto before they are sent, so that a bad request
 * fails at once with the same {@link InvalidArgumentException} (reason INVALID_FIELDS, one field violation
 * per broken rule) that the server would answer, without a network call.
 */
final class RequestValidator {

  /** The {@code ErrorInfo.domain} of the UserService. */
  static final String DOMAIN = "usergrpc.github.io";

  /**
   * Shared by every client in the JVM: a validator is thread-safe, and compiling the rules of user.proto
   * costs tens of milliseconds, which each client would otherwise pay again.
   */
  private static final Validator VALIDATOR = compile();

  private final Validator validator = VALIDATOR;

  private static Validator compile() {
    try {
      return ValidatorFactory.newBuilder()
          .buildWithDescriptors(UserProto.getDescriptor().getMessageTypes(), false);
    } catch (CompilationException e) {
      throw new IllegalStateException("the validation rules of user.proto do not compile", e);
    }
  }

  /** Returns the exception the server would answer {@code request} with, or empty when it is valid. */
  Optional<InvalidArgumentException> check(Message request) {
    ValidationResult result;
    try {
      result = validator.validate(request);
    } catch (ValidationException e) {
      // Rules that cannot be evaluated here are left to the server.
      return Optional.empty();
    }
    if (result.isSuccess()) {
      return Optional.empty();
    }
    List<BadRequest.FieldViolation> violations = new ArrayList<>();
    StringBuilder message = new StringBuilder("invalid request: ");
    for (Violation violation : result.getViolations()) {
      build.buf.validate.Violation proto = violation.toProto();
      String field = path(proto.getField().getElementsList());
      violations.add(BadRequest.FieldViolation.newBuilder()
          .setField(field).setDescription(proto.getMessage()).setReason(proto.getRuleId()).build());
      if (violations.size() > 1) {
        message.append("; ");
      }
      message.append(field.isEmpty() ? "request" : field).append(' ').append(proto.getMessage());
    }
    ErrorInfo errorInfo = ErrorInfo.newBuilder().setReason("INVALID_FIELDS").setDomain(DOMAIN).build();
    return Optional.of((InvalidArgumentException) Exceptions.create(
        Status.INVALID_ARGUMENT.withDescription(message.toString()), errorInfo, violations, null));
  }

  private static String path(List<FieldPathElement> elements) {
    StringBuilder path = new StringBuilder();
    for (FieldPathElement element : elements) {
      if (path.length() > 0) {
        path.append('.');
      }
      path.append(element.getFieldName());
      if (element.hasIndex()) {
        path.append('[').append(element.getIndex()).append(']');
      } else if (element.hasStringKey()) {
        path.append("[\"").append(element.getStringKey()).append("\"]");
      }
    }
    return path.toString();
  }
}
