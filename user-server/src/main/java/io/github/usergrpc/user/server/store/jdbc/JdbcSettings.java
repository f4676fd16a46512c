package io.github.usergrpc.user.server.store.jdbc;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Where a {@link JdbcUserStore} finds its database and how large its connection pool is: an immutable
 * value. Create one with {@link #newBuilder()}, change one with {@link #toBuilder()}.
 *
 * <pre>{@code
 * JdbcSettings settings = JdbcSettings.newBuilder()
 *     .setJdbcUrl("jdbc:postgresql://db:5432/users")
 *     .setUser("users")
 *     .setPassword(password)
 *     .build();
 * }</pre>
 *
 * <p>{@link #toString()} never shows the password.
 */
public final class JdbcSettings {

  /** The JDBC URL used when none is set: an embedded H2 database in {@code ./data/users}. */
  public static final String DEFAULT_JDBC_URL = "jdbc:h2:file:./data/users";
  /** The user name used when none is set: H2's conventional administrator. */
  public static final String DEFAULT_USER = "sa";
  /** The password used when none is set: empty. */
  public static final String DEFAULT_PASSWORD = "";
  /** The most connections the pool opens when not set. */
  public static final int DEFAULT_MAXIMUM_POOL_SIZE = 10;
  /** How long a call waits for a connection when not set: short, so that a dead database fails fast. */
  public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(3);
  /** The shortest connection timeout HikariCP accepts. */
  public static final Duration MINIMUM_CONNECTION_TIMEOUT = Duration.ofMillis(250);
  /** How long activity events are kept when not set. */
  public static final Duration DEFAULT_ACTIVITY_RETENTION = Duration.ofDays(7);
  /** The shortest activity retention accepted. */
  public static final Duration MINIMUM_ACTIVITY_RETENTION = Duration.ofSeconds(1);

  private final String jdbcUrl;
  private final String user;
  private final String password;
  private final int maximumPoolSize;
  private final Duration connectionTimeout;
  private final Duration activityRetention;
  private final boolean activityOutbox;
  private final boolean activityNotifications;

  private JdbcSettings(Builder builder) {
    this.jdbcUrl = builder.jdbcUrl;
    this.user = builder.user;
    this.password = builder.password;
    this.maximumPoolSize = builder.maximumPoolSize;
    this.connectionTimeout = builder.connectionTimeout;
    this.activityRetention = builder.activityRetention;
    this.activityOutbox = builder.activityOutbox;
    this.activityNotifications = builder.activityNotifications;
  }

  /** Returns a builder with every setting at its default. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** Returns a builder that starts from these settings. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * Returns the JDBC URL: {@code jdbc:sqlite:...}, {@code jdbc:h2:...} or {@code jdbc:postgresql:...}. Defaults to
   * {@value #DEFAULT_JDBC_URL}.
   */
  public String jdbcUrl() {
    return jdbcUrl;
  }

  /** Returns the database user. Defaults to {@value #DEFAULT_USER}. */
  public String user() {
    return user;
  }

  /** Returns the database password. Defaults to empty. */
  public String password() {
    return password;
  }

  /** Returns the most connections the pool opens. Defaults to {@value #DEFAULT_MAXIMUM_POOL_SIZE}. */
  public int maximumPoolSize() {
    return maximumPoolSize;
  }

  /**
   * Returns how long a call waits for a pooled connection before it fails with
   * {@link io.github.usergrpc.user.service.store.StoreUnavailableException}. Defaults to 3 seconds.
   */
  public Duration connectionTimeout() {
    return connectionTimeout;
  }

  /**
   * Returns how long the activity log keeps an event, by the time it occurred: older events are deleted
   * in the background, and a watch cannot resume from before them. RecordActivity request ids are kept
   * with their events. Defaults to 7 days.
   */
  public Duration activityRetention() {
    return activityRetention;
  }

  /**
   * Returns whether the events of CreateUser, UpdateUser and DeleteUser go to the outbox table
   * ({@link JdbcUserStore#outbox()}), for a relay to an activity log outside the database, instead of to the
   * store's own activity log. Defaults to false.
   */
  public boolean activityOutbox() {
    return activityOutbox;
  }

  /**
   * Returns whether the servers of a PostgreSQL store wake each other when they commit activity, with
   * LISTEN/NOTIFY, so that a watcher on one server receives an event committed through another at once instead
   * of at the next poll. Only on PostgreSQL, and not with {@link #activityOutbox()}. Defaults to true.
   */
  public boolean activityNotifications() {
    return activityNotifications;
  }

  /** Returns the database the URL names. */
  SqlDialect dialect() {
    return SqlDialect.of(jdbcUrl);
  }

  @Override
  public String toString() {
    return "JdbcSettings{jdbcUrl=" + jdbcUrl + ", user=" + user + ", maximumPoolSize=" + maximumPoolSize
        + ", connectionTimeout=" + connectionTimeout + ", activityRetention=" + activityRetention
        + ", activityOutbox=" + activityOutbox + ", activityNotifications=" + activityNotifications + "}";
  }

  /** Builds {@link JdbcSettings}. Not thread-safe. */
  public static final class Builder {

    private String jdbcUrl = DEFAULT_JDBC_URL;
    private String user = DEFAULT_USER;
    private String password = DEFAULT_PASSWORD;
    private int maximumPoolSize = DEFAULT_MAXIMUM_POOL_SIZE;
    private Duration connectionTimeout = DEFAULT_CONNECTION_TIMEOUT;
    private Duration activityRetention = DEFAULT_ACTIVITY_RETENTION;
    private boolean activityOutbox;
    private boolean activityNotifications = true;

    private Builder() {}

    private Builder(JdbcSettings settings) {
      this.jdbcUrl = settings.jdbcUrl;
      this.user = settings.user;
      this.password = settings.password;
      this.maximumPoolSize = settings.maximumPoolSize;
      this.connectionTimeout = settings.connectionTimeout;
      this.activityRetention = settings.activityRetention;
      this.activityOutbox = settings.activityOutbox;
      this.activityNotifications = settings.activityNotifications;
    }

    /**
     * Sets the JDBC URL. Supported: {@code jdbc:postgresql://host:port/database}, an embedded SQLite
     * {@code jdbc:sqlite:<file>}, an embedded H2 {@code jdbc:h2:file:<path>} and an in-memory
     * {@code jdbc:h2:mem:<name>}. The store adds to a SQLite URL the pragmas it relies on, unless the URL sets
     * them itself: {@code journal_mode=WAL}, {@code synchronous=NORMAL} (every commit is in the WAL file
     * before it returns, so it survives a killed process; {@code synchronous=FULL} also syncs it to the disk,
     * surviving a power loss, at one commit per disk flush), {@code transaction_mode=IMMEDIATE} (a write transaction takes the database's write
     * lock when it begins), {@code busy_timeout=10000}, {@code foreign_keys=true} and
     * {@code journal_size_limit=4194304} (a WAL restarted by SQLite's checkpoint is cut back to 4 MiB); the
     * store also keeps the WAL no larger than the database file (at least 512 KiB) and returns free pages to
     * the file system (README, "Embedded store"). It adds to an H2 URL the settings it relies on, unless the
     * URL sets them itself: {@code MODE=PostgreSQL}, {@code WRITE_DELAY=0} (every commit is written to the file before it returns, so an acknowledged
     * change survives a killed process), {@code DB_CLOSE_ON_EXIT=FALSE} (the store, not a JVM hook, closes
     * the database) and {@code LOCK_TIMEOUT=10000}. If not called, defaults to {@value #DEFAULT_JDBC_URL}.
     *
     * @param jdbcUrl the URL
     * @return this
     * @throws IllegalArgumentException if the URL names neither SQLite, H2 nor PostgreSQL, or an in-memory
     *     SQLite database (each pooled connection would have its own)
     */
    public Builder setJdbcUrl(String jdbcUrl) {
      requireNonNull(jdbcUrl, "jdbcUrl");
      if (SqlDialect.of(jdbcUrl) == SqlDialect.SQLITE
          && (jdbcUrl.contains(":memory:") || jdbcUrl.toLowerCase(java.util.Locale.ROOT).contains("mode=memory")
              || jdbcUrl.equals("jdbc:sqlite:"))) {
        throw new IllegalArgumentException("jdbcUrl: " + jdbcUrl + " (expected: a SQLite database file)");
      }
      this.jdbcUrl = jdbcUrl;
      return this;
    }

    /**
     * Sets the database user. If not called, defaults to {@value #DEFAULT_USER}.
     *
     * @param user the user name
     * @return this
     */
    public Builder setUser(String user) {
      this.user = requireNonNull(user, "user");
      return this;
    }

    /**
     * Sets the database password. If not called, defaults to empty.
     *
     * @param password the password
     * @return this
     */
    public Builder setPassword(String password) {
      this.password = requireNonNull(password, "password");
      return this;
    }

    /**
     * Sets the most connections the pool opens; the pool keeps that many open. If not called, defaults to
     * {@value #DEFAULT_MAXIMUM_POOL_SIZE}.
     *
     * @param maximumPoolSize the pool size, at least 1
     * @return this
     * @throws IllegalArgumentException if {@code maximumPoolSize} is less than 1
     */
    public Builder setMaximumPoolSize(int maximumPoolSize) {
      if (maximumPoolSize < 1) {
        throw new IllegalArgumentException("maximumPoolSize: " + maximumPoolSize + " (expected: >= 1)");
      }
      this.maximumPoolSize = maximumPoolSize;
      return this;
    }

    /**
     * Sets how long a call waits for a pooled connection before it fails with
     * {@link io.github.usergrpc.user.service.store.StoreUnavailableException}: while the database is down,
     * every call takes this long to fail. If not called, defaults to 3 seconds.
     *
     * @param connectionTimeout the timeout, at least 250 ms
     * @return this
     * @throws IllegalArgumentException if {@code connectionTimeout} is shorter than 250 ms
     */
    public Builder setConnectionTimeout(Duration connectionTimeout) {
      requireNonNull(connectionTimeout, "connectionTimeout");
      if (connectionTimeout.compareTo(MINIMUM_CONNECTION_TIMEOUT) < 0) {
        throw new IllegalArgumentException(
            "connectionTimeout: " + connectionTimeout + " (expected: >= " + MINIMUM_CONNECTION_TIMEOUT + ")");
      }
      this.connectionTimeout = connectionTimeout;
      return this;
    }

    /**
     * Sets how long the activity log keeps an event, by the time it occurred. Older events are deleted in
     * the background, in small batches; a watch asking to resume from before the oldest kept event fails
     * with OUT_OF_RANGE (RESUME_POINT_EXPIRED). RecordActivity request ids are kept with their events, so a
     * retention under 24 hours also forgets them sooner. CreateUser request ids are kept 24 hours
     * regardless. If not called, defaults to 7 days.
     *
     * @param activityRetention the retention, at least 1 second
     * @return this
     * @throws IllegalArgumentException if {@code activityRetention} is shorter than 1 second
     */
    public Builder setActivityRetention(Duration activityRetention) {
      requireNonNull(activityRetention, "activityRetention");
      if (activityRetention.compareTo(MINIMUM_ACTIVITY_RETENTION) < 0) {
        throw new IllegalArgumentException(
            "activityRetention: " + activityRetention + " (expected: >= " + MINIMUM_ACTIVITY_RETENTION + ")");
      }
      this.activityRetention = activityRetention;
      return this;
    }

    /**
     * Sets whether the events of CreateUser, UpdateUser and DeleteUser are written to the outbox table, in the
     * transaction of their change, instead of to the store's activity log: for a store whose activity log is
     * elsewhere (NATS JetStream), which takes them from {@link JdbcUserStore#outbox()}. The store's own
     * activity methods then see none of them. If not called, defaults to false.
     *
     * @param activityOutbox true for the outbox
     * @return this
     */
    public Builder setActivityOutbox(boolean activityOutbox) {
      this.activityOutbox = activityOutbox;
      return this;
    }

    /**
     * Sets whether the servers of a PostgreSQL store wake each other when they commit activity: each server
     * LISTENs on a channel of the store on a session of its own, and after every commit that appended an event
     * (never inside it) a thread of its own sends a NOTIFY naming the event's user, so that the others read that
     * user's new events at once. A wake-up only: the events are read from the activity table as before, and
     * servers still poll it as a backstop. Each server holds two more connections, outside the pool. Ignored on
     * SQLite and H2 (one process) and with {@link #setActivityOutbox} (the activity log outside the database
     * delivers events itself). If not called, defaults to true.
     *
     * @param activityNotifications false to rely on polling alone
     * @return this
     */
    public Builder setActivityNotifications(boolean activityNotifications) {
      this.activityNotifications = activityNotifications;
      return this;
    }

    /** Returns the settings. */
    public JdbcSettings build() {
      return new JdbcSettings(this);
    }
  }
}
