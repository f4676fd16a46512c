package io.github.usergrpc.user.server;

import static java.util.Objects.requireNonNull;

import io.grpc.Context;
import java.util.Optional;
import java.util.Set;

/**
 * Who made the current call: the principal named next to the caller's token in the token file, with the
 * scopes that token grants. Never holds the token itself, so it is safe to log.
 *
 * <p>When the server requires tokens ({@link UserServer.Builder#setAccessTokens}), every UserService call
 * that reaches an interceptor added with {@link UserServer.Builder#addInterceptor} or a handler runs with
 * its principal in the gRPC {@link Context}: read it with {@link #current()}.
 *
 * @param name the principal's name, as in the token file
 * @param scopes the scopes the caller's token grants, such as {@value AccessTokens#READ_SCOPE}
 */
public record Principal(String name, Set<String> scopes) {

  /** The context key under which the server keeps the principal of the current call. */
  static final Context.Key<Principal> CONTEXT_KEY = Context.key("user-grpc-principal");

  /**
   * Creates a principal.
   *
   * @param name the name
   * @param scopes the scopes; copied
   */
  public Principal {
    requireNonNull(name, "name");
    scopes = Set.copyOf(requireNonNull(scopes, "scopes"));
  }

  /**
   * Returns the principal of the call the current thread serves, or empty when the server does not require
   * tokens or the thread serves no UserService call.
   *
   * @return the principal, if any
   */
  public static Optional<Principal> current() {
    return Optional.ofNullable(CONTEXT_KEY.get());
  }

  /**
   * Tells whether the caller's token grants {@code scope}.
   *
   * @param scope a scope, such as {@value AccessTokens#WRITE_SCOPE}
   * @return true if granted
   */
  public boolean hasScope(String scope) {
    return scopes.contains(requireNonNull(scope, "scope"));
  }
}
