package io.github.usergrpc.user.server.activity.jetstream;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.support.Status;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What the NATS client reports, as the server's log wants it: one line when the connection is lost and one
 * when it is back, instead of jnats' default of a SEVERE line for every failed reconnect attempt (four a
 * second while NATS is down). The attempts' exceptions go to FINE, without stack traces.
 */
final class NatsConnectionLog implements ErrorListener, ConnectionListener {

  private static final Logger LOG = Logger.getLogger(JetStreamActivityLog.class.getName());

  /** Whether the loss was logged and the return not yet: the client reports DISCONNECTED on every attempt. */
  private final AtomicBoolean lost = new AtomicBoolean();
  private final Runnable onReconnected;
  private final Consumer<String> onHeartbeatsStopped;

  /**
   * @param onReconnected runs when the connection is back
   * @param onHeartbeatsStopped runs with a consumer's name when the server's heartbeats for it stopped
   */
  NatsConnectionLog(Runnable onReconnected, Consumer<String> onHeartbeatsStopped) {
    this.onReconnected = onReconnected;
    this.onHeartbeatsStopped = onHeartbeatsStopped;
  }

  /** jnats calls this one; the one without the time and the server's URI only remains in its interface. */
  @Override
  public void connectionEvent(Connection connection, Events event, Long time, String uriDetails) {
    switch (event) {
      case DISCONNECTED -> {
        if (lost.compareAndSet(false, true)) {
          LOG.warning("activity stream: NATS connection lost; reconnecting");
        }
      }
      case RECONNECTED -> {
        if (lost.compareAndSet(true, false)) {
          LOG.info("activity stream: NATS connection restored");
        }
        onReconnected.run();
      }
      default -> LOG.fine(() -> "activity stream: NATS " + event.getEvent());
    }
  }

  /** Abstract in jnats' interface, deprecated there, and called by nothing but its default of the one above. */
  @Override
  @SuppressWarnings("deprecation")
  public void connectionEvent(Connection connection, Events event) {
    connectionEvent(connection, event, null, null);
  }

  @Override
  public void heartbeatAlarm(Connection connection, JetStreamSubscription subscription, long lastStreamSequence,
      long lastConsumerSequence) {
    LOG.fine(() -> "activity stream: a reader's heartbeats stopped after stream sequence " + lastStreamSequence);
    onHeartbeatsStopped.accept(subscription.getConsumerName());
  }

  @Override
  public void pullStatusError(Connection connection, JetStreamSubscription subscription, Status status) {
    LOG.fine(() -> "activity stream: pull error " + status);
  }

  /** Logs what is not routine: every idle consumer's pull request expires (408) once per pull expiry. */
  @Override
  public void pullStatusWarning(Connection connection, JetStreamSubscription subscription, Status status) {
    if (status.getCode() != Status.REQUEST_TIMEOUT_CODE) {
      LOG.fine(() -> "activity stream: pull warning " + status);
    }
  }

  /**
   * Messages for a dispatcher piled up past its pending limits and were dropped: an ordered consumer then sees
   * a gap and starts over. jnats reports it once each time a dispatcher becomes slow.
   */
  @Override
  public void slowConsumerDetected(Connection connection, io.nats.client.Consumer consumer) {
    LOG.warning("activity stream: NATS client dropped messages of a slow dispatcher; its consumers start over");
  }

  @Override
  public void messageDiscarded(Connection connection, Message message) {
    LOG.fine(() -> "activity stream: NATS client discarded a message on " + message.getSubject());
  }

  @Override
  public void unhandledStatus(Connection connection, JetStreamSubscription subscription, Status status) {
    LOG.fine(() -> "activity stream: unhandled status " + status);
  }

  @Override
  public void exceptionOccurred(Connection connection, Exception exception) {
    LOG.log(Level.FINE, () -> "activity stream: NATS client: " + exception);
  }

  @Override
  public void errorOccurred(Connection connection, String error) {
    LOG.warning(() -> "activity stream: NATS server error: " + error);
  }
}
