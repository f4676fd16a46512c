package io.github.usergrpc.user.client;

import build.buf.protovalidate.exceptions.ValidationException;
import com.google.protobuf.Message;
import com.google.rpc.BadRequest;
import io.github.usergrpc.user.api.RequestValidator;
import io.grpc.protobuf.StatusProto;
import java.util.Optional;

/**
 * Checks requests before they are sent with the server's own {@link RequestValidator}, so that a bad request
 * fails at once, without a network call, with the {@link InvalidArgumentException} the server's answer
 * would give: the same status, {@code ErrorInfo} and field violations.
 */
final class LocalValidation {

  private LocalValidation() {}

  /** Compiles the contract's rules now (once per JVM), so that the first call does not wait for it. */
  static void compileRules() {
    RequestValidator.get();
  }

  /**
   * Returns the exception the server would answer {@code request} with, or empty when it is valid.
   *
   * @param request a request message of the UserService
   * @return the failure, or empty
   */
  static Optional<InvalidArgumentException> check(Message request) {
    BadRequest badRequest;
    try {
      badRequest = RequestValidator.get().validate(request);
    } catch (ValidationException e) {
      // Rules that cannot be evaluated here are left to the server.
      return Optional.empty();
    }
    if (badRequest.getFieldViolationsCount() == 0) {
      return Optional.empty();
    }
    // Through the same conversion as the server's answer, so that the two cannot differ.
    return Optional.of((InvalidArgumentException) Exceptions.toClientException(
        StatusProto.toStatusRuntimeException(RequestValidator.invalidFields(badRequest))));
  }
}
