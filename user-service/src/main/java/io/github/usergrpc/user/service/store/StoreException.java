package io.github.usergrpc.user.service.store;

/**
 * The root of what a {@link UserStore} throws on purpose. Each subclass is one outcome the service maps to
 * one gRPC status in {@code io.github.usergrpc.user.service.internal.ErrorMapper}; messages are safe to show to
 * clients and never hold SQL or stack traces.
 */
public abstract class StoreException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  StoreException(String message) {
    super(message);
  }

  StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
