package io.github.usergrpc.user.client;

import io.github.usergrpc.user.api.Headers;
import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.SecurityLevel;
import io.grpc.Status;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Sends {@code authorization: Bearer <token>}, asking the supplier for the token on every call, and only over
 * a connection with privacy and integrity (TLS, or in-process): a token sent in plaintext is a token given away.
 */
final class BearerTokenCredentials extends CallCredentials {

  private static final Metadata.Key<String> AUTHORIZATION = Headers.AUTHORIZATION_KEY;

  private final Supplier<String> token;

  BearerTokenCredentials(Supplier<String> token) {
    this.token = token;
  }

  @Override
  public void applyRequestMetadata(RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
    if (requestInfo.getSecurityLevel() != SecurityLevel.PRIVACY_AND_INTEGRITY) {
      applier.fail(Status.UNAUTHENTICATED.withDescription(
          "refusing to send a bearer token over a connection without TLS"));
      return;
    }
    // The supplier may block (a token refresh): never on the transport thread.
    appExecutor.execute(() -> {
      try {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, "Bearer " + token.get());
        applier.apply(headers);
      } catch (RuntimeException e) {
        applier.fail(Status.UNAUTHENTICATED.withDescription("the bearer token supplier failed").withCause(e));
      }
    });
  }
}
