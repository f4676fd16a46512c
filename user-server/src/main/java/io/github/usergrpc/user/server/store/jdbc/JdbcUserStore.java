package io.github.usergrpc.user.server.store.jdbc;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariDataSource;
import io.github.usergrpc.user.server.activity.jetstream.OutboxSource;
import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.ContentsSink;
import io.github.usergrpc.user.service.store.EmailAlreadyExistsException;
import io.github.usergrpc.user.service.store.NewUser;
import io.github.usergrpc.user.service.store.PageCursor;
import io.github.usergrpc.user.service.store.RemoteCommitListener;
import io.github.usergrpc.user.service.store.RequestIdReusedException;
import io.github.usergrpc.user.service.store.ResumePointExpiredException;
import io.github.usergrpc.user.service.store.StoreExport;
import io.github.usergrpc.user.service.store.StoreImport;
import io.github.usergrpc.user.service.store.StoreSummary;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import io.github.usergrpc.user.service.store.User;
import io.github.usergrpc.user.service.store.UserChanges;
import io.github.usergrpc.user.service.store.UserNotFoundException;
import io.github.usergrpc.user.service.store.UserStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * A {@link UserStore} in a relational database: PostgreSQL, or SQLite or H2 embedded in the server (a file;
 * H2 also in memory, for tests). Several servers may share one PostgreSQL database (or one SQLite file on a
 * local disk); they see each other's users and activity, and share one {@link #secretKey()}.
 *
 * <pre>{@code
 * try (JdbcUserStore store = JdbcUserStore.open(JdbcSettings.newBuilder()
 *     .setJdbcUrl("jdbc:postgresql://db:5432/users")
 *     .setUser("users")
 *     .setPassword(password)
 *     .build())) {
 *   UserServer server = UserServer.newBuilder(transport).setStore(store).build();
 *   ...
 * }
 * }</pre>
 *
 * <p>{@link #open} migrates the schema with Flyway (scripts in {@code db/migration}, one set for PostgreSQL
 * and H2; SQLite's in {@code db/migration-sqlite}; {@link SqlDialect} names what differs) and fills a connection pool (HikariCP, named {@value #POOL_NAME}). Every mutation and its
 * activity event are written in one transaction; uniqueness of emails and request ids is enforced by the
 * database, so it holds across servers. Activity sequences are per user ({@link ActivityLog}): writers of
 * different users never wait for each other.
 *
 * <p>Replicas: on PostgreSQL, the servers of one store wake each other when they commit activity
 * ({@link JdbcSettings#activityNotifications()}, on by default): each LISTENs on the store's channel
 * ({@link #activityChannel()}) and NOTIFYs it after its commits, so that {@link #addRemoteCommitListener}
 * hears the others' commits as they happen.
 *
 * <p>Outbox: opened with {@link JdbcSettings#activityOutbox()}, mutations write their events to the outbox
 * table ({@link #outbox()}) instead of the activity log, for the JetStream activity log to publish.
 *
 * <p>Retention: events of the activity log are kept for the {@linkplain JdbcSettings#activityRetention()
 * activity retention} (7 days by default), RecordActivity request ids with them, and CreateUser request ids
 * for {@link UserStore#REQUEST_ID_RETENTION}; a background {@link ActivityPruner} deletes what is older in
 * small batches. {@link #userActivityAfter} from before the user's oldest kept event throws
 * {@link ResumePointExpiredException}.
 *
 * <p>Errors: when the database cannot be reached, calls wait at most the
 * {@linkplain JdbcSettings#connectionTimeout() connection timeout} and throw
 * {@link StoreUnavailableException}; so do calls on a closed store. After a few connection failures in a row
 * a {@link DatabaseCircuitBreaker} opens and calls throw it at once, without waiting, until a probe outside
 * the pool reaches the database again. Any other database failure is a bug
 * and is thrown as an {@link IllegalStateException} whose message holds no SQL.
 *
 * <p>Thread-safe.
 */
public final class JdbcUserStore implements UserStore, StoreExport, StoreImport {

  /** The name of the connection pool, as it appears in HikariCP's log lines and metrics. */
  public static final String POOL_NAME = "user-store";

  private static final Logger logger = Logger.getLogger(JdbcUserStore.class.getName());

  /** The application_name of the session that LISTENs, before the channel's name. */
  private static final String LISTENER_SESSION_PREFIX = "user-store listener ";
  /** The application_name of the session that NOTIFYs, before the channel's name. */
  private static final String NOTIFIER_SESSION_PREFIX = "user-store notifier ";

  /** How often H2Housekeeping runs: as often as H2's own background writer would by default. */
  private static final Duration H2_HOUSEKEEPING_PERIOD = Duration.ofMillis(500);

  private final ConnectionPool pool;
  private final SqlDialect dialect;
  private final Transactions transactions;
  private final ActivityLog log;
  /** Where mutations write their events instead of {@link #log}, when the store was opened with an outbox. */
  @Nullable private final JdbcOutbox outbox;
  /** Holds an H2 in-memory database open: H2 drops it when its last connection closes. */
  @Nullable private final Connection keepAlive;
  /** Compacts an embedded H2 file database, which WRITE_DELAY=0 leaves to us; see H2Housekeeping. */
  @Nullable private final H2Housekeeping housekeeping;
  /** Keeps an embedded SQLite database's files in proportion to its data; see SqliteHousekeeping. */
  @Nullable private final SqliteHousekeeping sqliteHousekeeping;
  private final ActivityPruner pruner;
  private final DatabaseCircuitBreaker breaker;
  /** CreateUser's and RecordActivity's write first, replay on a request id that collides. */
  private final WriteOrReplay writeOrReplay;
  private final byte[] secretKey;
  /** The channel, notifier and listener of the activity notifications; all null when they are off. */
  @Nullable private final ActivityChannel channel;
  @Nullable private final ActivityNotifier notifier;
  @Nullable private final ActivityListener listener;

  private JdbcUserStore(ConnectionPool pool, SqlDialect dialect, Transactions transactions, ActivityLog log,
      boolean outbox, @Nullable Connection keepAlive, @Nullable H2Housekeeping housekeeping,
      @Nullable SqliteHousekeeping sqliteHousekeeping, ActivityPruner pruner, DatabaseCircuitBreaker breaker,
      WriteOrReplay writeOrReplay, byte[] secretKey, @Nullable ActivityChannel channel,
      @Nullable ActivityNotifier notifier, @Nullable ActivityListener listener) {
    this.pool = pool;
    this.dialect = dialect;
    this.transactions = transactions;
    this.log = log;
    this.outbox = outbox ? new JdbcOutbox(transactions) : null;
    this.keepAlive = keepAlive;
    this.housekeeping = housekeeping;
    this.sqliteHousekeeping = sqliteHousekeeping;
    this.pruner = pruner;
    this.breaker = breaker;
    this.writeOrReplay = writeOrReplay;
    this.secretKey = secretKey;
    this.channel = channel;
    this.notifier = notifier;
    this.listener = listener;
    if (notifier != null) {
      transactions.addCommitListener(event -> notifier.committed(event.userId()));
    }
  }

  /**
   * Opens a store: fills the connection pool, migrates the schema to the newest version and, on a new
   * database, generates the secret key. The caller owns the store and must close it.
   *
   * @param settings where the database is
   * @return the open store
   * @throws StoreUnavailableException if the database cannot be reached
   * @throws IllegalStateException if the schema cannot be migrated
   */
  public static JdbcUserStore open(JdbcSettings settings) {
    return open(settings, Clock.systemUTC());
  }

  /** Opens a store as {@link #open(JdbcSettings)}, whose pruner never takes "now" later than {@code clock}. */
  static JdbcUserStore open(JdbcSettings settings, Clock clock) {
    return open(settings, clock, true);
  }

  /**
   * Opens a store as {@link #open(JdbcSettings, Clock)}; on SQLite without {@link SqliteHousekeeping} if
   * {@code sqliteHousekeeping} is false, as earlier versions did: for the tests and benchmarks that compare.
   */
  static JdbcUserStore open(JdbcSettings settings, Clock clock, boolean sqliteHousekeeping) {
    return open(settings, clock, sqliteHousekeeping, requestId -> {});
  }

  /**
   * Opens a store as {@link #open(JdbcSettings, Clock, boolean)} that runs {@code beforeLookUp} between a
   * CreateUser or RecordActivity rejected on its request id and the look-up of that id: for the tests that
   * delete the id there, as the pruner may ({@link WriteOrReplay}).
   */
  static JdbcUserStore open(JdbcSettings settings, Clock clock, boolean sqliteHousekeeping,
      Consumer<String> beforeLookUp) {
    requireNonNull(settings, "settings");
    requireNonNull(clock, "clock");
    requireNonNull(beforeLookUp, "beforeLookUp");
    SqlDialect dialect = settings.dialect();
    String url = dialect.connectionUrl(settings.jdbcUrl());
    HikariDataSource dataSource;
    try {
      dataSource = new HikariDataSource(StoreBootstrap.poolConfig(settings, dialect, url));
    } catch (RuntimeException e) {
      // HikariPool.PoolInitializationException: the first connection failed.
      throw StoreBootstrap.openFailure(e);
    }
    Connection keepAlive = null;
    try {
      if (url.startsWith("jdbc:h2:mem:")) {
        keepAlive = DriverManager.getConnection(url, settings.user(), settings.password());
      }
      Path sqliteFile = null;
      if (dialect == SqlDialect.SQLITE && sqliteHousekeeping) {
        try (Connection connection = dataSource.getConnection()) {
          sqliteFile = SqliteHousekeeping.prepare(connection);
        }
      }
      StoreBootstrap.migrate(dataSource, dialect);
      byte[] secretKey = StoreBootstrap.loadOrCreateSecret(dataSource);
      logger.log(Level.FINE, "{0} - opened the user store", POOL_NAME);
      H2Housekeeping housekeeping = StoreBootstrap.isEmbeddedH2File(url)
          ? H2Housekeeping.start(dataSource, H2_HOUSEKEEPING_PERIOD)
          : null;
      DatabaseCircuitBreaker breaker = new DatabaseCircuitBreaker(() -> StoreBootstrap.probe(url, dialect, settings));
      WriteTurn writeTurn = new WriteTurn(dialect);
      SqliteHousekeeping sqlite = sqliteFile == null ? null
          : SqliteHousekeeping.start(dataSource, writeTurn, sqliteFile);
      ActivityPruner pruner = new ActivityPruner(dataSource, writeTurn, settings.activityRetention(),
          UserStore.REQUEST_ID_RETENTION, clock, breaker::isOpen);
      pruner.start();
      ConnectionPool pool = new ConnectionPool(dataSource, breaker);
      ActivityChannel channel = null;
      ActivityNotifier notifier = null;
      ActivityListener listener = null;
      if (dialect == SqlDialect.POSTGRESQL && settings.activityNotifications() && !settings.activityOutbox()) {
        channel = ActivityChannel.of(secretKey);
        String name = channel.name();
        notifier = new ActivityNotifier(channel,
            () -> StoreBootstrap.session(url, settings, NOTIFIER_SESSION_PREFIX + name));
        listener = new ActivityListener(channel,
            () -> StoreBootstrap.session(url, settings, LISTENER_SESSION_PREFIX + name));
        notifier.start();
        listener.start();
      }
      return new JdbcUserStore(pool, dialect,
          new Transactions(pool, dialect, writeTurn, breaker, settings.connectionTimeout(), sqlite),
          new ActivityLog(dialect.updateReturning()), settings.activityOutbox(), keepAlive, housekeeping, sqlite,
          pruner, breaker, new WriteOrReplay(beforeLookUp), secretKey, channel, notifier, listener);
    } catch (SQLException | RuntimeException e) {
      dataSource.close();
      StoreBootstrap.closeQuietly(keepAlive, "the in-memory database's keep-alive connection");
      throw StoreBootstrap.openFailure(e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Writes first and looks the request id up only when a unique index rejects the write
   * ({@link WriteOrReplay}): a retried create collides on the email or on the request id, and the common
   * create, without one or new, costs no read.
   */
  @Override
  public User create(NewUser newUser, Optional<String> requestId) {
    requireNonNull(newUser, "newUser");
    requireNonNull(requestId, "requestId");
    User created = newUser.toUser();
    try {
      // With a request id, the violation may come from an earlier create with the same id, or from a
      // concurrent one that committed first (on email_key or on the request id): answer as that one did.
      return writeOrReplay.run(requestId, () -> insert(created, requestId),
          id -> transactions.read(tx -> UserRows.findCreateRequest(tx, id))
              .map(earlier -> replay(newUser, earlier, id)),
          e -> {
            if (e.violates(UserRows.EMAIL_KEY_INDEX, UserRows.EMAIL_KEY_COLUMN)) {
              throw new EmailAlreadyExistsException();
            }
          });
    } catch (DuplicateKeyException e) {
      throw new IllegalStateException("cannot create user " + created.id() + ": duplicate key", e);
    }
  }

  /** Writes a new user, its create request if {@code requestId} is present, its event and its count. */
  private User insert(User created, Optional<String> requestId) {
    if (dialect.oneStatementWrites()) {
      return transactions.writeStatement(tx -> {
        OneStatementWrites.create(tx, created, requestId, outbox != null);
        return created;
      });
    }
    return transactions.transact(tx -> {
      UserRows.insert(tx, created);
      if (requestId.isPresent()) {
        UserRows.insertCreateRequest(tx, requestId.get(), created);
      }
      appendEvent(tx, JdbcOutbox::insert, created.id(), ActivityRecord.USER_CREATED, ActivityRecord.ALL_FIELDS,
          created.createdAtMillis());
      RoleCounts.add(tx, created.role(), created.id(), 1);
      return created;
    });
  }

  @Override
  public Optional<User> find(String id) {
    requireNonNull(id, "id");
    return transactions.read(tx -> UserRows.find(tx, id));
  }

  @Override
  public User update(String id, UserChanges changes, Optional<String> expectedEtag, long nowMillis) {
    requireNonNull(id, "id");
    requireNonNull(changes, "changes");
    requireNonNull(expectedEtag, "expectedEtag");
    try {
      if (dialect.oneStatementWrites()) {
        return RowChangedException.retrying(() -> updateInOneStatement(id, changes, expectedEtag, nowMillis));
      }
      return RowChangedException.retrying(() -> transactions.transact(tx -> {
        User current = UserRows.lockForChange(tx, id, expectedEtag);
        User updated = changes.applyTo(current, nowMillis);
        if (updated.equals(current)) { // nothing differs: applyTo returned the user as it is
          return current;
        }
        UserRows.update(tx, current, updated);
        appendEvent(tx, JdbcOutbox::insertAndReadPending, id, ActivityRecord.USER_UPDATED,
            UserChanges.changedFields(current, updated), nowMillis);
        if (!updated.role().equals(current.role())) {
          RoleCounts.add(tx, current.role(), id, -1);
          RoleCounts.add(tx, updated.role(), id, 1);
        }
        return updated;
      }));
    } catch (DuplicateKeyException e) {
      if (e.violates(UserRows.EMAIL_KEY_INDEX, UserRows.EMAIL_KEY_COLUMN)) {
        throw new EmailAlreadyExistsException();
      }
      throw new IllegalStateException("cannot update user " + id + ": duplicate key", e);
    }
  }

  /**
   * UpdateUser on PostgreSQL: reads the user, then writes it with its event and counts in one statement
   * guarded by the version read ({@link OneStatementWrites#update}): two round trips to the database instead of
   * the transaction's lock, update, event, commit. Throws {@link RowChangedException} when the user changed in
   * between, for the caller to read it again.
   */
  private User updateInOneStatement(String id, UserChanges changes, Optional<String> expectedEtag,
      long nowMillis) {
    User current = transactions.read(tx -> UserRows.find(tx, id)).orElseThrow(() -> new UserNotFoundException(id));
    UserRows.checkEtag(current, expectedEtag);
    User updated = changes.applyTo(current, nowMillis);
    if (updated.equals(current)) { // nothing differs: applyTo returned the user as it is
      return current;
    }
    return transactions.writeStatement(tx -> {
      OneStatementWrites.update(tx, current, updated, UserChanges.changedFields(current, updated), nowMillis,
          outbox != null);
      return updated;
    });
  }

  @Override
  public void delete(String id, Optional<String> expectedEtag, long nowMillis) {
    requireNonNull(id, "id");
    requireNonNull(expectedEtag, "expectedEtag");
    RowChangedException.retrying(() -> transactions.transact(tx -> {
      User current = UserRows.lockForChange(tx, id, expectedEtag);
      UserRows.delete(tx, current);
      appendEvent(tx, JdbcOutbox::insertAndReadPending, id, ActivityRecord.USER_DELETED, "", nowMillis);
      RoleCounts.add(tx, current.role(), id, -1);
      return current;
    }));
  }

  /**
   * Appends a mutation's event to the activity log or, when the store has an outbox, writes it there with
   * {@code toOutbox}: {@link JdbcOutbox#insertAndReadPending} for the change of a user whose row the
   * transaction locked, which also reads the user's pending rows for the commit listeners
   * ({@link OutboxSource#addCommitListener}); {@link JdbcOutbox#insert} for a new user.
   */
  private void appendEvent(Transaction tx, OutboxWrite toOutbox, String userId, String action, String details,
      long nowMillis) throws SQLException {
    if (outbox != null) {
      toOutbox.write(tx, userId, action, details, nowMillis);
    } else {
      log.append(tx, userId, action, details, nowMillis, Optional.empty());
    }
  }

  /** How {@link #appendEvent} writes an event to the outbox: a method of {@link JdbcOutbox}. */
  @FunctionalInterface
  private interface OutboxWrite {
    void write(Transaction tx, String userId, String action, String details, long nowMillis) throws SQLException;
  }

  /**
   * Returns the outbox: the events of mutations not yet in the external activity log, for it to publish and
   * mark.
   *
   * @return the outbox
   * @throws IllegalStateException if the store was not opened with {@link JdbcSettings#activityOutbox()}
   */
  public OutboxSource outbox() {
    if (outbox == null) {
      throw new IllegalStateException("the store was opened without an activity outbox"
          + " (JdbcSettings.Builder.setActivityOutbox)");
    }
    return outbox;
  }

  /** Sums the counts that writers keep in {@code user_counts}; see {@link RoleCounts}. */
  @Override
  public long count(Optional<String> role) {
    requireNonNull(role, "role");
    return transactions.read(tx -> RoleCounts.count(tx, role));
  }

  @Override
  public List<User> listByOffset(Optional<String> role, long offset, int limit) {
    requireNonNull(role, "role");
    if (offset < 0) {
      throw new IllegalArgumentException("offset: " + offset + " (expected: >= 0)");
    }
    checkMax("limit", limit);
    return transactions.read(tx -> UserRows.listByOffset(tx, role, offset, limit));
  }

  /** {@inheritDoc} See {@link UserRows#listAfter} for how deep pages stay cheap. */
  @Override
  public List<User> listAfter(Optional<String> role, Optional<PageCursor> after, int limit) {
    requireNonNull(role, "role");
    requireNonNull(after, "after");
    checkMax("limit", limit);
    return transactions.read(tx -> UserRows.listAfter(tx, role, after, limit));
  }

  /**
   * {@inheritDoc}
   *
   * <p>On PostgreSQL one statement ({@link OneStatementWrites}). Elsewhere a transaction takes the user's head
   * first, then checks that the user exists: a concurrent delete that holds the head commits first, and the
   * check, a new statement at READ COMMITTED, then sees the user gone. So no event ever follows
   * {@code user.deleted}.
   *
   * <p>Writes first and looks the request id up only when the write fails: on its unique index
   * ({@link WriteOrReplay}), or on a user deleted since the earlier call, which is still answered as it was.
   */
  @Override
  public ActivityRecord recordActivity(String userId, String action, String details, long nowMillis,
      Optional<String> requestId) {
    requireNonNull(userId, "userId");
    requireNonNull(action, "action");
    requireNonNull(details, "details");
    requireNonNull(requestId, "requestId");
    try {
      // An earlier or concurrent call with the same request id committed first.
      return writeOrReplay.run(requestId, () -> record(userId, action, details, nowMillis, requestId),
          id -> replayRecorded(userId, action, details, id), e -> {});
    } catch (UserNotFoundException e) {
      return requestId.flatMap(id -> replayRecorded(userId, action, details, id)).orElseThrow(() -> e);
    } catch (DuplicateKeyException e) {
      throw new IllegalStateException("cannot record activity of user " + userId + ": duplicate key", e);
    }
  }

  /** Appends an event of RecordActivity, with its request id if present, if the user exists. */
  private ActivityRecord record(String userId, String action, String details, long nowMillis,
      Optional<String> requestId) {
    if (dialect.oneStatementWrites()) {
      return transactions.writeStatement(
          tx -> OneStatementWrites.recordActivity(tx, userId, action, details, nowMillis, requestId))
          .orElseThrow(() -> new UserNotFoundException(userId));
    }
    return transactions.transact(tx -> {
      long sequence = log.nextSequence(tx, userId);
      if (!UserRows.exists(tx, userId)) {
        // Rolls the increment back.
        throw new UserNotFoundException(userId);
      }
      return log.insert(tx, sequence, userId, action, details, nowMillis, requestId);
    });
  }

  /** Returns the event recorded earlier with the request id, if one is kept. */
  private Optional<ActivityRecord> replayRecorded(String userId, String action, String details, String requestId) {
    return transactions.read(tx -> ActivityLog.findRecorded(tx, requestId))
        .map(earlier -> replay(earlier, userId, action, details, requestId));
  }

  /**
   * {@inheritDoc}
   *
   * <p>Reads the events and the user's {@code pruned_up_to} ({@link ActivityLog#eventsAfterAndPruned}): in one
   * snapshot, or the events first: a pruner that deleted events after {@code afterSequence} before the first
   * read committed before the second, which then sees it.
   */
  @Override
  public List<ActivityRecord> userActivityAfter(String userId, long afterSequence, int max) {
    requireNonNull(userId, "userId");
    checkMax("max", max);
    return transactions.read(tx -> {
      ActivityLog.EventsAfter read = ActivityLog.eventsAfterAndPruned(tx, userId, afterSequence, max);
      if (Math.max(afterSequence, 0) < read.prunedUpTo()) {
        throw new ResumePointExpiredException(afterSequence, read.prunedUpTo() + 1);
      }
      return read.events();
    });
  }

  @Override
  public long lastSequence(String userId) {
    requireNonNull(userId, "userId");
    return transactions.read(tx -> ActivityLog.lastSequence(tx, userId));
  }

  @Override
  public Map<String, Long> lastSequences(Collection<String> userIds) {
    requireNonNull(userIds, "userIds");
    if (userIds.isEmpty()) {
      return Map.of();
    }
    return transactions.read(tx -> ActivityLog.lastSequences(tx, userIds));
  }

  @Override
  public byte[] secretKey() {
    return secretKey.clone();
  }

  /**
   * Returns the connection pool's current state, for metrics.
   *
   * @return active, idle and total connections, and threads waiting for one
   */
  public PoolStats poolStats() {
    return pool.stats();
  }

  /**
   * The state of the connection pool.
   *
   * @param active connections in use
   * @param idle connections ready for use
   * @param total all connections
   * @param awaiting threads waiting for a connection
   */
  public record PoolStats(int active, int idle, int total, int awaiting) {}

  /**
   * {@inheritDoc}
   *
   * <p>Runs {@code SELECT 1} with a one-second timeout on a pooled connection, waiting at most a second for
   * the connection; throws at once while the circuit breaker is open.
   */
  @Override
  public void ping() {
    transactions.ping();
  }

  /**
   * {@inheritDoc}
   *
   * <p>One read-only transaction on a snapshot, so writers may keep running: see {@link JdbcExport}.
   */
  @Override
  public void exportTo(Function<StoreSummary, ContentsSink> begin) {
    requireNonNull(begin, "begin");
    try (Connection connection = transactions.borrow()) {
      JdbcExport.run(connection, begin);
    } catch (SQLException e) {
      throw JdbcImport.failure(e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>One transaction on one connection, held until the load is committed or closed: see {@link JdbcImport}.
   */
  @Override
  public Load beginImport(StoreSummary summary, boolean replace) {
    requireNonNull(summary, "summary");
    try {
      return JdbcImport.begin(transactions.borrow(), summary, replace);
    } catch (SQLException e) {
      throw JdbcImport.failure(e);
    }
  }

  @Override
  public void addCommitListener(Consumer<ActivityRecord> listener) {
    transactions.addCommitListener(listener);
  }

  /**
   * {@inheritDoc}
   *
   * <p>With {@link JdbcSettings#activityNotifications()} on PostgreSQL, the listener hears the commits of every
   * other server of this store, on its session that LISTENs; otherwise it is never called.
   */
  @Override
  public void addRemoteCommitListener(RemoteCommitListener listener) {
    requireNonNull(listener, "listener");
    if (this.listener != null) {
      this.listener.addListener(listener);
    }
  }

  /**
   * Returns the PostgreSQL channel on which the servers of this store wake each other when they commit activity
   * ({@link JdbcSettings#activityNotifications()}): {@code user_activity_} and 16 hex digits derived from the
   * store's secret, so that stores in other schemas of the database use other channels. Each server holds two
   * sessions for it outside the pool, shown in {@code pg_stat_activity} with the {@code application_name}
   * {@code user-store listener <channel>} and {@code user-store notifier <channel>} (the latter once it has
   * sent a notification).
   *
   * @return the channel's name, or empty when the notifications are off (not PostgreSQL, switched off, or an
   *     outbox store)
   */
  public Optional<String> activityChannel() {
    return Optional.ofNullable(channel).map(ActivityChannel::name);
  }

  /** Closes the connection pool; calls made afterwards throw {@link StoreUnavailableException}. */
  @Override
  public void close() {
    if (!transactions.close()) {
      return;
    }
    if (notifier != null) {
      notifier.close();
    }
    if (listener != null) {
      listener.close();
    }
    pruner.close();
    breaker.close();
    if (housekeeping != null) {
      housekeeping.close();
    }
    if (sqliteHousekeeping != null) {
      sqliteHousekeeping.close();
    }
    pool.close();
    StoreBootstrap.closeQuietly(keepAlive, "the in-memory database's keep-alive connection");
    logger.log(Level.FINE, "{0} - closed the user store", POOL_NAME);
  }

  private static void checkMax(String name, int max) {
    if (max < 0) {
      throw new IllegalArgumentException(name + ": " + max + " (expected: >= 0)");
    }
  }

  private static User replay(NewUser newUser, User earlier, String requestId) {
    if (!newUser.sameRequestAs(earlier)) {
      throw new RequestIdReusedException(requestId);
    }
    return earlier;
  }

  private static ActivityRecord replay(ActivityRecord earlier, String userId, String action,
      String details, String requestId) {
    if (!earlier.userId().equals(userId) || !earlier.action().equals(action)
        || !earlier.details().equals(details)) {
      throw new RequestIdReusedException(requestId);
    }
    return earlier;
  }
}
