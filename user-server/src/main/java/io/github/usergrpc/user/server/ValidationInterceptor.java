package io.github.usergrpc.user.server;

import static java.util.Objects.requireNonNull;

import build.buf.protovalidate.ValidationResult;
import build.buf.protovalidate.Validator;
import build.buf.protovalidate.Violation;
import build.buf.protovalidate.exceptions.ValidationException;
import build.buf.validate.FieldPath;
import build.buf.validate.FieldPathElement;
import com.google.protobuf.Message;
import com.google.rpc.BadRequest;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;

/**
 * Enforces the protovalidate rules declared in user.proto on every request message, before any handler
 * runs: a request that breaks rules is closed with INVALID_ARGUMENT carrying an {@code ErrorInfo} (reason
 * INVALID_FIELDS) and a {@code google.rpc.BadRequest} with one field violation per broken rule, and the
 * handler never sees it.
 */
final class ValidationInterceptor implements ServerInterceptor {

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
    if (result.isSuccess()) {
      return null;
    }
    BadRequest.Builder badRequest = BadRequest.newBuilder();
    for (Violation violation : result.getViolations()) {
      build.buf.validate.Violation proto = violation.toProto();
      badRequest.addFieldViolations(BadRequest.FieldViolation.newBuilder()
          .setField(path(proto.getField()))
          .setDescription(proto.getMessage())
          .setReason(proto.getRuleId()));
    }
    return ErrorMapper.invalidFields(badRequest.build());
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
