package io.github.usergrpc.user.client;

import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import java.util.List;

/**
 * The request was invalid (INVALID_ARGUMENT): it broke validation rules of the contract, carried a bad page
 * token or a reused request id, or did not parse. Rule violations are listed in {@link #fieldViolations()},
 * whether the server found them or the client's own validation did before sending anything.
 */
public final class InvalidArgumentException extends UserServiceException {

  private static final long serialVersionUID = 1L;

  private final transient List<BadRequest.FieldViolation> fieldViolations;

  InvalidArgumentException(Status status, ErrorInfo errorInfo, List<BadRequest.FieldViolation> fieldViolations,
      Throwable cause) {
    super(status, errorInfo, cause);
    this.fieldViolations = List.copyOf(fieldViolations);
  }

  /**
   * Returns one entry per broken validation rule: the field path (such as {@code email}), a description, and
   * the rule id as reason (such as {@code string.email}). Empty when the request was invalid for another
   * reason, such as a bad page token.
   */
  public List<BadRequest.FieldViolation> fieldViolations() {
    return fieldViolations;
  }
}
