package io.github.usergrpc.user.api;

import static java.util.Objects.requireNonNull;

import com.google.rpc.ErrorInfo;
import io.github.usergrpc.user.v1.ErrorReason;
import io.grpc.Status;
import java.util.Map;

/**
 * The {@code google.rpc.ErrorInfo} side of the UserService's errors (AIP-193): the domain every reason
 * belongs to, and the status code each {@link ErrorReason} comes with, as error_reason.proto documents.
 */
public final class ErrorReasons {

  /** The {@code ErrorInfo.domain} of every error of the UserService. */
  public static final String DOMAIN = "usergrpc.github.io";

  private ErrorReasons() {}

  /**
   * Returns the status code {@code reason} comes with.
   *
   * @param reason a reason
   * @return its code, as documented in error_reason.proto
   * @throws IllegalArgumentException for {@code ERROR_REASON_UNSPECIFIED} and {@code UNRECOGNIZED}, which are
   *     not reasons
   */
  public static Status.Code code(ErrorReason reason) {
    return switch (requireNonNull(reason, "reason")) {
      case USER_NOT_FOUND -> Status.Code.NOT_FOUND;
      case EMAIL_ALREADY_EXISTS -> Status.Code.ALREADY_EXISTS;
      case ETAG_MISMATCH -> Status.Code.ABORTED;
      case INVALID_FIELDS, INVALID_PAGE_TOKEN, REQUEST_ID_REUSED, MALFORMED_REQUEST -> Status.Code.INVALID_ARGUMENT;
      case MISSING_CREDENTIALS, INVALID_TOKEN -> Status.Code.UNAUTHENTICATED;
      case MISSING_SCOPE -> Status.Code.PERMISSION_DENIED;
      case WATCH_TOO_SLOW, TOO_MANY_WATCHES -> Status.Code.RESOURCE_EXHAUSTED;
      case RESUME_POINT_EXPIRED -> Status.Code.OUT_OF_RANGE;
      case SERVER_SHUTTING_DOWN, STORE_UNAVAILABLE -> Status.Code.UNAVAILABLE;
      case INTERNAL_ERROR -> Status.Code.INTERNAL;
      case ERROR_REASON_UNSPECIFIED, UNRECOGNIZED ->
          throw new IllegalArgumentException("reason: " + reason + " (expected: a reason of error_reason.proto)");
    };
  }

  /**
   * Returns the {@code ErrorInfo} of an error with {@code reason}: the reason's name, {@link #DOMAIN} and
   * {@code metadata}.
   *
   * @param reason a reason
   * @param metadata the {@code ErrorInfo.metadata}, the keys error_reason.proto names for the reason
   * @return the error info
   * @throws IllegalArgumentException for {@code ERROR_REASON_UNSPECIFIED} and {@code UNRECOGNIZED}
   */
  public static ErrorInfo errorInfo(ErrorReason reason, Map<String, String> metadata) {
    requireNonNull(metadata, "metadata");
    code(reason); // rejects the values that are not reasons
    return ErrorInfo.newBuilder().setReason(reason.name()).setDomain(DOMAIN).putAllMetadata(metadata).build();
  }
}
