package io.github.usergrpc.user.server;

import static java.util.Objects.requireNonNull;

import build.buf.protovalidate.ValidationResult;
import build.buf.protovalidate.Validator;
import build.buf.protovalidate.Violation;
import build.buf.protovalidate.exceptions.ValidationException;
import build.buf.validate.FieldPath;
import build.buf.validate.FieldPathElement;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.rpc.BadRequest;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.Map;

/**
 * Enforces the protovalidate rules declared in user.proto on every request message, before any handler
 * runs: a request that breaks rules is closed with INVALID_ARGUMENT carrying an {@code ErrorInfo} (reason
 * INVALID_FIELDS) and a {@code google.rpc.BadRequest} with one field violation per broken rule, and the
 * handler never sees it.
 *
 * <p>One rule is the server's own, beyond user.proto's: no string may contain the NUL character (U+0000),
 * which PostgreSQL cannot store in text. Checking it here, for every store, keeps what the in-memory and H2
 * stores accept the same as what PostgreSQL accepts.
 */
final class ValidationInterceptor implements ServerInterceptor {

  /** The {@code BadRequest.FieldViolation.reason} of a string that contains U+0000. */
  static final String NO_NUL_RULE = "string.no_nul";

  private final Validator validator;

  /**
   * Creates the interceptor.
   *
   * @param validator a validator, shared: it is thread-safe and compiles rules once
   */
  ValidationInterceptor(Validator validator) {
    this.validator = requireNonNull(validator, "validator");
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call,
      Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    return new SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
      private boolean rejected;

      @Override
      public void onMessage(ReqT message) {
        if (rejected) {
          return;
        }
        StatusRuntimeException failure = check(message);
        if (failure != null) {
          rejected = true;
          call.close(failure.getStatus(), failure.getTrailers());
          return;
        }
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        // A rejected call is closed already; running the handler would close it twice.
        if (!rejected) {
          super.onHalfClose();
        }
      }
    };
  }

  private StatusRuntimeException check(Object message) {
    if (!(message instanceof Message protoMessage)) {
      return null;
    }
    ValidationResult result;
    try {
      result = validator.validate(protoMessage);
    } catch (ValidationException e) {
      return ErrorMapper.toStatusException(e);
    }
    BadRequest.Builder badRequest = BadRequest.newBuilder();
    for (Violation violation : result.getViolations()) {
      build.buf.validate.Violation proto = violation.toProto();
      badRequest.addFieldViolations(BadRequest.FieldViolation.newBuilder()
          .setField(path(proto.getField()))
          .setDescription(proto.getMessage())
          .setReason(proto.getRuleId()));
    }
    addNulViolations(protoMessage, "", badRequest);
    return badRequest.getFieldViolationsCount() == 0 ? null : ErrorMapper.invalidFields(badRequest.build());
  }

  /** Adds a violation for every string field, at any depth, that contains U+0000. */
  private static void addNulViolations(Message message, String prefix, BadRequest.Builder badRequest) {
    for (Map.Entry<FieldDescriptor, Object> field : message.getAllFields().entrySet()) {
      FieldDescriptor descriptor = field.getKey();
      List<?> values = descriptor.isRepeated() ? (List<?>) field.getValue() : List.of(field.getValue());
      for (int i = 0; i < values.size(); i++) {
        String path = prefix + descriptor.getName() + (descriptor.isRepeated() ? "[" + i + "]" : "");
        Object value = values.get(i);
        if (value instanceof String text && text.indexOf('\u0000') >= 0) {
          badRequest.addFieldViolations(BadRequest.FieldViolation.newBuilder()
              .setField(path)
              .setDescription("must not contain the NUL character (U+0000)")
              .setReason(NO_NUL_RULE));
        } else if (value instanceof Message nested) {
          addNulViolations(nested, path + ".", badRequest);
        }
      }
    }
  }

  /**
   * Returns a field path in the syntax of {@code BadRequest.FieldViolation.field}, such as {@code email}
   * or {@code users[2].name}; empty for a rule on the whole message.
   */
  static String path(FieldPath fieldPath) {
    StringBuilder path = new StringBuilder();
    for (FieldPathElement element : fieldPath.getElementsList()) {
      if (path.length() > 0) {
        path.append('.');
      }
      path.append(element.getFieldName());
      switch (element.getSubscriptCase()) {
        case INDEX -> path.append('[').append(element.getIndex()).append(']');
        case BOOL_KEY -> path.append('[').append(element.getBoolKey()).append(']');
        case INT_KEY -> path.append('[').append(element.getIntKey()).append(']');
        case UINT_KEY -> path.append('[').append(Long.toUnsignedString(element.getUintKey())).append(']');
        case STRING_KEY -> path.append("[\"").append(element.getStringKey()).append("\"]");
        case SUBSCRIPT_NOT_SET -> { }
      }
    }
    return path.toString();
  }
}
