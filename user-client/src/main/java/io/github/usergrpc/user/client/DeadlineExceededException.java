package io.github.usergrpc.user.client;

import com.google.rpc.ErrorInfo;
import io.grpc.Status;

/** The call did not finish within its deadline (DEADLINE_EXCEEDED). The server may still have done the work. */
public final class DeadlineExceededException extends UserServiceException {

  private static final long serialVersionUID = 1L;

  DeadlineExceededException(Status status, ErrorInfo errorInfo, Throwable cause) {
    super(status, errorInfo, cause);
  }
}
