package io.github.usergrpc.user.client;

import com.google.rpc.ErrorInfo;
import io.grpc.Status;

/** No user has the id (NOT_FOUND). */
public final class UserNotFoundException extends UserServiceException {

  private static final long serialVersionUID = 1L;

  UserNotFoundException(Status status, ErrorInfo errorInfo, Throwable cause) {
    super(status, errorInfo, cause);
  }
}
