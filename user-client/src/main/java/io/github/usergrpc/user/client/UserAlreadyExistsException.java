package io.github.usergrpc.user.client;

import com.google.rpc.ErrorInfo;
import io.grpc.Status;

/** Another user has the email (ALREADY_EXISTS). */
public final class UserAlreadyExistsException extends UserServiceException {

  private static final long serialVersionUID = 1L;

  UserAlreadyExistsException(Status status, ErrorInfo errorInfo, Throwable cause) {
    super(status, errorInfo, cause);
  }
}
