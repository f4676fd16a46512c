package io.github.usergrpc.user.server.activity.jetstream;

import static java.util.Objects.requireNonNull;

import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.RequestIdReusedException;
import io.github.usergrpc.user.service.store.ResumePointExpiredException;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import io.nats.client.Connection;
import io.nats.client.ConsumeOptions;
import io.nats.client.IterableConsumer;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.nats.client.StreamContext;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.OrderedConsumerConfiguration;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StreamInfoOptions;
import io.nats.client.api.StreamState;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongFunction;

/**
 * The activity log on one JetStream stream: a subject per user ({@link ActivitySubjects}), the stream
 * sequence as the event's {@code sequence}. Thread-safe; readers are one per caller.
 *
 * <p>What it promises:
 *
 * <ul>
 *   <li>{@link #append} and {@link #recordActivity} return once the stream has stored the event (on an R3
 *       stream: on a majority of nodes), with its sequence. With a message id, a repeat within the duplicate
 *       window stores nothing and returns the event stored the first time, read back by its sequence.
 *   <li>{@link #read} returns a user's events after a sequence, then live, in sequence order, and fails with
 *       {@link ResumePointExpiredException} when events after that sequence may have been discarded (see
 *       {@link #read}).
 *   <li>When NATS cannot be reached, calls fail within about {@code requestTimeout} (at once while the client
 *       knows it is disconnected) with {@link StoreUnavailableException}; the client reconnects by itself,
 *       and open readers continue where they were.
 * </ul>
 */
public final class JetStreamActivityLog implements AutoCloseable {

  /** JetStream's "no message found" error code (a get by sequence or subject found nothing). */
  static final int NO_MESSAGE_FOUND = 10037;

  private static final String REQUEST_ID_PREFIX = "request:";

  /**
   * How long a reader's pull request lasts. The server sends heartbeats at half of it, and the client
   * recreates a consumer that missed them (its node died or restarted) after a few: a shorter time recovers
   * a reader sooner and costs one pull request per reader per period while idle.
   */
  static final Duration READER_PULL_EXPIRY = Duration.ofSeconds(10);

  private final JetStreamActivitySettings settings;
  private final ActivitySubjects subjects;
  private final Connection connection;
  private final JetStream jetStream;
  private final JetStreamManagement management;
  private final StreamContext stream;
  private final Set<ActivityReader> readers = ConcurrentHashMap.newKeySet();

  private JetStreamActivityLog(JetStreamActivitySettings settings, ActivitySubjects subjects, Connection connection,
      JetStream jetStream, JetStreamManagement management, StreamContext stream) {
    this.settings = settings;
    this.subjects = subjects;
    this.connection = connection;
    this.jetStream = jetStream;
    this.management = management;
    this.stream = stream;
  }

  /**
   * Connects, creates or updates the stream ({@link ActivityStreamSetup}), and returns the log.
   *
   * @throws ActivityStreamSetupException if NATS cannot be reached or the stream cannot be used; its message
   *     is one line with the cause and the remedy
   */
  public static JetStreamActivityLog open(JetStreamActivitySettings settings) {
    requireNonNull(settings, "settings");
    // The log exists only once connected; the listener reaches it through this holder.
    AtomicReference<JetStreamActivityLog> created = new AtomicReference<>();
    NatsConnectionLog log = new NatsConnectionLog(() -> {
      JetStreamActivityLog activityLog = created.get();
      if (activityLog != null) {
        activityLog.resetReaders();
      }
    });
    Options options = new Options.Builder()
        .servers(settings.servers().toArray(new String[0]))
        .connectionName("user-server activity")
        .connectionTimeout(settings.requestTimeout())
        .maxReconnects(-1) // for ever: the log outlives NATS restarts and node failures
        .reconnectWait(Duration.ofMillis(250))
        .errorListener(log)
        .connectionListener(log)
        .build();
    Connection connection;
    try {
      connection = Nats.connect(options);
    } catch (IOException e) {
      throw new ActivityStreamSetupException("cannot connect to NATS at " + String.join(",", settings.servers())
          + " (" + e.getMessage() + "); start the NATS server or correct the activity server address", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ActivityStreamSetupException("interrupted while connecting to NATS", e);
    }
    try {
      JetStreamOptions jetStreamOptions = JetStreamOptions.builder().requestTimeout(settings.requestTimeout()).build();
      JetStreamManagement management = connection.jetStreamManagement(jetStreamOptions);
      ActivitySubjects subjects = new ActivitySubjects(settings.subjectPrefix());
      ActivityStreamSetup.ensure(management, settings, subjects);
      JetStream jetStream = connection.jetStream(jetStreamOptions);
      StreamContext stream = jetStream.getStreamContext(settings.streamName());
      JetStreamActivityLog activityLog =
          new JetStreamActivityLog(settings, subjects, connection, jetStream, management, stream);
      created.set(activityLog);
      return activityLog;
    } catch (IOException | JetStreamApiException e) {
      closeQuietly(connection);
      throw new ActivityStreamSetupException("NATS at " + String.join(",", settings.servers())
          + " did not answer a JetStream request (" + e.getMessage() + "); start it with JetStream enabled (-js)"
          + " or, in a cluster, wait until it has a meta leader", e);
    } catch (RuntimeException e) {
      closeQuietly(connection);
      throw e;
    }
  }

  /** An event as stored, and whether this call stored it or found it stored by an earlier one. */
  public record Appended(ActivityRecord event, boolean duplicate) {}

  /**
   * Publishes an event.
   *
   * @param messageId stored once per duplicate window: a repeat returns the event stored with it first
   * @return the event as stored, with its stream sequence
   * @throws StoreUnavailableException if NATS cannot be reached or did not acknowledge in time (the event may
   *     still have been stored: a retry with the same message id is safe)
   */
  public Appended append(String userId, String action, String details, long occurredAtMillis,
      Optional<String> messageId) {
    requireNonNull(userId, "userId");
    requireNonNull(action, "action");
    requireNonNull(details, "details");
    requireNonNull(messageId, "messageId");
    requireConnected();
    PublishOptions.Builder options = PublishOptions.builder().expectedStream(settings.streamName());
    messageId.ifPresent(options::messageId);
    PublishAck ack;
    try {
      ack = jetStream.publish(subjects.of(userId),
          ActivityMessages.encode(userId, action, details, occurredAtMillis), options.build());
    } catch (IOException | JetStreamApiException | IllegalStateException e) {
      // IOException: no acknowledgement within requestTimeout; JetStreamApiException: the stream refused it
      // (deleted, no leader); IllegalStateException: the connection closed or its reconnect buffer is full.
      throw new StoreUnavailableException(e);
    }
    if (!ack.isDuplicate()) {
      return new Appended(new ActivityRecord(ack.getSeqno(), userId, action, details, occurredAtMillis), false);
    }
    return new Appended(event(ack.getSeqno()), true);
  }

  /**
   * Records an event of RecordActivity: {@link #append} with the request id as the message id.
   *
   * @throws RequestIdReusedException if the request id was used within the duplicate window for another
   *     user, action or details
   * @throws StoreUnavailableException as {@link #append}
   */
  public ActivityRecord recordActivity(String userId, String action, String details, long nowMillis,
      Optional<String> requestId) {
    Appended appended = append(userId, action, details, nowMillis, requestId.map(id -> REQUEST_ID_PREFIX + id));
    ActivityRecord event = appended.event();
    if (appended.duplicate() && !(event.userId().equals(userId) && event.action().equals(action)
        && event.details().equals(details))) {
      throw new RequestIdReusedException(requestId.orElseThrow());
    }
    return event;
  }

  /**
   * Returns the stored event with {@code sequence}.
   *
   * @throws StoreUnavailableException if NATS cannot be reached, or the event is no longer kept
   */
  public ActivityRecord event(long sequence) {
    requireConnected();
    try {
      MessageInfo message = management.getMessage(settings.streamName(), sequence);
      return ActivityMessages.decode(message.getData(), message.getSeq());
    } catch (IOException | JetStreamApiException e) {
      throw new StoreUnavailableException(e);
    }
  }

  /**
   * Returns the sequence of a user's newest retained event, or 0 when none is kept.
   *
   * @throws StoreUnavailableException if NATS cannot be reached
   */
  public long lastSequence(String userId) {
    requireConnected();
    try {
      return management.getLastMessage(settings.streamName(), subjects.of(userId)).getSeq();
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() == NO_MESSAGE_FOUND) {
        return 0;
      }
      throw new StoreUnavailableException(e);
    } catch (IOException e) {
      throw new StoreUnavailableException(e);
    }
  }

  /**
   * Returns the stream's last sequence (of any user), or 0 when it never had a message: where a watch that
   * asks for live events only starts, since every later event of any user has a greater sequence.
   *
   * @throws StoreUnavailableException if NATS cannot be reached
   */
  public long lastSequence() {
    return state(Optional.empty()).getLastSequence();
  }

  /**
   * Opens a reader of a user's events with a sequence greater than {@code afterSequence}: first those kept,
   * then live ones, in sequence order.
   *
   * <p>Expired resume points. nats-server does not fail a consumer whose start sequence was discarded: it
   * silently starts at the first retained message (and one beyond the end at last + 1). So, after the
   * consumer exists, the stream is asked: if its first sequence is above {@code afterSequence + 1}, events
   * after {@code afterSequence} were discarded, which may have been this user's, and the reader fails with
   * {@link ResumePointExpiredException}. (Gaps between one user's sequences are normal: the other users' events
   * lie between them; so "the first delivered sequence is above afterSequence + 1" proves nothing, the stream's
   * first sequence does.) With a per-user limit, the user's own oldest kept event is checked too: when the user
   * has as many events as the limit and the oldest is above {@code afterSequence + 1}, older ones were
   * discarded. Checked after the consumer is created, because discarding only moves forward: a check that
   * passes then proves the consumer started before any loss.
   *
   * @param afterSequence 0 for every event kept (no expiry check); beyond the last sequence, only events after
   *     it come
   * @throws ResumePointExpiredException if events after {@code afterSequence} may have been discarded
   * @throws StoreUnavailableException if NATS cannot be reached
   */
  public ActivityReader read(String userId, long afterSequence) {
    if (afterSequence < 0) {
      throw new IllegalArgumentException("afterSequence: " + afterSequence + " (expected: >= 0)");
    }
    String subject = subjects.of(userId);
    LongFunction<IterableConsumer> open = after -> consumer(subject, after);
    ActivityReader reader = new ActivityReader(open, open.apply(afterSequence), afterSequence, readers::remove);
    readers.add(reader);
    return reader;
  }

  /** Opens an ordered consumer of {@code subject} after {@code afterSequence} and checks nothing was lost. */
  private IterableConsumer consumer(String subject, long afterSequence) {
    requireConnected();
    OrderedConsumerConfiguration configuration = new OrderedConsumerConfiguration().filterSubject(subject);
    if (afterSequence > 0) {
      configuration.deliverPolicy(DeliverPolicy.ByStartSequence).startSequence(afterSequence + 1);
    }
    IterableConsumer consumer;
    try {
      consumer = stream.createOrderedConsumer(configuration)
          .iterate(ConsumeOptions.builder().batchSize(settings.readerBatch()).expiresIn(READER_PULL_EXPIRY.toMillis())
              .build());
    } catch (IOException | JetStreamApiException | IllegalStateException e) {
      throw new StoreUnavailableException(e);
    }
    if (afterSequence > 0) {
      try {
        checkKept(subject, afterSequence);
      } catch (RuntimeException e) {
        try {
          consumer.close();
        } catch (Exception ignored) {
          // nothing to release beyond the subscription
        }
        throw e;
      }
    }
    return consumer;
  }

  /** Marks every open reader stale: the connection came back, or a consumer's heartbeats stopped. */
  private void resetReaders() {
    for (ActivityReader reader : readers) {
      reader.markStale();
    }
  }

  /** Fails when events after {@code afterSequence} of {@code subject} may have been discarded. */
  private void checkKept(String subject, long afterSequence) {
    StreamState state = state(Optional.of(subject));
    if (state.getFirstSequence() > afterSequence + 1) {
      throw new ResumePointExpiredException(afterSequence, state.getFirstSequence());
    }
    long limit = settings.maxMessagesPerSubject();
    if (limit == 0) {
      return;
    }
    Map<String, Long> counts = state.getSubjectMap();
    long kept = counts == null ? 0 : counts.getOrDefault(subject, 0L);
    if (kept < limit) {
      // Below the limit: any of this user's events the limit discarded are older than ones max age discarded
      // since, which the first-sequence check above covers.
      return;
    }
    long oldest;
    try {
      oldest = management.getFirstMessage(settings.streamName(), subject).getSeq();
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() == NO_MESSAGE_FOUND) {
        return;
      }
      throw new StoreUnavailableException(e);
    } catch (IOException e) {
      throw new StoreUnavailableException(e);
    }
    if (oldest > afterSequence + 1) {
      throw new ResumePointExpiredException(afterSequence, oldest);
    }
  }

  private StreamState state(Optional<String> subject) {
    requireConnected();
    try {
      return (subject.isPresent()
          ? management.getStreamInfo(settings.streamName(), StreamInfoOptions.filterSubjects(subject.get()))
          : management.getStreamInfo(settings.streamName())).getStreamState();
    } catch (IOException | JetStreamApiException e) {
      throw new StoreUnavailableException(e);
    }
  }

  /** Fails at once, without waiting for a timeout, while the client knows it has no connection. */
  private void requireConnected() {
    Connection.Status status = connection.getStatus();
    if (status != Connection.Status.CONNECTED) {
      throw new StoreUnavailableException(new IOException("NATS connection is " + status));
    }
  }

  /** Returns the settings. */
  public JetStreamActivitySettings settings() {
    return settings;
  }

  /** Closes the connection and with it every reader. Idempotent. */
  @Override
  public void close() {
    closeQuietly(connection);
  }

  private static void closeQuietly(Connection connection) {
    try {
      connection.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
