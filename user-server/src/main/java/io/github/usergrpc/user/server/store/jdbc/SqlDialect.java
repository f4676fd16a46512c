package io.github.usergrpc.user.server.store.jdbc;

import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What differs between the databases {@link JdbcUserStore} runs on: the one place that names it. Everything
 * else (the statements, the schema in {@code db/migration}, the transactions) is shared.
 *
 * <ul>
 *   <li>The URL: the settings the store relies on, added unless the URL sets them.
 *   <li>The {@code ${id_collation}} placeholder of the migrations: ids compare byte-wise everywhere.
 *   <li>Row locks: {@code SELECT ... FOR UPDATE} on PostgreSQL and H2. SQLite has none and needs none: every
 *       write transaction begins IMMEDIATE, so it holds the database's one write lock from its first
 *       statement to its commit.
 *   <li>How transactions begin: PostgreSQL and H2 connections rest in a transaction (autocommit off). A SQLite
 *       connection rests in autocommit, because the driver begins the next IMMEDIATE transaction, and so takes
 *       the write lock, as soon as autocommit is off; a write transaction turns it off for its duration.
 *   <li>Writers: on SQLite and H2 one at a time ({@link WriteTurn}); on SQLite they would otherwise poll the database's
 *       lock with {@code busy_timeout}'s sleeps.
 *   <li>How a unique violation names the index it violated.
 *   <li>{@code UPDATE ... RETURNING}: PostgreSQL and SQLite (3.35+) have it, H2 has not.
 *   <li>RecordActivity and CreateUser as one statement each ({@link OneStatementWrites}): PostgreSQL, whose
 *       {@code WITH} may hold INSERTs and UPDATEs; H2 and SQLite run them as a transaction of several.
 *   <li>The migrations: SQLite's ALTER TABLE cannot change a primary key, so SQLite's V4 rebuilds the
 *       activity table; it and copies of V1 to V3 are in {@code db/migration-sqlite}.
 * </ul>
 */
enum SqlDialect {

  POSTGRESQL("jdbc:postgresql:") {
    @Override
    String idCollation() {
      return "COLLATE \"C\"";
    }

    @Override
    boolean oneStatementWrites() {
      return true;
    }
  },

  /**
   * H2, in MODE=PostgreSQL. WRITE_DELAY=0: every commit is written to the file before it returns, so an
   * acknowledged change survives a killed process. DB_CLOSE_ON_EXIT=FALSE: the store, not a JVM hook, closes
   * the database.
   *
   * <p>One writer at a time ({@link #singleWriter}): with concurrent write transactions on a file database,
   * H2 2.5.252 loses updates. Eight writers doing etag-guarded increments of one row through the store
   * ({@code SELECT ... FOR UPDATE}, then {@code UPDATE ... WHERE version = ?}) lost 1 to 10 of 200 increments
   * in 1 to 4 of every 40-150 rounds: writers read, locked and replaced a version that had already been
   * replaced, as if a committed change had been undone. Never on an in-memory database, never with one
   * writer at a time (H2FileConcurrencyTest). An embedded H2 is opened by one process, so the store can
   * serialize its writers; readers still run beside them.
   */
  H2("jdbc:h2:") {
    @Override
    String connectionUrl(String url) {
      return withSettings(url, ';', ';');
    }

    @Override
    Map<String, String> settings() {
      return Map.of("MODE", "PostgreSQL", "WRITE_DELAY", "0", "DB_CLOSE_ON_EXIT", "FALSE", "LOCK_TIMEOUT", "10000");
    }

    @Override
    boolean updateReturning() {
      return false;
    }

    @Override
    boolean singleWriter() {
      return true;
    }
  },

  /**
   * SQLite through xerial's driver, whose URL takes pragmas as query parameters, applied to every connection.
   * WAL: readers run beside the writer. synchronous=NORMAL: a commit is written to the WAL file before it
   * returns, so an acknowledged change survives a killed process (as on H2, which does not sync at commit
   * either); the WAL is synced at checkpoints, so a power loss or an OS crash may roll back the last commits
   * but never corrupts the file. FULL also syncs at every commit, which limits a writer to one commit per
   * disk flush (about 7 ms on the benchmark machine: 6x fewer writes than NORMAL, BENCHMARKS.md); a URL that
   * wants it says {@code synchronous=FULL}. transaction_mode=IMMEDIATE: a read-then-write transaction takes the write lock at its start; DEFERRED
   * upgrades at its first write and fails with SQLITE_BUSY when another connection wrote in between (539 of
   * 600 concurrent transactions did), which busy_timeout does not retry. busy_timeout: how long a writer of
   * another process (or the pruner) waits for the write lock. journal_size_limit: when SQLite's own
   * checkpoint (every 1,000 pages) restarts the WAL, it truncates the file to 4 MiB instead of keeping the
   * largest size it ever reached; {@link SqliteHousekeeping} keeps it smaller on a smaller database.
   */
  SQLITE("jdbc:sqlite:") {
    @Override
    String connectionUrl(String url) {
      return withSettings(url, '?', '&');
    }

    @Override
    Map<String, String> settings() {
      return Map.of("journal_mode", "WAL", "synchronous", "NORMAL", "busy_timeout", "10000",
          "foreign_keys", "true", "transaction_mode", "IMMEDIATE", "journal_size_limit", "4194304");
    }

    @Override
    String forUpdate() {
      return "";
    }

    @Override
    List<String> migrationLocations() {
      return List.of("classpath:db/migration-sqlite");
    }

    @Override
    boolean restsInAutocommit() {
      return true;
    }

    @Override
    boolean singleWriter() {
      return true;
    }

    @Override
    boolean violationNames(SQLException e, String index, String tableDotColumn) {
      // "[SQLITE_CONSTRAINT_UNIQUE] A UNIQUE constraint failed (UNIQUE constraint failed: users.email_key)"
      return e.getMessage() != null && e.getMessage().contains("constraint failed: " + tableDotColumn + ")");
    }
  };

  private final String urlPrefix;

  SqlDialect(String urlPrefix) {
    this.urlPrefix = urlPrefix;
  }

  /** Returns the dialect of a JDBC URL, or throws {@link IllegalArgumentException} naming the supported ones. */
  static SqlDialect of(String jdbcUrl) {
    for (SqlDialect dialect : values()) {
      if (jdbcUrl.startsWith(dialect.urlPrefix)) {
        return dialect;
      }
    }
    throw new IllegalArgumentException("jdbcUrl: " + jdbcUrl + " (expected: " + SQLITE.urlPrefix + "..., "
        + H2.urlPrefix + "... or " + POSTGRESQL.urlPrefix + "...)");
  }

  /** Returns the URL to connect with: {@code url} with the settings the store relies on that it lacks. */
  String connectionUrl(String url) {
    return url;
  }

  /**
   * Returns the settings, by name, that {@link #withSettings} adds to a URL that lacks them. A method, like the
   * dialects' other differences, not a field: a constant's fields should be of immutable types, and
   * {@code Map} does not say that it is one (Error Prone's ImmutableEnumChecker).
   */
  Map<String, String> settings() {
    return Map.of();
  }

  /** Returns the value of the migrations' {@code ${id_collation}}: what makes ids compare byte-wise. */
  String idCollation() {
    // H2 and SQLite (BINARY) compare that way already.
    return "";
  }

  /** Returns what follows a SELECT of a row the transaction is about to change. */
  String forUpdate() {
    return " FOR UPDATE";
  }

  /** Tells whether {@code UPDATE ... RETURNING} runs. */
  boolean updateReturning() {
    return true;
  }

  /** Tells whether RecordActivity and CreateUser run as one statement each: see {@link OneStatementWrites}. */
  boolean oneStatementWrites() {
    return false;
  }

  /** Returns the Flyway locations of the migrations. */
  List<String> migrationLocations() {
    return List.of("classpath:db/migration");
  }

  /** Tells whether pooled connections rest in autocommit, a write transaction turning it off while it runs. */
  boolean restsInAutocommit() {
    return false;
  }

  /** Tells whether the store lets one write transaction run at a time. */
  boolean singleWriter() {
    return false;
  }

  /**
   * Tells whether a unique violation is of the unique index {@code index} on {@code tableDotColumn}:
   * PostgreSQL and H2 name the index in their message, SQLite the column.
   */
  boolean violationNames(SQLException e, String index, String tableDotColumn) {
    return e.getMessage() != null && e.getMessage().toLowerCase(Locale.ROOT).contains(index);
  }

  /** Appends the settings {@code url} does not set (by case-insensitive name), in name order. */
  final String withSettings(String url, char first, char separator) {
    StringBuilder withSettings = new StringBuilder(url);
    String lowerCase = url.toLowerCase(Locale.ROOT);
    int query = url.indexOf(first);
    settings().entrySet().stream()
        .filter(setting -> {
          String name = setting.getKey().toLowerCase(Locale.ROOT) + "=";
          return query < 0 || !(lowerCase.indexOf(first + name, query) >= 0
              || lowerCase.indexOf(separator + name, query) >= 0);
        })
        .sorted(Map.Entry.comparingByKey())
        .forEach(setting -> withSettings
            .append(withSettings.indexOf(String.valueOf(first)) < 0 ? first : separator)
            .append(setting.getKey()).append('=').append(setting.getValue()));
    return withSettings.toString();
  }
}
