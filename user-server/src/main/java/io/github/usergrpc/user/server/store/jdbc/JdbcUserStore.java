package io.github.usergrpc.user.server.store.jdbc;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.pool.HikariPool;
import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.EmailAlreadyExistsException;
import io.github.usergrpc.user.service.store.EtagMismatchException;
import io.github.usergrpc.user.service.store.NewUser;
import io.github.usergrpc.user.service.store.PageCursor;
import io.github.usergrpc.user.service.store.RequestIdReusedException;
import io.github.usergrpc.user.service.store.ResumePointExpiredException;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import io.github.usergrpc.user.service.store.User;
import io.github.usergrpc.user.service.store.UserChanges;
import io.github.usergrpc.user.service.store.UserNotFoundException;
import io.github.usergrpc.user.service.store.UserStore;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

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
 * <p>{@link #open} migrates the schema with Flyway (scripts in {@code db/migration}, one set for both
 * databases; {@link SqlDialect} names what differs between them) and fills a connection pool (HikariCP, named {@value #POOL_NAME}). Every mutation and its
 * activity event are written in one transaction; uniqueness of emails and request ids is enforced by the
 * database, so it holds across servers.
 *
 * <p>Retention: events of the activity log are kept for the {@linkplain JdbcSettings#activityRetention()
 * activity retention} (7 days by default), RecordActivity request ids with them, and CreateUser request ids
 * for {@link UserStore#REQUEST_ID_RETENTION}; a background {@link ActivityPruner} deletes what is older in
 * small batches. {@link #userActivityAfter} from before the oldest kept event throws
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
public final class JdbcUserStore implements UserStore {

  /** The name of the connection pool, as it appears in HikariCP's log lines and metrics. */
  public static final String POOL_NAME = "user-store";

  private static final Logger logger = Logger.getLogger(JdbcUserStore.class.getName());

  private static final Duration VALIDATION_TIMEOUT = Duration.ofSeconds(1);
  private static final int PING_TIMEOUT_SECONDS = 1;
  /** The longest a health ping waits for a pooled connection, so that health reflects an outage quickly. */
  private static final Duration PING_CONNECTION_WAIT = Duration.ofSeconds(1);
  /** The slices a call's wait for a connection is cut into; see {@link #borrow}. */
  private static final Duration BORROW_SLICE = Duration.ofMillis(100);
  private static final int SECRET_BYTES = 32;

  private static final String USER_COLUMNS =
      "id, email, name, role, created_at_ms, updated_at_ms, version";
  /** The columns of create_requests that hold the user as created, in the order of USER_COLUMNS. */
  private static final String CREATED_USER_COLUMNS =
      "user_id, email, name, role, created_at_ms, updated_at_ms, version";
  private static final String EVENT_COLUMNS = "sequence, user_id, action, details, occurred_at_ms";
  /** The newest-first order of users; PageCursor and InMemoryUserStore order the same way. */
  private static final String NEWEST_FIRST = " ORDER BY created_at_ms DESC, id DESC";
  /**
   * The same order among users of one role. Naming the role first changes nothing in the result, but
   * lets H2 read users_role_newest_first_ix in order instead of sorting every user of the role.
   */
  private static final String ROLE_NEWEST_FIRST = " ORDER BY role, created_at_ms DESC, id DESC";
  /** The unique index on email_key: a violation of it is a duplicate email. */
  private static final String EMAIL_KEY_INDEX = "users_email_key_uq";
  /** The column of {@link #EMAIL_KEY_INDEX}, by which SQLite names it. */
  private static final String EMAIL_KEY_COLUMN = "users.email_key";

  private final HikariDataSource dataSource;
  private final SqlDialect dialect;
  /** Held by the write transaction that runs, when the dialect allows one at a time; else null. */
  @Nullable private final ReentrantLock writeLock;
  /** How often H2Housekeeping runs: as often as H2's own background writer would by default. */
  private static final Duration H2_HOUSEKEEPING_PERIOD = Duration.ofMillis(500);

  /** Holds an H2 in-memory database open: H2 drops it when its last connection closes. */
  @Nullable private final Connection keepAlive;
  /** Compacts an embedded H2 file database, which WRITE_DELAY=0 leaves to us; see H2Housekeeping. */
  @Nullable private final H2Housekeeping housekeeping;
  private final ActivityPruner pruner;
  private final DatabaseCircuitBreaker breaker;
  private final Duration connectionTimeout;
  private final byte[] secretKey;
  private final List<Runnable> commitListeners = new CopyOnWriteArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  private JdbcUserStore(HikariDataSource dataSource, SqlDialect dialect, @Nullable Connection keepAlive,
      @Nullable H2Housekeeping housekeeping, ActivityPruner pruner, DatabaseCircuitBreaker breaker,
      Duration connectionTimeout, byte[] secretKey) {
    this.dataSource = dataSource;
    this.dialect = dialect;
    // Fair: writers are served in the order they came, as the row locks of the other databases serve them.
    this.writeLock = dialect.singleWriter() ? new ReentrantLock(true) : null;
    this.keepAlive = keepAlive;
    this.housekeeping = housekeeping;
    this.pruner = pruner;
    this.breaker = breaker;
    this.connectionTimeout = connectionTimeout;
    this.secretKey = secretKey;
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
    requireNonNull(settings, "settings");
    requireNonNull(clock, "clock");
    SqlDialect dialect = settings.dialect();
    String url = dialect.connectionUrl(settings.jdbcUrl());
    HikariDataSource dataSource;
    try {
      dataSource = new HikariDataSource(poolConfig(settings, dialect, url));
    } catch (RuntimeException e) {
      // HikariPool.PoolInitializationException: the first connection failed.
      throw openFailure(e);
    }
    Connection keepAlive = null;
    try {
      if (url.startsWith("jdbc:h2:mem:")) {
        keepAlive = DriverManager.getConnection(url, settings.user(), settings.password());
      }
      migrate(dataSource, dialect);
      byte[] secretKey = loadOrCreateSecret(dataSource);
      logger.log(Level.FINE, "{0} - opened the user store", POOL_NAME);
      H2Housekeeping housekeeping = isEmbeddedH2File(url)
          ? H2Housekeeping.start(dataSource, H2_HOUSEKEEPING_PERIOD)
          : null;
      DatabaseCircuitBreaker breaker = new DatabaseCircuitBreaker(() -> probe(url, dialect, settings));
      ActivityPruner pruner = new ActivityPruner(dataSource, settings.activityRetention(),
          UserStore.REQUEST_ID_RETENTION, clock, breaker::isOpen);
      pruner.start();
      return new JdbcUserStore(dataSource, dialect, keepAlive, housekeeping, pruner, breaker,
          settings.connectionTimeout(), secretKey);
    } catch (SQLException | RuntimeException e) {
      dataSource.close();
      closeQuietly(keepAlive);
      throw openFailure(e);
    }
  }

  @Override
  public User create(NewUser newUser, Optional<String> requestId) {
    requireNonNull(newUser, "newUser");
    requireNonNull(requestId, "requestId");
    if (requestId.isPresent()) {
      Optional<User> earlier = transact(tx -> findCreateRequest(tx, requestId.get()));
      if (earlier.isPresent()) {
        return replay(newUser, earlier.get(), requestId.get());
      }
    }
    User created = newUser.toUser();
    try {
      return transact(tx -> {
        insertUser(tx, created);
        if (requestId.isPresent()) {
          insertCreateRequest(tx, requestId.get(), created);
        }
        appendEvent(tx, created.id(), ActivityRecord.USER_CREATED, ActivityRecord.ALL_FIELDS,
            created.createdAtMillis(), Optional.empty());
        addToRoleCount(tx, created.role(), 1);
        return created;
      });
    } catch (DuplicateKeyException e) {
      // With a request id, the violation may come from a concurrent create with the same id that
      // committed first (on email_key or on the request id): answer as that one did.
      if (requestId.isPresent()) {
        Optional<User> earlier = transact(tx -> findCreateRequest(tx, requestId.get()));
        if (earlier.isPresent()) {
          return replay(newUser, earlier.get(), requestId.get());
        }
      }
      if (dialect.violationNames(e.sqlCause(), EMAIL_KEY_INDEX, EMAIL_KEY_COLUMN)) {
        throw new EmailAlreadyExistsException();
      }
      throw new IllegalStateException("cannot create user " + created.id() + ": duplicate key", e);
    }
  }

  @Override
  public Optional<User> find(String id) {
    requireNonNull(id, "id");
    return read(tx -> {
      try (PreparedStatement select = tx.connection.prepareStatement(
          "SELECT " + USER_COLUMNS + " FROM users WHERE id = ?")) {
        select.setString(1, id);
        return readUsers(select).stream().findFirst();
      }
    });
  }

  @Override
  public User update(String id, UserChanges changes, Optional<String> expectedEtag, long nowMillis) {
    requireNonNull(id, "id");
    requireNonNull(changes, "changes");
    requireNonNull(expectedEtag, "expectedEtag");
    try {
      return retryingChangedRows(() -> transact(tx -> {
        User current = lockForChange(tx, id, expectedEtag);
        User updated = changes.applyTo(current, nowMillis);
        if (updated == current) {
          return current;
        }
        try (PreparedStatement update = tx.connection.prepareStatement("UPDATE users SET email = ?,"
            + " email_key = ?, name = ?, role = ?, updated_at_ms = ?, version = ? WHERE id = ? AND version = ?")) {
          update.setString(1, updated.email());
          update.setString(2, updated.emailKey());
          update.setString(3, updated.name());
          update.setString(4, updated.role());
          update.setLong(5, updated.updatedAtMillis());
          update.setLong(6, updated.version());
          update.setString(7, id);
          update.setLong(8, current.version());
          expectOneRow(update.executeUpdate());
        }
        appendEvent(tx, id, ActivityRecord.USER_UPDATED, UserChanges.changedFields(current, updated),
            nowMillis, Optional.empty());
        if (!updated.role().equals(current.role())) {
          addToRoleCount(tx, current.role(), -1);
          addToRoleCount(tx, updated.role(), 1);
        }
        return updated;
      }));
    } catch (DuplicateKeyException e) {
      if (dialect.violationNames(e.sqlCause(), EMAIL_KEY_INDEX, EMAIL_KEY_COLUMN)) {
        throw new EmailAlreadyExistsException();
      }
      throw new IllegalStateException("cannot update user " + id + ": duplicate key", e);
    }
  }

  @Override
  public void delete(String id, Optional<String> expectedEtag, long nowMillis) {
    requireNonNull(id, "id");
    requireNonNull(expectedEtag, "expectedEtag");
    retryingChangedRows(() -> transact(tx -> {
      User current = lockForChange(tx, id, expectedEtag);
      try (PreparedStatement delete = tx.connection.prepareStatement(
          "DELETE FROM users WHERE id = ? AND version = ?")) {
        delete.setString(1, id);
        delete.setLong(2, current.version());
        expectOneRow(delete.executeUpdate());
      }
      ActivityRecord deleted = appendEvent(tx, id, ActivityRecord.USER_DELETED, "", nowMillis, Optional.empty());
      addToRoleCount(tx, current.role(), -1);
      return deleted;
    }));
  }

  /**
   * Reads the counts that writers keep in {@code user_counts} (see {@link #addToRoleCount}), one row per
   * role ever used: a primary-key read, or a sum over the few roles, instead of counting the users.
   */
  @Override
  public long count(Optional<String> role) {
    requireNonNull(role, "role");
    return read(tx -> {
      try (PreparedStatement select = tx.connection.prepareStatement(role.isPresent()
          ? "SELECT COALESCE(SUM(users), 0) FROM user_counts WHERE role = ?"
          : "SELECT COALESCE(SUM(users), 0) FROM user_counts")) {
        if (role.isPresent()) {
          select.setString(1, role.get());
        }
        try (ResultSet rows = select.executeQuery()) {
          rows.next();
          return rows.getLong(1);
        }
      }
    });
  }

  @Override
  public List<User> listByOffset(Optional<String> role, long offset, int limit) {
    requireNonNull(role, "role");
    if (offset < 0) {
      throw new IllegalArgumentException("offset: " + offset + " (expected: >= 0)");
    }
    checkMax("limit", limit);
    return read(tx -> {
      try (PreparedStatement select = tx.connection.prepareStatement("SELECT " + USER_COLUMNS
          + " FROM users" + (role.isPresent() ? " WHERE role = ?" + ROLE_NEWEST_FIRST : NEWEST_FIRST)
          + " LIMIT ? OFFSET ?")) {
        int index = 1;
        if (role.isPresent()) {
          select.setString(index++, role.get());
        }
        select.setInt(index++, limit);
        select.setLong(index, offset);
        return readUsers(select);
      }
    });
  }

  /**
   * {@inheritDoc}
   *
   * <p>The cursor condition is {@code created_at_ms < ? OR (created_at_ms = ? AND id < ?)}, written with
   * a redundant {@code created_at_ms <= ?} in front: that is a range both databases start an index scan
   * at, so a deep page reads the index from the cursor on. Without it, PostgreSQL and H2 both walk the
   * index from the newest user and filter out every user before the cursor (250,000 rows for a page
   * 250,000 deep, against 3 with it).
   */
  @Override
  public List<User> listAfter(Optional<String> role, Optional<PageCursor> after, int limit) {
    requireNonNull(role, "role");
    requireNonNull(after, "after");
    checkMax("limit", limit);
    List<String> conditions = new ArrayList<>(2);
    role.ifPresent(r -> conditions.add("role = ?"));
    after.ifPresent(c -> conditions.add("created_at_ms <= ? AND (created_at_ms < ? OR id < ?)"));
    String where = conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions);
    String order = role.isPresent() ? ROLE_NEWEST_FIRST : NEWEST_FIRST;
    return read(tx -> {
      try (PreparedStatement select = tx.connection.prepareStatement(
          "SELECT " + USER_COLUMNS + " FROM users" + where + order + " LIMIT ?")) {
        int index = 1;
        if (role.isPresent()) {
          select.setString(index++, role.get());
        }
        if (after.isPresent()) {
          select.setLong(index++, after.get().createdAtMillis());
          select.setLong(index++, after.get().createdAtMillis());
          select.setString(index++, after.get().id());
        }
        select.setInt(index, limit);
        return readUsers(select);
      }
    });
  }

  @Override
  public ActivityRecord recordActivity(String userId, String action, String details, long nowMillis,
      Optional<String> requestId) {
    requireNonNull(userId, "userId");
    requireNonNull(action, "action");
    requireNonNull(details, "details");
    requireNonNull(requestId, "requestId");
    if (requestId.isPresent()) {
      Optional<ActivityRecord> earlier = transact(tx -> findRecordedEvent(tx, requestId.get()));
      if (earlier.isPresent()) {
        return replay(earlier.get(), userId, action, details, requestId.get());
      }
    }
    try {
      return transact(tx -> {
        // The lock keeps a concurrent delete from slipping in between: no event after user.deleted.
        if (lockUser(tx, userId).isEmpty()) {
          throw new UserNotFoundException(userId);
        }
        return appendEvent(tx, userId, action, details, nowMillis, requestId);
      });
    } catch (DuplicateKeyException e) {
      // A concurrent call with the same request id committed first.
      Optional<ActivityRecord> earlier = requestId.isPresent()
          ? transact(tx -> findRecordedEvent(tx, requestId.get()))
          : Optional.empty();
      if (earlier.isEmpty()) {
        throw new IllegalStateException("cannot record activity of user " + userId + ": duplicate key", e);
      }
      return replay(earlier.get(), userId, action, details, requestId.get());
    }
  }

  @Override
  public List<ActivityRecord> activityAfter(long afterSequence, int max) {
    return eventsAfter(Optional.empty(), afterSequence, max);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Reads the events, then {@code activity_retention.pruned_up_to}: a pruner that deleted events after
   * {@code afterSequence} before the first read committed before the second, which then sees it.
   */
  @Override
  public List<ActivityRecord> userActivityAfter(String userId, long afterSequence, int max) {
    requireNonNull(userId, "userId");
    List<ActivityRecord> events = eventsAfter(Optional.of(userId), afterSequence, max);
    long prunedUpTo = read(tx -> {
      try (Statement select = tx.connection.createStatement();
          ResultSet rows = select.executeQuery("SELECT pruned_up_to FROM activity_retention WHERE id = 1")) {
        rows.next();
        return rows.getLong(1);
      }
    });
    if (Math.max(afterSequence, 0) < prunedUpTo) {
      throw new ResumePointExpiredException(afterSequence, prunedUpTo + 1);
    }
    return events;
  }

  @Override
  public long lastSequence() {
    return read(tx -> {
      try (Statement select = tx.connection.createStatement();
          ResultSet rows = select.executeQuery("SELECT last_sequence FROM activity_counter WHERE id = 1")) {
        rows.next();
        return rows.getLong(1);
      }
    });
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
    HikariPoolMXBean pool = dataSource.getHikariPoolMXBean();
    if (pool == null) {
      return new PoolStats(0, 0, 0, 0);
    }
    return new PoolStats(pool.getActiveConnections(), pool.getIdleConnections(), pool.getTotalConnections(),
        pool.getThreadsAwaitingConnection());
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
    checkOpen();
    breaker.checkClosed();
    Duration wait = connectionTimeout.compareTo(PING_CONNECTION_WAIT) < 0
        ? connectionTimeout
        : PING_CONNECTION_WAIT;
    try (Connection connection = borrow(wait);
        Statement select = connection.createStatement()) {
      select.setQueryTimeout(PING_TIMEOUT_SECONDS);
      try {
        select.execute("SELECT 1");
      } finally {
        // H2 applies a statement's query timeout to its whole session, i.e. to the pooled connection: left
        // set, it would cancel every later query on that connection after one second (STORE_UNAVAILABLE).
        select.setQueryTimeout(0);
      }
      if (!connection.getAutoCommit()) {
        connection.rollback();
      }
      breaker.recordSuccess();
    } catch (SQLException e) {
      if (SqlFailures.isConnectionFailure(e)) {
        breaker.recordConnectionFailure();
      }
      throw new StoreUnavailableException(e);
    }
  }

  @Override
  public void addCommitListener(Runnable listener) {
    commitListeners.add(requireNonNull(listener, "listener"));
  }

  /** Closes the connection pool; calls made afterwards throw {@link StoreUnavailableException}. */
  @Override
  public void close() {
    if (closed.getAndSet(true)) {
      return;
    }
    pruner.close();
    breaker.close();
    if (housekeeping != null) {
      housekeeping.close();
    }
    dataSource.close();
    closeQuietly(keepAlive);
    logger.log(Level.FINE, "{0} - closed the user store", POOL_NAME);
  }

  /** An H2 database in a file of this JVM: not in memory, not on an H2 server, not read-only in a zip. */
  static boolean isEmbeddedH2File(String url) {
    return url.startsWith("jdbc:h2:") && !url.matches("(?i)jdbc:h2:(mem|tcp|ssl|zip):.*");
  }

  private static HikariConfig poolConfig(JdbcSettings settings, SqlDialect dialect, String url) {
    HikariConfig config = new HikariConfig();
    config.setPoolName(POOL_NAME);
    config.setJdbcUrl(url);
    config.setUsername(settings.user());
    config.setPassword(settings.password());
    config.setMaximumPoolSize(settings.maximumPoolSize());
    // Connections are opened as calls need them, not kept at the maximum: a pool below its minimum keeps
    // retrying to connect while the database is down, backing off up to 5 s between attempts, and the first
    // calls after the database returns waited out that backoff. Idle connections close after 10 minutes.
    config.setMinimumIdle(0);
    config.setConnectionTimeout(settings.connectionTimeout().toMillis());
    // HikariCP requires validationTimeout < connectionTimeout, and would quietly change it otherwise.
    Duration validationTimeout = settings.connectionTimeout().compareTo(VALIDATION_TIMEOUT) > 0
        ? VALIDATION_TIMEOUT
        : JdbcSettings.MINIMUM_CONNECTION_TIMEOUT;
    config.setValidationTimeout(validationTimeout.toMillis());
    config.setAutoCommit(dialect.restsInAutocommit());
    config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
    return config;
  }

  private static void migrate(DataSource dataSource, SqlDialect dialect) {
    Flyway.configure(JdbcUserStore.class.getClassLoader())
        .dataSource(dataSource)
        .locations("classpath:db/migration")
        .failOnMissingLocations(true)
        .placeholders(Map.of("id_collation", dialect.idCollation()))
        .load()
        .migrate();
  }

  private static byte[] loadOrCreateSecret(DataSource dataSource) throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      Optional<byte[]> secret = readSecret(connection);
      if (secret.isEmpty()) {
        byte[] generated = new byte[SECRET_BYTES];
        new SecureRandom().nextBytes(generated);
        try (PreparedStatement insert = connection.prepareStatement(
            "INSERT INTO store_secret (id, secret_hex) VALUES (1, ?)")) {
          insert.setString(1, HexFormat.of().formatHex(generated));
          insert.executeUpdate();
          connection.commit();
        } catch (SQLException e) {
          connection.rollback();
          if (!SqlFailures.isUniqueViolation(e)) {
            throw e;
          }
          // Another server opening the same new database stored its secret first: use that one.
        }
        secret = readSecret(connection);
      }
      connection.rollback();
      connection.setAutoCommit(true);
      return secret.orElseThrow(() -> new IllegalStateException("store_secret has no row"));
    }
  }

  private static Optional<byte[]> readSecret(Connection connection) throws SQLException {
    try (Statement select = connection.createStatement();
        ResultSet rows = select.executeQuery("SELECT secret_hex FROM store_secret WHERE id = 1")) {
      return rows.next() ? Optional.of(HexFormat.of().parseHex(rows.getString(1))) : Optional.empty();
    }
  }

  private static RuntimeException openFailure(Exception e) {
    Optional<SQLException> sqlCause = SqlFailures.sqlCause(e);
    if (sqlCause.isPresent() && SqlFailures.isUnavailable(sqlCause.get())) {
      return new StoreUnavailableException(e);
    }
    return new IllegalStateException("cannot open the user store", e);
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

  /**
   * Runs {@code work} in one transaction on a pooled connection and commits it; rolls back when it
   * throws. Commit listeners run after a commit that appended an event.
   */
  private <T> T transact(Work<T> work) {
    checkOpen();
    breaker.checkClosed();
    Transaction tx;
    T result;
    long deadline = System.nanoTime() + connectionTimeout.toNanos();
    lockWrites(connectionTimeout);
    try (Connection connection = borrow(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
      tx = new Transaction(connection);
      try {
        // A connection that rests in autocommit begins its transaction here (SQLite: BEGIN IMMEDIATE).
        connection.setAutoCommit(false);
        result = work.run(tx);
        if (dialect.restsInAutocommit()) {
          // Commits; commit() would begin the next IMMEDIATE transaction and hold the write lock in the pool.
          connection.setAutoCommit(true);
        } else {
          connection.commit();
        }
        breaker.recordSuccess();
      } catch (SQLException | RuntimeException e) {
        rollback(connection, e);
        if (dialect.restsInAutocommit()) {
          restoreAutocommit(connection, e);
        }
        throw e;
      }
    } catch (SQLException e) {
      throw translate(e);
    } finally {
      if (writeLock != null) {
        writeLock.unlock();
      }
    }
    if (tx.appendedEvent) {
      notifyCommit();
    }
    return result;
  }

  /**
   * Runs {@code work}, a single read-only statement, on a pooled connection in autocommit mode. Such a
   * statement is a transaction of its own with the same READ COMMITTED view as in {@link #transact}, and it
   * needs no COMMIT: with autocommit off, every read cost a second round trip to the database for the
   * COMMIT, and PostgreSQL a second transaction start and end. Switching autocommit on and back (HikariCP
   * restores the pool's setting when the connection is returned) sends nothing to the database while no
   * transaction is open, which is always the case for a connection taken from the pool.
   */
  private <T> T read(Work<T> work) {
    checkOpen();
    breaker.checkClosed();
    try (Connection connection = borrow(connectionTimeout)) {
      connection.setAutoCommit(true);
      T result = work.run(new Transaction(connection));
      breaker.recordSuccess();
      return result;
    } catch (SQLException e) {
      throw translate(e);
    }
  }

  /**
   * Waits at most {@code timeout} for the store's write lock, when the dialect lets one writer run at a time.
   * Without it, SQLite writers would wait for the database's lock with {@code busy_timeout}, which sleeps
   * between attempts up to 100 ms at a time and serves no one in order.
   */
  private void lockWrites(Duration timeout) {
    if (writeLock == null) {
      return;
    }
    try {
      if (writeLock.tryLock(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    throw new StoreUnavailableException(new SQLTransientConnectionException(
        "no write turn within " + timeout.toMillis() + " ms"));
  }

  private static void restoreAutocommit(Connection connection, Exception failure) {
    try {
      connection.setAutoCommit(true);
    } catch (SQLException e) {
      failure.addSuppressed(e);
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new StoreUnavailableException(new IllegalStateException("the user store is closed"));
    }
  }

  /**
   * Takes a connection from the pool, waiting at most {@code timeout}, in slices of {@link #BORROW_SLICE}:
   * between two, a wait that the circuit breaker has meanwhile given up on ends at once, so that the calls
   * waiting when the database goes away fail within a slice of the breaker opening, not after the whole
   * timeout. A slice that ended on a failed attempt to connect counts as a connection failure.
   */
  private Connection borrow(Duration timeout) throws SQLException {
    HikariPool pool = (HikariPool) dataSource.getHikariPoolMXBean();
    if (pool == null) {
      return dataSource.getConnection();
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      try {
        long slice = Math.min(BORROW_SLICE.toMillis(), TimeUnit.NANOSECONDS.toMillis(left));
        return pool.getConnection(Math.max(1, slice));
      } catch (SQLTransientConnectionException e) {
        if (SqlFailures.isConnectionFailure(e)) {
          breaker.recordConnectionFailure();
        }
        if (breaker.isOpen() || deadline - System.nanoTime() <= 0) {
          throw e;
        }
      }
    }
  }

  /**
   * Connects to the database outside the pool, as {@link DatabaseCircuitBreaker}'s probe: with PostgreSQL's
   * connect and socket timeouts short, so that a probe never hangs on an unreachable host.
   */
  private static void probe(String url, SqlDialect dialect, JdbcSettings settings) throws SQLException {
    Properties properties = new Properties();
    properties.setProperty("user", settings.user());
    properties.setProperty("password", settings.password());
    if (dialect == SqlDialect.POSTGRESQL) {
      properties.setProperty("connectTimeout", "1");
      properties.setProperty("socketTimeout", "2");
      properties.setProperty("loginTimeout", "2");
    }
    try (Connection connection = DriverManager.getConnection(url, properties);
        Statement select = connection.createStatement()) {
      select.execute("SELECT 1");
    }
  }

  private RuntimeException translate(SQLException e) {
    if (SqlFailures.isConnectionFailure(e)) {
      breaker.recordConnectionFailure();
    }
    if (SqlFailures.isUniqueViolation(e)) {
      return new DuplicateKeyException(e);
    }
    if (SqlFailures.isUnavailable(e) || closed.get()) {
      return new StoreUnavailableException(e);
    }
    return new IllegalStateException("user store query failed with SQLState " + e.getSQLState(), e);
  }

  private void notifyCommit() {
    for (Runnable listener : commitListeners) {
      try {
        listener.run();
      } catch (RuntimeException e) {
        // The change is committed: a failing listener must not make it look failed.
        logger.log(Level.WARNING, "a commit listener failed", e);
      }
    }
  }

  /**
   * Appends an event near the end of the transaction: after it come only {@link #addToRoleCount} and the
   * commit.
   *
   * <p>Why a counter row and not a SEQUENCE: a SEQUENCE hands out numbers when a transaction asks, not
   * when it commits. T1 takes 5, T2 takes 6, T2 commits; a reader tailing {@link #activityAfter} sees 6
   * and moves past 5; then T1 commits 5, which that reader never sees. Here every writer increments the
   * one row of {@code activity_counter} near the end of its transaction. The row lock that takes is
   * held until the commit, so the next writer gets its number only after this one has committed: numbers
   * are handed out in commit order, and event {@code n} is visible before {@code n + 1} exists. The price:
   * writers are serialized for the short tail of their transactions (this increment, the insert of the
   * event, the count of users per role and the commit); everything before runs concurrently. A writer
   * that rolls back rolls its increment back too, so the log has no gaps.
   */
  private static ActivityRecord appendEvent(Transaction tx, String userId, String action, String details,
      long nowMillis, Optional<String> requestId) throws SQLException {
    long sequence;
    try (Statement counter = tx.connection.createStatement()) {
      counter.executeUpdate("UPDATE activity_counter SET last_sequence = last_sequence + 1 WHERE id = 1");
      try (ResultSet rows = counter.executeQuery("SELECT last_sequence FROM activity_counter WHERE id = 1")) {
        rows.next();
        sequence = rows.getLong(1);
      }
    }
    try (PreparedStatement insert = tx.connection.prepareStatement("INSERT INTO activity (" + EVENT_COLUMNS
        + ", request_id) VALUES (?, ?, ?, ?, ?, ?)")) {
      insert.setLong(1, sequence);
      insert.setString(2, userId);
      insert.setString(3, action);
      insert.setString(4, details);
      insert.setLong(5, nowMillis);
      insert.setString(6, requestId.orElse(null));
      insert.executeUpdate();
    }
    tx.appendedEvent = true;
    return new ActivityRecord(sequence, userId, action, details, nowMillis);
  }

  /**
   * Adds {@code delta} to the number of users with {@code role}. Callers run it after {@link #appendEvent},
   * whose row lock on {@code activity_counter} serializes writers until they commit: so an UPDATE that
   * finds no row for a new role may INSERT one without racing another writer's INSERT of the same role
   * (H2 and PostgreSQL share no upsert statement that adds to a column).
   */
  private static void addToRoleCount(Transaction tx, String role, long delta) throws SQLException {
    try (PreparedStatement update = tx.connection.prepareStatement(
        "UPDATE user_counts SET users = users + ? WHERE role = ?")) {
      update.setLong(1, delta);
      update.setString(2, role);
      if (update.executeUpdate() == 1) {
        return;
      }
    }
    try (PreparedStatement insert = tx.connection.prepareStatement(
        "INSERT INTO user_counts (role, users) VALUES (?, ?)")) {
      insert.setString(1, role);
      insert.setLong(2, delta);
      insert.executeUpdate();
    }
  }

  /** Returns the events after {@code afterSequence}, of one user if {@code userId} is present. */
  private List<ActivityRecord> eventsAfter(Optional<String> userId, long afterSequence, int max) {
    checkMax("max", max);
    return read(tx -> {
      try (PreparedStatement select = tx.connection.prepareStatement("SELECT " + EVENT_COLUMNS
          + " FROM activity WHERE " + (userId.isPresent() ? "user_id = ? AND " : "")
          + "sequence > ? ORDER BY sequence LIMIT ?")) {
        int index = 1;
        if (userId.isPresent()) {
          select.setString(index++, userId.get());
        }
        select.setLong(index++, afterSequence);
        select.setInt(index, max);
        return readEvents(select);
      }
    });
  }

  /**
   * Writes are guarded by the version they read as well as by the row lock: on H2, a SELECT ... FOR UPDATE
   * that waited for another writer can return the row as it was before that writer committed, so the lock
   * alone does not prevent a lost update. A write that finds the version changed is rolled back and the
   * whole transaction runs again, now reading the new version (and failing on a stale etag).
   */
  private static void expectOneRow(int rows) {
    if (rows != 1) {
      throw new RowChangedException();
    }
  }

  private static <T> T retryingChangedRows(Supplier<T> transaction) {
    for (int attempt = 1; ; attempt++) {
      try {
        return transaction.get();
      } catch (RowChangedException e) {
        if (attempt == 10) {
          throw new IllegalStateException("the user kept changing during 10 attempts to write it", e);
        }
      }
    }
  }

  /** The row a transaction read changed before it wrote; see {@link #expectOneRow}. */
  private static final class RowChangedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RowChangedException() {
      super(null, null, false, false);
    }
  }

  private User lockForChange(Transaction tx, String id, Optional<String> expectedEtag)
      throws SQLException {
    User current = lockUser(tx, id).orElseThrow(() -> new UserNotFoundException(id));
    if (expectedEtag.isPresent() && !expectedEtag.get().equals(current.etag())) {
      throw new EtagMismatchException(id);
    }
    return current;
  }

  private Optional<User> lockUser(Transaction tx, String id) throws SQLException {
    try (PreparedStatement select = tx.connection.prepareStatement(
        "SELECT " + USER_COLUMNS + " FROM users WHERE id = ?" + dialect.forUpdate())) {
      select.setString(1, id);
      return readUsers(select).stream().findFirst();
    }
  }

  private static void insertUser(Transaction tx, User user) throws SQLException {
    try (PreparedStatement insert = tx.connection.prepareStatement("INSERT INTO users (" + USER_COLUMNS
        + ", email_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
      setUser(insert, 1, user);
      insert.setString(8, user.emailKey());
      insert.executeUpdate();
    }
  }

  private static void insertCreateRequest(Transaction tx, String requestId, User user) throws SQLException {
    try (PreparedStatement insert = tx.connection.prepareStatement("INSERT INTO create_requests"
        + " (request_id, " + CREATED_USER_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
      insert.setString(1, requestId);
      setUser(insert, 2, user);
      insert.executeUpdate();
    }
  }

  private static Optional<User> findCreateRequest(Transaction tx, String requestId) throws SQLException {
    try (PreparedStatement select = tx.connection.prepareStatement("SELECT "
        + CREATED_USER_COLUMNS + " FROM create_requests WHERE request_id = ?")) {
      select.setString(1, requestId);
      return readUsers(select).stream().findFirst();
    }
  }

  private static Optional<ActivityRecord> findRecordedEvent(Transaction tx, String requestId)
      throws SQLException {
    try (PreparedStatement select = tx.connection.prepareStatement(
        "SELECT " + EVENT_COLUMNS + " FROM activity WHERE request_id = ?")) {
      select.setString(1, requestId);
      return readEvents(select).stream().findFirst();
    }
  }

  /** Sets the seven {@link #USER_COLUMNS} from {@code first} on. */
  private static void setUser(PreparedStatement statement, int first, User user) throws SQLException {
    statement.setString(first, user.id());
    statement.setString(first + 1, user.email());
    statement.setString(first + 2, user.name());
    statement.setString(first + 3, user.role());
    statement.setLong(first + 4, user.createdAtMillis());
    statement.setLong(first + 5, user.updatedAtMillis());
    statement.setLong(first + 6, user.version());
  }

  /** Reads rows of the seven {@link #USER_COLUMNS}, in that order. */
  private static List<User> readUsers(PreparedStatement select) throws SQLException {
    List<User> users = new ArrayList<>();
    try (ResultSet rows = select.executeQuery()) {
      while (rows.next()) {
        users.add(new User(rows.getString(1), rows.getString(2), rows.getString(3), rows.getString(4),
            rows.getLong(5), rows.getLong(6), rows.getLong(7)));
      }
    }
    return users;
  }

  /** Reads rows of the five {@link #EVENT_COLUMNS}, in that order. */
  private static List<ActivityRecord> readEvents(PreparedStatement select) throws SQLException {
    List<ActivityRecord> events = new ArrayList<>();
    try (ResultSet rows = select.executeQuery()) {
      while (rows.next()) {
        events.add(new ActivityRecord(rows.getLong(1), rows.getString(2), rows.getString(3),
            rows.getString(4), rows.getLong(5)));
      }
    }
    return events;
  }

  private static void rollback(Connection connection, Exception failure) {
    try {
      connection.rollback();
    } catch (SQLException e) {
      failure.addSuppressed(e);
    }
  }

  private static void closeQuietly(@Nullable Connection connection) {
    if (connection == null) {
      return;
    }
    try {
      connection.close();
    } catch (SQLException e) {
      logger.log(Level.FINE, "cannot close a connection", e);
    }
  }

  /** Work done in a transaction. */
  @FunctionalInterface
  private interface Work<T> {
    T run(Transaction tx) throws SQLException;
  }

  /** The connection of one transaction, and whether the transaction appended an event. */
  private static final class Transaction {
    final Connection connection;
    boolean appendedEvent;

    Transaction(Connection connection) {
      this.connection = connection;
    }
  }

  /** A unique index or primary key rejected a write; callers tell which from the index name. */
  private static final class DuplicateKeyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    DuplicateKeyException(SQLException cause) {
      super("duplicate key", cause);
    }

    /** Returns the violation, for {@link SqlDialect#violationNames}. */
    SQLException sqlCause() {
      return (SQLException) getCause();
    }
  }
}
