package io.github.usergrpc.user.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.util.List;
import java.util.concurrent.CancellationException;

/** Turns gRPC failures into the client's exceptions, in one place. */
final class Exceptions {

  private Exceptions() {}

  /**
   * Returns the client exception for a failed call.
   *
   * @param failure what the call failed with
   * @return a {@link UserServiceException}, or the failure itself when it is a cancellation or already ours
   */
  static RuntimeException toClientException(Throwable failure) {
    if (failure instanceof UserServiceException e) {
      return e;
    }
    if (failure instanceof CancellationException e) {
      return e;
    }
    Status status = Status.fromThrowable(failure);
    com.google.rpc.Status details = StatusProto.fromThrowable(failure);
    ErrorInfo errorInfo = ErrorInfo.getDefaultInstance();
    List<BadRequest.FieldViolation> violations = List.of();
    if (details != null) {
      for (Any detail : details.getDetailsList()) {
        try {
          if (detail.is(ErrorInfo.class)) {
            errorInfo = detail.unpack(ErrorInfo.class);
          } else if (detail.is(BadRequest.class)) {
            violations = detail.unpack(BadRequest.class).getFieldViolationsList();
          }
        } catch (InvalidProtocolBufferException e) {
          // A detail we cannot read is left out; the status itself is still right.
        }
      }
    }
    return create(status, errorInfo, violations, failure);
  }

  static UserServiceException create(Status status, ErrorInfo errorInfo, List<BadRequest.FieldViolation> violations,
      Throwable cause) {
    return switch (status.getCode()) {
      case NOT_FOUND -> new UserNotFoundException(status, errorInfo, cause);
      case ALREADY_EXISTS -> new UserAlreadyExistsException(status, errorInfo, cause);
      case INVALID_ARGUMENT -> new InvalidArgumentException(status, errorInfo, violations, cause);
      case ABORTED -> new ConflictException(status, errorInfo, cause);
      case UNAVAILABLE -> new UnavailableException(status, errorInfo, cause);
      case DEADLINE_EXCEEDED -> new DeadlineExceededException(status, errorInfo, cause);
      default -> new UserServiceException(status, errorInfo, cause);
    };
  }
}
