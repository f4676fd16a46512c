package io.github.usergrpc.user.client;

import com.google.rpc.ErrorInfo;
import io.grpc.Status;

/** The user changed since it was read: the etag sent is not current (ABORTED, reason ETAG_MISMATCH). Read the user again and retry with its new etag. */
public final class ConflictException extends UserServiceException {

  private static final long serialVersionUID = 1L;

  ConflictException(Status status, ErrorInfo errorInfo, Throwable cause) {
    super(status, errorInfo, cause);
  }
}
