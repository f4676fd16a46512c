package io.github.usergrpc.user.server;

import io.github.usergrpc.user.api.ErrorReasons;
import io.grpc.Status;

/**
 * The stable {@code google.rpc.ErrorInfo} reasons of the UserService (AIP-193), each with the status code
 * it comes with.
 *
 * @deprecated The reasons are part of the contract now: use the generated {@link
 *     io.github.usergrpc.user.v1.ErrorReason} of error_reason.proto (in {@code user-api}), with {@link
 *     ErrorReasons#code} and {@link ErrorReasons#DOMAIN}. This enum has the same constants, in the same order,
 *     and delegates to them; {@link #toProto()} converts.
 */
@Deprecated
public enum ErrorReason {
  /** No user has the id. */
  USER_NOT_FOUND,
  /** Another user has the email. */
  EMAIL_ALREADY_EXISTS,
  /** The etag sent is not the user's current etag. */
  ETAG_MISMATCH,
  /** Validation rules of the contract were broken; a {@code google.rpc.BadRequest} lists them. */
  INVALID_FIELDS,
  /** The page token is malformed, tampered with, or belongs to another query. */
  INVALID_PAGE_TOKEN,
  /** The request id was already used for a request with other values. */
  REQUEST_ID_REUSED,
  /** The request bytes do not parse as the request message. */
  MALFORMED_REQUEST,
  /** The server requires a bearer token and the call came without an {@code authorization} header. */
  MISSING_CREDENTIALS,
  /** The bearer token is malformed or not one the server knows. */
  INVALID_TOKEN,
  /** The token is valid but does not grant the scope the method needs. */
  MISSING_SCOPE,
  /** A watcher fell too far behind and its stream was ended. */
  WATCH_TOO_SLOW,
  /** The server's limit of open watch streams, in all or for one user, is reached; retry later. */
  TOO_MANY_WATCHES,
  /** A watch asked to resume from before the events the server still keeps. */
  RESUME_POINT_EXPIRED,
  /** The server is shutting down; a watch may reconnect, to another replica, with resume_after. */
  SERVER_SHUTTING_DOWN,
  /** The database cannot be reached. */
  STORE_UNAVAILABLE,
  /** An unexpected failure; its cause is in the server log only. */
  INTERNAL_ERROR;

  /** The {@code ErrorInfo.domain} of every error of this service; {@link ErrorReasons#DOMAIN}. */
  public static final String DOMAIN = ErrorReasons.DOMAIN;

  private final io.github.usergrpc.user.v1.ErrorReason proto;

  ErrorReason() {
    this.proto = io.github.usergrpc.user.v1.ErrorReason.valueOf(name());
  }

  /**
   * Returns the status code this reason comes with.
   *
   * @return {@link ErrorReasons#code} of {@link #toProto()}
   */
  public Status.Code code() {
    return ErrorReasons.code(proto);
  }

  /**
   * Returns the contract's reason of the same name.
   *
   * @return the generated enum's constant
   */
  public io.github.usergrpc.user.v1.ErrorReason toProto() {
    return proto;
  }
}
