package io.github.usergrpc.user.client;

import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Optional;

/**
 * A UserService call failed. The root of the client's exceptions: a subclass for each outcome a caller
 * typically acts on ({@link UserNotFoundException}, {@link UserAlreadyExistsException},
 * {@link InvalidArgumentException}, {@link ConflictException}, {@link UnavailableException},
 * {@link DeadlineExceededException}); this class itself for everything else. It keeps the gRPC status and
 * the {@code google.rpc.ErrorInfo} the server sent (AIP-193).
 */
public class UserServiceException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final transient Status status;
  private final transient ErrorInfo errorInfo;

  /**
   * Creates the exception.
   *
   * @param status the status the call ended with
   * @param errorInfo the error info of the status, or the default instance when it had none
   * @param cause the gRPC exception, if any
   */
  protected UserServiceException(Status status, ErrorInfo errorInfo, Throwable cause) {
    super(message(status, errorInfo), cause);
    this.status = status;
    this.errorInfo = errorInfo;
  }

  /** Returns the status code the call ended with. */
  public Status.Code code() {
    return status.getCode();
  }

  /** Returns the status the call ended with. */
  public Status status() {
    return status;
  }

  /**
   * Returns the {@code ErrorInfo.reason} the server sent, such as {@code USER_NOT_FOUND}; empty when the
   * error did not come from the service (a transport failure, a deadline).
   */
  public Optional<String> reason() {
    return errorInfo.getReason().isEmpty() ? Optional.empty() : Optional.of(errorInfo.getReason());
  }

  /** Returns the {@code ErrorInfo} the server sent, or the default instance. */
  public ErrorInfo errorInfo() {
    return errorInfo;
  }

  /**
   * Tells whether trying the same call again may succeed without changing it: true for UNAVAILABLE only
   * (AIP-194). The client already retried such calls where that was safe.
   */
  public boolean isRetryable() {
    return status.getCode() == Status.Code.UNAVAILABLE;
  }

  /** Returns the status as a gRPC exception, for code that works with those. */
  public StatusRuntimeException toStatusRuntimeException() {
    return status.asRuntimeException();
  }

  private static String message(Status status, ErrorInfo errorInfo) {
    StringBuilder message = new StringBuilder(status.getCode().name());
    if (!errorInfo.getReason().isEmpty()) {
      message.append(" (").append(errorInfo.getReason()).append(')');
    }
    if (status.getDescription() != null) {
      message.append(": ").append(status.getDescription());
    }
    return message.toString();
  }
}
