package io.github.usergrpc.user.server;

import static java.util.Objects.requireNonNull;

import io.github.usergrpc.user.api.Headers;
import io.github.usergrpc.user.service.internal.ErrorMapper;
import io.github.usergrpc.user.v1.ErrorReason;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Admits a UserService call only with {@code authorization: Bearer <token>} for a known token whose scopes
 * cover the method: {@value AccessTokens#READ_SCOPE} for reads, {@value AccessTokens#WRITE_SCOPE} for
 * writes. Runs on the headers alone, before any byte of the request is parsed. A call without credentials,
 * or with a token that is not known, is closed with UNAUTHENTICATED (MISSING_CREDENTIALS, INVALID_TOKEN); a
 * token without the scope with PERMISSION_DENIED (MISSING_SCOPE). An admitted call runs with its
 * {@link Principal} in the context. Neither the token nor its hash is ever logged or echoed.
 *
 * <p>Only the UserService is intercepted: health and reflection stay open.
 */
final class AuthInterceptor implements ServerInterceptor {

  private static final Logger logger = Logger.getLogger(AuthInterceptor.class.getName());

  static final Metadata.Key<String> AUTHORIZATION = Headers.AUTHORIZATION_KEY;
  private static final String BEARER = "bearer ";

  /** The scope each method needs; a method missing here is denied to everyone. */
  static final Map<String, String> SCOPES = Map.of(
      UserServiceGrpc.getGetUserMethod().getFullMethodName(), AccessTokens.READ_SCOPE,
      UserServiceGrpc.getListUsersMethod().getFullMethodName(), AccessTokens.READ_SCOPE,
      UserServiceGrpc.getWatchUserActivityMethod().getFullMethodName(), AccessTokens.READ_SCOPE,
      UserServiceGrpc.getCreateUserMethod().getFullMethodName(), AccessTokens.WRITE_SCOPE,
      UserServiceGrpc.getUpdateUserMethod().getFullMethodName(), AccessTokens.WRITE_SCOPE,
      UserServiceGrpc.getDeleteUserMethod().getFullMethodName(), AccessTokens.WRITE_SCOPE,
      UserServiceGrpc.getRecordActivityMethod().getFullMethodName(), AccessTokens.WRITE_SCOPE);

  private final AccessTokens tokens;

  AuthInterceptor(AccessTokens tokens) {
    this.tokens = requireNonNull(tokens, "tokens");
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    MethodDescriptor<ReqT, RespT> method = call.getMethodDescriptor();
    Iterable<String> values = headers.getAll(AUTHORIZATION);
    if (values == null) {
      return reject(call, ErrorReason.MISSING_CREDENTIALS,
          "this server requires a bearer token: send the header 'authorization: Bearer <token>'", Map.of());
    }
    Iterator<String> iterator = values.iterator();
    String value = iterator.next();
    Optional<Principal> principal = iterator.hasNext() ? Optional.empty()
        : bearerToken(value).flatMap(tokens::authenticate);
    if (principal.isEmpty()) {
      return reject(call, ErrorReason.INVALID_TOKEN,
          "the bearer token is not valid: send exactly one header 'authorization: Bearer <token>' with a token"
              + " this server knows", Map.of());
    }
    String scope = SCOPES.get(method.getFullMethodName());
    if (scope == null) {
      return reject(call, ErrorReason.MISSING_SCOPE, "no scope grants " + method.getBareMethodName(),
          Map.of("method", method.getBareMethodName()));
    }
    if (!principal.get().hasScope(scope)) {
      return reject(call, ErrorReason.MISSING_SCOPE, "the token of " + principal.get().name() + " lacks the scope "
          + scope + " that " + method.getBareMethodName() + " needs",
          Map.of("scope", scope, "method", method.getBareMethodName(), "principal", principal.get().name()));
    }
    Context context = Context.current().withValue(Principal.CONTEXT_KEY, principal.get());
    return Contexts.interceptCall(context, call, headers, next);
  }

  /** Returns the token of an {@code authorization} value of the Bearer scheme (case-insensitive). */
  private static Optional<String> bearerToken(String value) {
    if (value.length() <= BEARER.length()
        || !value.substring(0, BEARER.length()).toLowerCase(Locale.ROOT).equals(BEARER)) {
      return Optional.empty();
    }
    String token = value.substring(BEARER.length()).strip();
    return token.isEmpty() ? Optional.empty() : Optional.of(token);
  }

  private static <ReqT> ServerCall.Listener<ReqT> reject(ServerCall<ReqT, ?> call, ErrorReason reason,
      String message, Map<String, String> metadata) {
    logger.log(Level.FINE, "refused a call to {0}: {1}",
        new Object[] {call.getMethodDescriptor().getFullMethodName(), reason});
    StatusRuntimeException error = ErrorMapper.error(reason, message, metadata);
    call.close(error.getStatus(), error.getTrailers());
    return new ServerCall.Listener<>() {};
  }
}
