package io.github.usergrpc.user.server.activity.jetstream;

/**
 * The activity stream cannot be used: NATS is not reachable at start-up, or the stream exists with a
 * configuration this server cannot safely change. The message is one line, the cause and the remedy, for
 * the start-up failure line.
 */
public final class ActivityStreamSetupException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  ActivityStreamSetupException(String message, Throwable cause) {
    super(message, cause);
  }

  ActivityStreamSetupException(String message) {
    super(message);
  }
}
