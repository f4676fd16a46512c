package io.github.usergrpc.user.server;

import io.grpc.Status;

/**
 * The stable {@code google.rpc.ErrorInfo} reasons of the UserService (AIP-193), each with the status code
 * it comes with. The same table is in the comments of user.proto, which is what clients read.
 */
public enum ErrorReason {
  /** No user has the id. */
  USER_NOT_FOUND(Status.Code.NOT_FOUND),
  /** Another user has the email. */
  EMAIL_ALREADY_EXISTS(Status.Code.ALREADY_EXISTS),
  /** The etag sent is not the user's current etag. */
  ETAG_MISMATCH(Status.Code.ABORTED),
  /** Validation rules of the contract were broken; a {@code google.rpc.BadRequest} lists them. */
  INVALID_FIELDS(Status.Code.INVALID_ARGUMENT),
  /** The page token is malformed, tampered with, or belongs to another query. */
  INVALID_PAGE_TOKEN(Status.Code.INVALID_ARGUMENT),
  /** The request id was already used for a request with other values. */
  REQUEST_ID_REUSED(Status.Code.INVALID_ARGUMENT),
  /** The request bytes do not parse as the request message. */
  MALFORMED_REQUEST(Status.Code.INVALID_ARGUMENT),
  /** The server requires a bearer token and the call came without an {@code authorization} header. */
  MISSING_CREDENTIALS(Status.Code.UNAUTHENTICATED),
  /** The bearer token is malformed or not one the server knows. */
  INVALID_TOKEN(Status.Code.UNAUTHENTICATED),
  /** The token is valid but does not grant the scope the method needs. */
  MISSING_SCOPE(Status.Code.PERMISSION_DENIED),
  /** A watcher fell too far behind and its stream was ended. */
  WATCH_TOO_SLOW(Status.Code.RESOURCE_EXHAUSTED),
  /** The server's limit of open watch streams, in all or for one user, is reached; retry later. */
  TOO_MANY_WATCHES(Status.Code.RESOURCE_EXHAUSTED),
  /** A watch asked to resume from before the events the server still keeps. */
  RESUME_POINT_EXPIRED(Status.Code.OUT_OF_RANGE),
  /** The server is shutting down; a watch may reconnect, to another replica, with resume_after. */
  SERVER_SHUTTING_DOWN(Status.Code.UNAVAILABLE),
  /** The database cannot be reached. */
  STORE_UNAVAILABLE(Status.Code.UNAVAILABLE),
  /** An unexpected failure; its cause is in the server log only. */
  INTERNAL_ERROR(Status.Code.INTERNAL);

  /** The {@code ErrorInfo.domain} of every error of this service. */
  public static final String DOMAIN = "usergrpc.github.io";

  private final Status.Code code;

  ErrorReason(Status.Code code) {
    this.code = code;
  }

  /** Returns the status code this reason comes with. */
  public Status.Code code() {
    return code;
  }
}
