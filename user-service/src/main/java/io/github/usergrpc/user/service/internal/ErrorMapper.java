package io.github.usergrpc.user.service.internal;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.github.usergrpc.user.api.ErrorReasons;
import io.github.usergrpc.user.api.RequestValidator;
import io.github.usergrpc.user.service.store.EmailAlreadyExistsException;
import io.github.usergrpc.user.service.store.EtagMismatchException;
import io.github.usergrpc.user.service.store.RequestIdReusedException;
import io.github.usergrpc.user.service.store.ResumePointExpiredException;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import io.github.usergrpc.user.service.store.UserNotFoundException;
import io.github.usergrpc.user.v1.ErrorReason;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Turns every failure of the service into the status a client sees, in one place: the code, a message that
 * is safe to show, and a {@code google.rpc.ErrorInfo} (AIP-193). Unexpected failures become INTERNAL with a
 * generic message and are logged here with their cause; nothing internal reaches the client.
 */
public final class ErrorMapper {

  private static final Logger logger = Logger.getLogger(ErrorMapper.class.getName());
  private static final LogThrottle STORE_UNAVAILABLE_LOG = new LogThrottle(Duration.ofSeconds(10));

  /** The trailer in which {@link StatusProto} carries a {@code google.rpc.Status}. */
  private static final Metadata.Key<byte[]> STATUS_DETAILS_KEY =
      Metadata.Key.of("grpc-status-details-bin", Metadata.BINARY_BYTE_MARSHALLER);

  /**
   * gRPC's retry pushback (gRFC A6): a client retrying by a service config {@code retryPolicy} waits this
   * long before its next attempt instead of its own backoff.
   */
  private static final Metadata.Key<String> RETRY_PUSHBACK_KEY =
      Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER);
  /**
   * The pushback on STORE_UNAVAILABLE. While the database is down, calls fail at once (the JDBC store's
   * circuit breaker), so a client's own backoff (100 ms, 200 ms, 400 ms by default) would spend all its
   * attempts within a second; a second apart, they span an outage of a few seconds.
   */
  static final Duration STORE_RETRY_PUSHBACK = Duration.ofSeconds(1);

  private ErrorMapper() {}

  /**
   * Returns the exception to close a call with for {@code failure}.
   *
   * @param failure what went wrong
   * @return a status exception whose trailers carry the {@code google.rpc.Status} with its details
   */
  public static StatusRuntimeException toStatusException(Throwable failure) {
    requireNonNull(failure, "failure");
    if (failure instanceof StatusRuntimeException e) {
      return withErrorInfo(e.getStatus(), e.getTrailers());
    }
    if (failure instanceof StatusException e) {
      return withErrorInfo(e.getStatus(), e.getTrailers());
    }
    if (failure instanceof UserNotFoundException e) {
      return error(ErrorReason.USER_NOT_FOUND, e.getMessage(), Map.of("user_id", e.userId()));
    }
    if (failure instanceof EmailAlreadyExistsException e) {
      return error(ErrorReason.EMAIL_ALREADY_EXISTS, e.getMessage(), Map.of());
    }
    if (failure instanceof EtagMismatchException e) {
      return error(ErrorReason.ETAG_MISMATCH, e.getMessage(), Map.of("user_id", e.userId()));
    }
    if (failure instanceof RequestIdReusedException e) {
      return error(ErrorReason.REQUEST_ID_REUSED, e.getMessage(), Map.of("request_id", e.requestId()));
    }
    if (failure instanceof ResumePointExpiredException e) {
      return error(ErrorReason.RESUME_POINT_EXPIRED, e.getMessage(),
          Map.of("oldest_retained", Long.toString(e.oldestRetained())));
    }
    if (failure instanceof StoreUnavailableException e) {
      // Every call fails this way while the database is down: a line every few seconds with a count, each
      // call's cause at FINE only.
      Throwable cause = e.getCause();
      String why = cause == null ? "unknown cause" : cause.getClass().getSimpleName() + ": " + cause.getMessage();
      STORE_UNAVAILABLE_LOG.tryAcquire().ifPresent(pass -> logger.log(Level.WARNING,
          "user store unavailable: {0} ({1} more calls failed the same way since the last such line)",
          new Object[] {why, pass.heldBack()}));
      logger.log(Level.FINE, "user store unavailable", cause);
      StatusRuntimeException unavailable = error(ErrorReason.STORE_UNAVAILABLE, e.getMessage(), Map.of());
      Metadata trailers = unavailable.getTrailers();
      trailers.put(RETRY_PUSHBACK_KEY, Long.toString(STORE_RETRY_PUSHBACK.toMillis()));
      return unavailable.getStatus().asRuntimeException(trailers);
    }
    logger.log(Level.SEVERE, "unexpected failure", failure);
    return error(ErrorReason.INTERNAL_ERROR, "internal error", Map.of());
  }

  /**
   * Returns a status exception with {@code reason}'s code and an {@code ErrorInfo} for it.
   *
   * @param reason the reason
   * @param message the status message; must not contain internal details
   * @param metadata the {@code ErrorInfo.metadata}: every dynamic value of the message
   * @return the exception
   */
  public static StatusRuntimeException error(ErrorReason reason, String message, Map<String, String> metadata) {
    return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
        .setCode(ErrorReasons.code(reason).value())
        .setMessage(message)
        .addDetails(Any.pack(ErrorReasons.errorInfo(reason, metadata)))
        .build());
  }

  /**
   * Returns the INVALID_ARGUMENT exception for broken validation rules, as {@link
   * RequestValidator#invalidFields} describes it.
   *
   * @param badRequest the violations
   * @return the exception
   */
  static StatusRuntimeException invalidFields(BadRequest badRequest) {
    return StatusProto.toStatusRuntimeException(RequestValidator.invalidFields(badRequest));
  }

  /**
   * Returns {@code status} with an {@code ErrorInfo} in its trailers, unless they already carry details.
   * Statuses that gRPC itself produces (CANCELLED, DEADLINE_EXCEEDED, ...) get the code's name as reason.
   */
  public static StatusRuntimeException withErrorInfo(Status status, Metadata trailers) {
    if (status.isOk() || (trailers != null && trailers.containsKey(STATUS_DETAILS_KEY))) {
      return status.asRuntimeException(trailers);
    }
    com.google.rpc.Status details = com.google.rpc.Status.newBuilder()
        .setCode(status.getCode().value())
        .setMessage(status.getDescription() == null ? status.getCode().name() : status.getDescription())
        .addDetails(Any.pack(ErrorInfo.newBuilder()
            .setReason(status.getCode().name()).setDomain(ErrorReasons.DOMAIN).build()))
        .build();
    Metadata merged = new Metadata();
    if (trailers != null) {
      merged.merge(trailers);
    }
    return StatusProto.toStatusRuntimeException(details, merged);
  }
}
