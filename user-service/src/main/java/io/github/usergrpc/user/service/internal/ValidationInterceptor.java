package io.github.usergrpc.user.service.internal;

import static java.util.Objects.requireNonNull;

import build.buf.protovalidate.exceptions.ValidationException;
import com.google.protobuf.Message;
import com.google.rpc.BadRequest;
import io.github.usergrpc.user.api.RequestValidator;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;

/**
 * Enforces the contract's request rules on every request message, before any handler runs: a request that
 * breaks rules is closed with INVALID_ARGUMENT carrying an {@code ErrorInfo} (reason INVALID_FIELDS) and a
 * {@code google.rpc.BadRequest} with one field violation per broken rule, and the handler never sees it.
 *
 * <p>The rules and the status are {@link RequestValidator}'s, the same the client checks before sending: the
 * protovalidate rules of user.proto and the no-NUL rule (U+0000, which PostgreSQL cannot store in text).
 * Checking NUL here, for every store, keeps what the in-memory and H2 stores accept the same as what
 * PostgreSQL accepts.
 */
public final class ValidationInterceptor implements ServerInterceptor {

  private final RequestValidator validator;

  /**
   * Creates the interceptor.
   *
   * @param validator the validator, usually {@link RequestValidator#get()}
   */
  public ValidationInterceptor(RequestValidator validator) {
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
    BadRequest badRequest;
    try {
      badRequest = validator.validate(protoMessage);
    } catch (ValidationException e) {
      return ErrorMapper.toStatusException(e);
    }
    return badRequest.getFieldViolationsCount() == 0 ? null : ErrorMapper.invalidFields(badRequest);
  }
}
