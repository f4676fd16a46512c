package io.github.usergrpc.user.server.activity.jetstream;

import static java.util.Objects.requireNonNull;

import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.LiveActivity;
import io.github.usergrpc.user.service.store.RequestIdReusedException;
import io.github.usergrpc.user.service.store.ResumePointExpiredException;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import io.nats.client.Connection;
import io.nats.client.ConsumeOptions;
import io.nats.client.Dispatcher;
import io.nats.client.IterableConsumer;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.MessageConsumer;
import io.nats.client.MessageHandler;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The activity log on one JetStream stream: a subject per user ({@link ActivitySubjects}), the stream
 * sequence as the event's {@code sequence}. Thread-safe; readers are one per caller.
 *
 * <p>What it promises:
 *
 * <ul>
 *   <li>{@link #append} and {@link #recordActivity} return once the stream has stored the event (on an R3
 *       stream: on a majority of nodes), with its sequence. With a message id, a repeat within the duplicate
 *       window stores nothing and returns the event stored the first time, read back by its sequence; if the
 *       per-user limit has discarded that event since, the repeat gets its sequence with the values it sent
 *       (the first values are gone, so a reused id with other values is not detected then).
 *   <li>{@link #read} returns a user's events after a sequence, then live, in sequence order, and fails with
 *       {@link ResumePointExpiredException} when events after that sequence may have been discarded (see
 *       {@link #read}); {@link #eventsAfter} returns a batch of them.
 *   <li>{@link #subscribe} hands a user's new events to a listener as they are stored, on one dispatcher
 *       thread for all subscriptions ({@link LiveSubscription}).
 *   <li>When NATS cannot be reached, calls fail within about {@code requestTimeout} (at once while the client
 *       knows it is disconnected) with {@link StoreUnavailableException}; the client reconnects by itself,
 *       and open readers continue where they were.
 * </ul>
 */
public final class JetStreamActivityLog implements LiveActivity, AutoCloseable {

  private static final Logger LOG = Logger.getLogger(JetStreamActivityLog.class.getName());

  /** JetStream's "no message found" error code (a get by sequence or subject found nothing). */
  static final int NO_MESSAGE_FOUND = 10037;
  /** JetStream's "wrong last sequence": an expected last subject sequence did not match. */
  static final int WRONG_LAST_SEQUENCE = 10071;

  private static final String REQUEST_ID_PREFIX = "request:";

  /**
   * How long a reader's pull request lasts. The server sends heartbeats at half of it, and jnats looks every
   * 1.5 times it for a consumer that sent nothing for that long, so a consumer that went silent (its node died
   * or restarted, or jnats could not recreate it after a gap) is replaced 1.5 to 3 times this later: 7.5–15 s.
   * Under stress on an R3 cluster consumers went silent a few at a time, and with 10 s their users' events
   * came 15–30 s late. Each halving doubles the pull requests and heartbeats of idle consumers: for 1,000
   * watched users the NATS server's CPU went from 39 to 58 ms per second (medians) going from 10 s to 5 s
   * (BENCHMARKS.md, "Idle watches").
   */
  static final Duration READER_PULL_EXPIRY = Duration.ofSeconds(5);

  /** How long a subscription waits before it tries again to replace its consumer while NATS is unreachable. */
  static final Duration REOPEN_RETRY = Duration.ofMillis(500);

  private final JetStreamActivitySettings settings;
  private final ActivitySubjects subjects;
  private final Connection connection;
  private final JetStream jetStream;
  private final JetStreamManagement management;
  private final StreamContext stream;
  private final Set<ActivityReader> readers = ConcurrentHashMap.newKeySet();
  private final Set<LiveSubscription> subscriptions = ConcurrentHashMap.newKeySet();
  /** Subscriptions whose consumer is to be replaced and not yet: a reset while one waits adds nothing. */
  private final Set<LiveSubscription> reopening = ConcurrentHashMap.newKeySet();
  /** Delivers every subscription's messages, on one thread. */
  private final Dispatcher dispatcher;
  /** Replaces subscriptions' consumers after a reset: requests to NATS, which its own threads must not make. */
  private final ScheduledExecutorService recovery = Executors.newSingleThreadScheduledExecutor(runnable -> {
    Thread thread = new Thread(runnable, "activity-stream-recovery");
    thread.setDaemon(true);
    return thread;
  });

  private JetStreamActivityLog(JetStreamActivitySettings settings, ActivitySubjects subjects, Connection connection,
      JetStream jetStream, JetStreamManagement management, StreamContext stream) {
    this.settings = settings;
    this.subjects = subjects;
    this.connection = connection;
    this.jetStream = jetStream;
    this.management = management;
    this.stream = stream;
    this.dispatcher = connection.createDispatcher();
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
        activityLog.resetAll();
      }
    }, consumerName -> {
      JetStreamActivityLog activityLog = created.get();
      if (activityLog != null) {
        activityLog.heartbeatsStopped(consumerName);
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
          + " (" + e.getMessage() + "); start the NATS server, or correct its address (--activity)", e);
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
    return publish(userId, action, details, occurredAtMillis, messageId, OptionalLong.empty()).orElseThrow();
  }

  /**
   * Publishes an event, if the user's newest event is still the one with {@code expectedLastSequence}.
   *
   * @return the event as stored, or empty when the stream's newest event of the user has another sequence
   * @throws StoreUnavailableException as {@link #append}
   */
  private Optional<Appended> publish(String userId, String action, String details, long occurredAtMillis,
      Optional<String> messageId, OptionalLong expectedLastSequence) {
    requireNonNull(userId, "userId");
    requireNonNull(action, "action");
    requireNonNull(details, "details");
    requireNonNull(messageId, "messageId");
    requireConnected();
    PublishOptions.Builder options = PublishOptions.builder().expectedStream(settings.streamName());
    messageId.ifPresent(options::messageId);
    expectedLastSequence.ifPresent(options::expectedLastSubjectSequence);
    PublishAck ack;
    try {
      ack = jetStream.publish(subjects.of(userId),
          ActivityMessages.encode(userId, action, details, occurredAtMillis), options.build());
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() == WRONG_LAST_SEQUENCE && expectedLastSequence.isPresent()) {
        return Optional.empty();
      }
      // The stream refused it: deleted, or no leader.
      throw new StoreUnavailableException(e);
    } catch (IOException | IllegalStateException e) {
      // IOException: no acknowledgement within requestTimeout; IllegalStateException: the connection closed or
      // its reconnect buffer is full.
      throw new StoreUnavailableException(e);
    }
    if (!ack.isDuplicate()) {
      return Optional.of(new Appended(new ActivityRecord(ack.getSeqno(), userId, action, details, occurredAtMillis),
          false));
    }
    // A repeat: the event stored the first time, if the stream still keeps it. The per-user limit can discard
    // it while its message id is still in the duplicate window (max age cannot: the window is never longer).
    // It was stored once, which is what the caller asks; only its values are gone, so it is described as this
    // call describes it.
    return Optional.of(new Appended(storedEvent(ack.getSeqno())
        .orElseGet(() -> new ActivityRecord(ack.getSeqno(), userId, action, details, occurredAtMillis)), true));
  }

  /**
   * Records an event of RecordActivity: {@link #append} with the request id as the message id.
   *
   * @return the event as stored, and whether an earlier call with the request id stored it
   * @throws RequestIdReusedException if the request id was used within the duplicate window for another
   *     user, action or details
   * @throws StoreUnavailableException as {@link #append}
   */
  public Appended recordActivity(String userId, String action, String details, long nowMillis,
      Optional<String> requestId) {
    return recordActivity(userId, action, details, nowMillis, requestId, OptionalLong.empty()).orElseThrow();
  }

  /**
   * Records an event of RecordActivity as {@link #recordActivity(String, String, String, long, Optional)} does,
   * if the user's newest event in the stream is still the one with {@code expectedLastSequence} (0: the user
   * has none): how a caller that checked something about the user since it read that sequence ({@link
   * #lastSequence(String)}) makes sure no event of the user came in between.
   *
   * @return the event as stored, or empty when the user's newest event has another sequence now
   * @throws RequestIdReusedException as the other
   * @throws StoreUnavailableException as {@link #append}
   */
  public Optional<Appended> recordActivity(String userId, String action, String details, long nowMillis,
      Optional<String> requestId, OptionalLong expectedLastSequence) {
    Optional<Appended> published = publish(userId, action, details, nowMillis,
        requestId.map(id -> REQUEST_ID_PREFIX + id), expectedLastSequence);
    if (published.isEmpty()) {
      return published;
    }
    Appended appended = published.get();
    ActivityRecord event = appended.event();
    if (appended.duplicate() && !(event.userId().equals(userId) && event.action().equals(action)
        && event.details().equals(details))) {
      throw new RequestIdReusedException(requestId.orElseThrow());
    }
    return published;
  }

  /**
   * Returns the stored event with {@code sequence}.
   *
   * @throws StoreUnavailableException if NATS cannot be reached, or the event is no longer kept
   */
  public ActivityRecord event(long sequence) {
    return storedEvent(sequence).orElseThrow(() -> new StoreUnavailableException(
        new IllegalStateException("the stream no longer keeps event " + sequence)));
  }

  /**
   * Returns the stored event with {@code sequence}, or empty if the stream no longer keeps it.
   *
   * @throws StoreUnavailableException if NATS cannot be reached
   */
  private Optional<ActivityRecord> storedEvent(long sequence) {
    requireConnected();
    try {
      MessageInfo message = management.getMessage(settings.streamName(), sequence);
      return Optional.of(ActivityMessages.decode(message.getData(), message.getSeq()));
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() == NO_MESSAGE_FOUND) {
        return Optional.empty();
      }
      throw new StoreUnavailableException(e);
    } catch (IOException e) {
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

  /**
   * Returns a user's events with a sequence greater than {@code afterSequence}, in sequence order: those
   * stored when the call began, or {@code max} of them (and perhaps later ones). How a watch that resumes
   * replays what it missed, batch by batch.
   *
   * @param afterSequence 0 for every event kept
   * @param max the most events to return
   * @throws ResumePointExpiredException if events after {@code afterSequence} may have been discarded ({@link
   *     #read})
   * @throws StoreUnavailableException if NATS cannot be reached, or the events did not all arrive within the
   *     request timeout (a shorter list would read as "nothing more")
   */
  public List<ActivityRecord> eventsAfter(String userId, long afterSequence, int max) {
    requireNonNull(userId, "userId");
    if (max < 0) {
      throw new IllegalArgumentException("max: " + max + " (expected: >= 0)");
    }
    long after = Math.max(afterSequence, 0);
    long last = lastSequence(userId);
    if (last <= after || max == 0) {
      if (after > 0) {
        checkKept(subjects.of(userId), after);
      }
      return List.of();
    }
    List<ActivityRecord> events = new ArrayList<>();
    try (ActivityReader reader = read(userId, after)) {
      while (events.size() < max) {
        Optional<ActivityRecord> next = reader.next(settings.requestTimeout());
        if (next.isEmpty()) {
          throw new StoreUnavailableException(new IOException("the events of a user up to sequence " + last
              + " did not arrive within " + settings.requestTimeout().toMillis() + " ms"));
        }
        events.add(next.get());
        if (next.get().sequence() >= last) {
          break;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreUnavailableException(e);
    }
    return events;
  }

  /**
   * {@inheritDoc}
   *
   * <p>An ordered consumer filtered to the user's subject, starting after {@code afterSequence}; its messages
   * come on one dispatcher thread shared by every subscription of this log. See {@link LiveSubscription} for
   * how it recovers.
   */
  @Override
  public LiveActivity.Subscription subscribe(String userId, long afterSequence, LiveActivity.Listener listener) {
    requireNonNull(userId, "userId");
    requireNonNull(listener, "listener");
    if (afterSequence < 0) {
      throw new IllegalArgumentException("afterSequence: " + afterSequence + " (expected: >= 0)");
    }
    String subject = subjects.of(userId);
    LiveSubscription subscription = new LiveSubscription(userId, afterSequence,
        (after, checkExpiry, handler) -> liveConsumer(subject, after, checkExpiry, handler), listener,
        subscriptions::remove);
    subscriptions.add(subscription);
    try {
      subscription.start();
    } catch (RuntimeException e) {
      subscriptions.remove(subscription);
      throw e;
    }
    return subscription;
  }

  /**
   * Checks that NATS answers and the stream exists, within about the request timeout.
   *
   * @throws StoreUnavailableException if not
   */
  public void ping() {
    state(Optional.empty());
  }

  /** Returns the number of open subscriptions, for tests and metrics. */
  int subscriptionCount() {
    return subscriptions.size();
  }

  /** Opens an ordered consumer of {@code subject} after {@code afterSequence} and checks nothing was lost. */
  private IterableConsumer consumer(String subject, long afterSequence) {
    requireConnected();
    IterableConsumer consumer;
    try {
      consumer = stream.createOrderedConsumer(configuration(subject, afterSequence)).iterate(consumeOptions());
    } catch (IOException | JetStreamApiException | IllegalStateException e) {
      throw new StoreUnavailableException(e);
    }
    return afterSequence > 0 ? checked(consumer, subject, afterSequence) : consumer;
  }

  /** Opens an ordered consumer as {@link #consumer} whose messages go to {@code handler} on the dispatcher. */
  private MessageConsumer liveConsumer(String subject, long afterSequence, boolean checkExpiry,
      MessageHandler handler) {
    requireConnected();
    MessageConsumer consumer;
    try {
      consumer = stream.createOrderedConsumer(configuration(subject, afterSequence))
          .consume(consumeOptions(), dispatcher, handler);
    } catch (IOException | JetStreamApiException | IllegalStateException e) {
      throw new StoreUnavailableException(e);
    }
    return checkExpiry ? checked(consumer, subject, afterSequence) : consumer;
  }

  private static OrderedConsumerConfiguration configuration(String subject, long afterSequence) {
    OrderedConsumerConfiguration configuration = new OrderedConsumerConfiguration().filterSubject(subject);
    if (afterSequence > 0) {
      configuration.deliverPolicy(DeliverPolicy.ByStartSequence).startSequence(afterSequence + 1);
    }
    return configuration;
  }

  private ConsumeOptions consumeOptions() {
    // Pull warnings (a pull request expired, the consumer's leader changed) come every few seconds per
    // consumer while idle: asked for only when they are logged.
    return ConsumeOptions.builder().batchSize(settings.readerBatch()).expiresIn(READER_PULL_EXPIRY.toMillis())
        .raiseStatusWarnings(LOG.isLoggable(Level.FINE)).build();
  }

  /** Returns {@code consumer} once {@link #checkKept} passes; closes it when it does not. */
  private <C extends AutoCloseable> C checked(C consumer, String subject, long afterSequence) {
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
    return consumer;
  }

  /** The connection came back: every reader and subscription replaces its consumer. */
  private void resetAll() {
    for (ActivityReader reader : readers) {
      reader.markStale();
    }
    subscriptions.forEach(this::reopen);
  }

  /** The server's heartbeats for a consumer stopped (its node died): its reader or subscription recovers. */
  private void heartbeatsStopped(String consumerName) {
    // Readers are short-lived replays: all of them start over, as the groundwork's tests expect.
    for (ActivityReader reader : readers) {
      reader.markStale();
    }
    for (LiveSubscription subscription : subscriptions) {
      if (subscription.consumes(consumerName)) {
        reopen(subscription);
      }
    }
  }

  /** Replaces a subscription's consumer on the recovery thread; again later while NATS is unreachable. */
  private void reopen(LiveSubscription subscription) {
    if (!reopening.add(subscription)) {
      return;
    }
    try {
      recovery.execute(() -> {
        reopening.remove(subscription);
        if (!subscription.reopen() && subscriptions.contains(subscription)) {
          try {
            // Nothing waits for the retry: close() drops it with shutdownNow(), and reopen() fails nothing.
            var unused = recovery.schedule(() -> reopen(subscription), REOPEN_RETRY.toMillis(),
                TimeUnit.MILLISECONDS);
          } catch (RejectedExecutionException closing) {
            // The log is closing.
          }
        }
      });
    } catch (RejectedExecutionException closing) {
      reopening.remove(subscription);
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

  /** Closes the connection and with it every reader and subscription. Idempotent. */
  @Override
  public void close() {
    recovery.shutdownNow();
    for (LiveSubscription subscription : List.copyOf(subscriptions)) {
      subscription.close();
    }
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
