package io.github.usergrpc.user.server.activity.jetstream;

import static java.util.Objects.requireNonNull;

import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.ForwardingUserStore;
import io.github.usergrpc.user.service.store.LiveActivity;
import io.github.usergrpc.user.service.store.NewUser;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import io.github.usergrpc.user.service.store.User;
import io.github.usergrpc.user.service.store.UserNotFoundException;
import io.github.usergrpc.user.service.store.UserStore;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A {@link UserStore} whose activity log is a NATS JetStream stream (issue 18): users stay in a database store
 * (the JDBC store, opened with its outbox), activity moves to the stream ({@link JetStreamActivityLog}).
 *
 * <ul>
 *   <li>CreateUser, UpdateUser and DeleteUser: the database store writes the change and its event (to the
 *       outbox) in one transaction; right after it commits, this store publishes the user's pending outbox
 *       rows ({@link OutboxRelay#relay}), so the call returns once its event is in the stream. UpdateUser and
 *       DeleteUser read those rows in their transaction ({@link OutboxSource#addCommitListener}), CreateUser
 *       after it. If publishing fails (NATS down, or this server dies first), the change stands and the
 *       {@link OutboxRelay} publishes the event later, once: rows carry their id as message id.
 *   <li>RecordActivity: reads the user's newest sequence in the stream, then, in one database read, that
 *       the user exists and whether its own earlier changes are still in the outbox (they are published first,
 *       so a user's events stay in call order); then publishes the event with the request id as message id
 *       (a retry within the stream's duplicate window returns the event stored the first time) on the
 *       condition that the user's newest sequence is still the one read. So no event ever follows
 *       {@code user.deleted}: a DeleteUser commits before it publishes, and a RecordActivity that checked the
 *       user before that commit finds the stream moved and checks again. Concurrent calls for one user go
 *       round again the same way. No database write.
 *   <li>Reading activity ({@link #userActivityAfter}, {@link #lastSequence}) and the live delivery to watches
 *       ({@link #liveActivity()}) go to the stream, for one user's subject at a time.
 *   <li>{@link #ping()} checks the database and the stream: the health service follows both. While NATS cannot
 *       be reached, calls that need it fail at once with {@link StoreUnavailableException}; the connection
 *       comes back by itself.
 * </ul>
 *
 * <p>Thread-safe. Owns the database store, the log and the relay: {@link #close()} closes them.
 */
public final class JetStreamUserStore extends ForwardingUserStore {

  private static final Logger LOG = Logger.getLogger(JetStreamUserStore.class.getName());

  /** How often the relay looks for rows that no server published (it died after its commit, NATS was down). */
  static final Duration RELAY_POLL_INTERVAL = Duration.ofMillis(250);
  /**
   * How long a row stays pending before the relay publishes it: the server that wrote it publishes it right
   * after its commit, so the relay only takes what is left this long (that server died, or NATS was down).
   */
  static final Duration RELAY_GRACE = Duration.ofSeconds(1);
  /**
   * How often RecordActivity checks the user again because the user's newest event changed meanwhile, before
   * it gives up with UNAVAILABLE: only calls for one user racing each other go round more than once.
   */
  static final int RECORD_ATTEMPTS = 100;
  /** The most outbox rows the relay reads at a time. */
  static final int RELAY_BATCH = 100;

  private final OutboxSource outbox;
  private final JetStreamActivityLog log;
  private final OutboxRelay relay;
  private final List<Consumer<ActivityRecord>> commitListeners = new CopyOnWriteArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  private JetStreamUserStore(UserStore users, OutboxSource outbox, JetStreamActivityLog log, RelayLease lease) {
    super(users);
    this.outbox = outbox;
    this.log = log;
    this.relay = new OutboxRelay(outbox, log, lease, OutboxRelay.messageIdPrefix(users.secretKey()),
        this::committed, RELAY_POLL_INTERVAL, RELAY_GRACE, RELAY_BATCH);
    outbox.addCommitListener(this::publish);
  }

  /**
   * Connects to NATS, creates or updates the stream, starts the relay and returns the store. On failure
   * nothing is left open but {@code users} and {@code lease}, which the caller then closes.
   *
   * @param users the database store, which writes the events of mutations to {@code outbox}; the returned
   *     store owns it
   * @param outbox the outbox of {@code users}
   * @param lease decides which server's relay works (one per database); the returned store owns it
   * @param settings the stream
   * @return the store
   * @throws ActivityStreamSetupException if NATS cannot be reached or the stream cannot be used; its message
   *     is one line with the cause and the remedy
   */
  public static JetStreamUserStore open(UserStore users, OutboxSource outbox, RelayLease lease,
      JetStreamActivitySettings settings) {
    requireNonNull(users, "users");
    requireNonNull(outbox, "outbox");
    requireNonNull(lease, "lease");
    JetStreamActivityLog log = JetStreamActivityLog.open(requireNonNull(settings, "settings"));
    JetStreamUserStore store = new JetStreamUserStore(users, outbox, log, lease);
    store.relay.start();
    return store;
  }

  /** Returns the store of users (the database store), for its metrics. */
  public UserStore users() {
    return delegate();
  }

  /** Returns the activity log, for tests. */
  JetStreamActivityLog log() {
    return log;
  }

  @Override
  public User create(NewUser user, Optional<String> requestId) {
    User created = super.create(user, requestId);
    publishPending(created.id());
    return created;
  }

  /** Reads the user's pending outbox rows after a commit and publishes them ({@link #publish}). */
  private void publishPending(String userId) {
    try {
      publish(outbox.pending(userId));
    } catch (StoreUnavailableException e) {
      LOG.log(Level.FINE, "cannot read a change's event yet; the outbox relay will publish it", e);
      relay.wakeUp();
    }
  }

  /**
   * Publishes a user's pending outbox rows after a commit. A failure fails nothing: the change is committed,
   * and the relay publishes the rows later.
   */
  private void publish(List<OutboxEntry> pending) {
    try {
      relay.relay(pending);
    } catch (StoreUnavailableException e) {
      LOG.log(Level.FINE, "cannot publish a change's event yet; the outbox relay will", e);
      relay.wakeUp();
    }
  }

  @Override
  public ActivityRecord recordActivity(String userId, String action, String details, long nowMillis,
      Optional<String> requestId) {
    requireNonNull(userId, "userId");
    requireNonNull(action, "action");
    requireNonNull(details, "details");
    requireNonNull(requestId, "requestId");
    for (int attempt = 0; attempt < RECORD_ATTEMPTS; attempt++) {
      long last = log.lastSequence(userId); // before the check: see the class comment
      List<OutboxEntry> pending = outbox.pendingIfUserExists(userId)
          .orElseThrow(() -> new UserNotFoundException(userId));
      if (!pending.isEmpty()) {
        relay.relay(pending); // the user's earlier changes go first; then the newest sequence is read again
        continue;
      }
      Optional<JetStreamActivityLog.Appended> recorded = log.recordActivity(userId, action, details, nowMillis,
          requestId, OptionalLong.of(last));
      if (recorded.isPresent()) {
        if (!recorded.get().duplicate()) {
          committed(recorded.get().event());
        }
        return recorded.get().event();
      }
    }
    throw new StoreUnavailableException(new IllegalStateException("the newest event of a user changed "
        + RECORD_ATTEMPTS + " times while RecordActivity checked the user"));
  }

  /**
   * {@inheritDoc}
   *
   * <p>From the stream ({@link JetStreamActivityLog#eventsAfter}). A resume point from before the stream's
   * oldest kept event is expired even when none of this user's events were discarded: the stream cannot tell.
   */
  @Override
  public List<ActivityRecord> userActivityAfter(String userId, long afterSequence, int max) {
    requireNonNull(userId, "userId");
    return log.eventsAfter(userId, afterSequence, max);
  }

  @Override
  public long lastSequence(String userId) {
    requireNonNull(userId, "userId");
    return log.lastSequence(userId);
  }

  /** {@inheritDoc} One request to the stream per user. */
  @Override
  public Map<String, Long> lastSequences(Collection<String> userIds) {
    requireNonNull(userIds, "userIds");
    Map<String, Long> heads = new HashMap<>();
    for (String userId : userIds) {
      long head = log.lastSequence(userId);
      if (head > 0) {
        heads.put(userId, head);
      }
    }
    return heads;
  }

  /** {@inheritDoc} The stream's: watches subscribe to one user's subject each. */
  @Override
  public Optional<LiveActivity> liveActivity() {
    return Optional.of(log);
  }

  /** Checks the database, then the stream. */
  @Override
  public void ping() {
    super.ping();
    log.ping();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Runs after this store put an event in the stream: a change's (when this server published it) or a
   * RecordActivity's. Events that the relay of another server published are not seen here.
   */
  @Override
  public void addCommitListener(Consumer<ActivityRecord> listener) {
    commitListeners.add(requireNonNull(listener, "listener"));
  }

  private void committed(ActivityRecord event) {
    for (Consumer<ActivityRecord> listener : commitListeners) {
      try {
        listener.accept(event);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "a commit listener failed", e);
      }
    }
  }

  /** Stops the relay, closes the connection to NATS, then the database store. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    relay.close();
    log.close();
    super.close();
  }
}
