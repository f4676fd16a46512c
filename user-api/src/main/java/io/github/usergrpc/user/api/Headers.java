package io.github.usergrpc.user.api;

import io.grpc.Metadata;

/**
 * The names of the headers (gRPC metadata) the UserService reads or sends beyond gRPC's own, each as a
 * name (for HTTP layers) and as a {@link Metadata.Key}.
 */
public final class Headers {

  /**
   * Response header of WatchUserActivity, sent as soon as the stream has started: the sequence the stream
   * starts after. A client whose stream breaks before its first event resumes after it.
   */
  public static final String ACTIVITY_RESUME_AFTER = "activity-resume-after";

  /** {@link #ACTIVITY_RESUME_AFTER} as a metadata key. */
  public static final Metadata.Key<String> ACTIVITY_RESUME_AFTER_KEY =
      Metadata.Key.of(ACTIVITY_RESUME_AFTER, Metadata.ASCII_STRING_MARSHALLER);

  /**
   * Request header with the caller's id for the request, to find its line in the server's log; the server
   * echoes it in the response headers.
   */
  public static final String REQUEST_ID = "x-request-id";

  /** {@link #REQUEST_ID} as a metadata key. */
  public static final Metadata.Key<String> REQUEST_ID_KEY =
      Metadata.Key.of(REQUEST_ID, Metadata.ASCII_STRING_MARSHALLER);

  /** Request header with the credentials, {@code Bearer <token>}, for a server that requires tokens. */
  public static final String AUTHORIZATION = "authorization";

  /** {@link #AUTHORIZATION} as a metadata key. */
  public static final Metadata.Key<String> AUTHORIZATION_KEY =
      Metadata.Key.of(AUTHORIZATION, Metadata.ASCII_STRING_MARSHALLER);

  private Headers() {}
}
