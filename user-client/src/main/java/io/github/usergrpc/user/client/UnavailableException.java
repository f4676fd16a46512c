package io.github.usergrpc.user.client;

import com.google.rpc.ErrorInfo;
import io.grpc.Status;

/** The service or its database cannot be reached (UNAVAILABLE). The client retried already where that was safe; the call may be tried again later. */
public final class UnavailableException extends UserServiceException {

  private static final long serialVersionUID = 1L;

  UnavailableException(Status status, ErrorInfo errorInfo, Throwable cause) {
    super(status, errorInfo, cause);
  }
}
