package io.github.usergrpc.user.bench;

import io.github.usergrpc.user.server.UserServer;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.service.store.PageCursor;
import io.github.usergrpc.user.service.store.User;
import io.github.usergrpc.user.v1.ListUsersRequest;
import io.github.usergrpc.user.v1.ListUsersResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Pagination at depth: 1,000,000 users in PostgreSQL and in H2 (a file database, as the server's default),
 * loaded straight into the schema that the store's Flyway migration creates (users, one user.created event
 * each in activity, activity_counter at the last sequence, user_counts per role), then the latency of a
 * page of 20 at depth 0 and at depth 999,980, by keyset (the store's listAfter, what a page token decodes to) and by OFFSET (the
 * original page/limit), at the store and through the service (in-process gRPC, so the token is a real one).
 */
final class PaginationBench {

  private static final long EPOCH_MS = 1_735_689_600_000L;

  private record Case(String name, int warmup, int measured, Supplier<Object> call) {}

  /**
   * Runs before every call, untimed: a no-op write to users. H2 answers a re-run of the same query from its
   * last result while no table of the query has changed, which would time a cache; on a live server writes
   * keep coming.
   */
  private static Runnable invalidate;

  private PaginationBench() {}

  static void run(Args args) throws Exception {
    String loadBefore = Machine.loadAverage();
    int users = args.integer("users", 1_000_000);
    int rounds = args.integer("rounds", 3);
    int depth = users - 20;
    StringBuilder md = new StringBuilder("## Pagination at depth: 1,000,000 users\n\n");
    md.append("%HEADER%");
    md.append("- Data: ").append(String.format("%,d", users)).append(" users loaded (PostgreSQL: one `INSERT ... SELECT"
        + " FROM generate_series`; H2: JDBC batches of 10,000) into the schema of the store's Flyway migration, with their"
        + " `user.created` events in `activity`, `activity_counter` set to the last sequence and `user_counts` to"
        + " the users per role; three users"
        + " share each creation millisecond, so the keyset's id tie-break is exercised. PostgreSQL: database"
        + " `userbench_pages` on 127.0.0.1:5432, `VACUUM ANALYZE` after loading. H2: a file database in"
        + " `user-bench/target/pagination` (the server's default kind). The data is kept between runs.\n"
        + "- Each case: a page of 20 (the service asks the store for 21 to know whether a next page exists)."
        + " Latency is the median of the measured calls (after warm-up calls) of one round; the table shows"
        + " the median of ").append(rounds).append(" rounds with (min–max, n). Through the service: in-process"
        + " gRPC with the real service, so a deep page-token is obtained by paging there (1,000 pages of"
        + " 1,000) and then reused; a request without page_token is served by OFFSET 0 and also reads `total`"
        + " (from `user_counts`, kept by the writers, since the fix in §5 of the findings). Before every call"
        + " an untimed no-op write (`UPDATE users SET updated_at_ms = updated_at_ms WHERE id = ?`, one user)"
        + " keeps H2 from answering a repeated query from its result cache.\n\n");
    md.append("| database | case | latency ms |\n|---|---|---|\n");
    StringBuilder targets = new StringBuilder();
    for (String db : args.string("db", "postgres,h2").split(",", -1)) {
      Map<String, List<Double>> results = measure(db, users, depth, rounds, args.flag("reload"));
      results.forEach((name, values) -> md.append("| ").append(db.equals("h2") ? "H2 (file)" : "PostgreSQL 15")
          .append(" | ").append(name).append(" | ").append(Stats.spread(values, "%.3f")).append(" |\n"));
      List<Double> store = ratios(results.get("store: keyset (listAfter) at depth " + String.format("%,d", depth)),
          results.get("store: keyset (listAfter), first page"));
      List<Double> service = ratios(results.get("service: page_token at depth " + String.format("%,d", depth)),
          results.get("service: first page (no page_token)"));
      List<Double> offset = ratios(results.get("store: OFFSET " + String.format("%,d", depth)),
          results.get("store: OFFSET 0"));
      String name = db.equals("h2") ? "H2" : "PostgreSQL";
      targets.append("| ").append(name).append(": token page at depth ").append(String.format("%,d", depth))
          .append(" ≤ 2x the first page (store, keyset vs keyset) | ").append(Stats.spread(store, "%.2fx"))
          .append(" | ").append(Stats.median(store) <= 2 ? "yes" : "**no**").append(" |\n");
      targets.append("| ").append(name).append(": the same through the service (first page: OFFSET 0 + total) | ")
          .append(Stats.spread(service, "%.2fx")).append(" | ").append(Stats.median(service) <= 2 ? "yes" : "**no**")
          .append(" |\n");
      targets.append("| ").append(name).append(": for contrast, OFFSET ").append(String.format("%,d", depth))
          .append(" vs OFFSET 0 (store) | ").append(Stats.spread(offset, "%.0fx")).append(" | – |\n");
    }
    md.append("\nTargets (ratios of the same round; median with min–max):\n\n| target | measured | met? |\n|---|---|---|\n")
        .append(targets);
    String markdown = md.toString().replace("%HEADER%",
        Machine.header(args.string("command", "scripts/bench/pagination.sh"), loadBefore));
    BenchmarksFile.writeSection("pagination", markdown);
    System.out.println(markdown);
  }

  private static List<Double> ratios(List<Double> a, List<Double> b) {
    List<Double> ratios = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      ratios.add(a.get(i) / b.get(i));
    }
    return ratios;
  }

  private static Map<String, List<Double>> measure(String db, int users, int depth, int rounds, boolean reload)
      throws Exception {
    JdbcSettings settings;
    String bulkUrl;
    if (db.equals("h2")) {
      Path dir = BenchmarksFile.repositoryRoot().resolve("user-bench/target/pagination");
      Files.createDirectories(dir);
      String url = "jdbc:h2:file:" + dir.resolve("users-" + users);
      settings = JdbcSettings.newBuilder().setJdbcUrl(url).build();
      bulkUrl = url + ";DB_CLOSE_ON_EXIT=FALSE;LOCK_TIMEOUT=10000;MODE=PostgreSQL;WRITE_DELAY=0";
    } else {
      ensurePostgresDatabase();
      bulkUrl = "jdbc:postgresql://127.0.0.1:5432/userbench_pages";
      settings = JdbcSettings.newBuilder().setJdbcUrl(bulkUrl).setUser("postgres").build();
    }
    Map<String, List<Double>> results = new LinkedHashMap<>();
    try (JdbcUserStore store = JdbcUserStore.open(settings)) {
      Connection writer = DriverManager.getConnection(bulkUrl, settings.user(), settings.password());
      load(writer, db, users, reload);
      writer.setAutoCommit(true);
      String touched = store.listAfter(Optional.empty(), Optional.empty(), 1).get(0).id();
      java.sql.PreparedStatement touch = writer.prepareStatement(
          "UPDATE users SET updated_at_ms = updated_at_ms WHERE id = ?");
      touch.setString(1, touched);
      invalidate = () -> {
        try {
          touch.executeUpdate();
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
      };
      User atDepth = store.listByOffset(Optional.empty(), depth - 1, 1).get(0);
      PageCursor cursor = PageCursor.after(atDepth);
      String name = InProcessServerBuilder.generateName();
      UserServer server = UserServer.newBuilder(InProcessServerBuilder.forName(name).directExecutor())
          .setStore(store).build().start();
      ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
      try {
        UserServiceGrpc.UserServiceBlockingStub stub = UserServiceGrpc.newBlockingStub(channel);
        String token = tokenAtDepth(stub, depth);
        ListUsersRequest deepToken = ListUsersRequest.newBuilder().setLimit(20).setPageToken(token).build();
        ListUsersRequest first = ListUsersRequest.newBuilder().setLimit(20).build();
        ListUsersRequest deepOffset = ListUsersRequest.newBuilder().setLimit(20).setPage(depth / 20 + 1).build();
        check(stub.listUsers(deepToken).getUsers(0).getId().equals(store.listAfter(Optional.empty(),
            Optional.of(cursor), 1).get(0).id()), "the service's deep token page starts where the store's does");
        check(stub.listUsers(deepOffset).getUsers(0).getId().equals(stub.listUsers(deepToken).getUsers(0).getId()),
            "page " + (depth / 20 + 1) + " by OFFSET is the same page as by token");
        String d = String.format("%,d", depth);
        List<Case> cases = List.of(
            new Case("store: keyset (listAfter), first page", 50, 100,
                () -> store.listAfter(Optional.empty(), Optional.empty(), 21)),
            new Case("store: keyset (listAfter) at depth " + d, 50, 100,
                () -> store.listAfter(Optional.empty(), Optional.of(cursor), 21)),
            new Case("store: OFFSET 0", 50, 100, () -> store.listByOffset(Optional.empty(), 0, 21)),
            new Case("store: OFFSET " + d, 2, 7, () -> store.listByOffset(Optional.empty(), depth, 21)),
            new Case("service: first page (no page_token)", 10, 30, () -> stub.listUsers(first)),
            new Case("service: page_token at depth " + d, 50, 100, () -> stub.listUsers(deepToken)),
            new Case("service: page " + (depth / 20 + 1) + " of 20 (OFFSET " + d + ")", 2, 7,
                () -> stub.listUsers(deepOffset)));
        for (int round = 1; round <= rounds; round++) {
          for (Case c : cases) {
            double millis = medianMillis(c);
            results.computeIfAbsent(c.name(), k -> new ArrayList<>()).add(millis);
            System.out.printf("%s round %d %-45s %8.3f ms%n", db, round, c.name(), millis);
          }
        }
      } finally {
        channel.shutdownNow();
        server.close();
        writer.close();
      }
    }
    return results;
  }

  private static String tokenAtDepth(UserServiceGrpc.UserServiceBlockingStub stub, int depth) {
    String token = "";
    int seen = 0;
    while (seen < depth) {
      int limit = Math.min(1000, depth - seen);
      ListUsersResponse page = stub.listUsers(ListUsersRequest.newBuilder().setLimit(limit).setPageToken(token).build());
      seen += page.getUsersCount();
      token = page.getNextPageToken();
    }
    return token;
  }

  private static double medianMillis(Case c) {
    for (int i = 0; i < c.warmup(); i++) {
      invalidate.run();
      Object unused = c.call().get();
    }
    List<Double> millis = new ArrayList<>();
    for (int i = 0; i < c.measured(); i++) {
      invalidate.run();
      long start = System.nanoTime();
      Object result = c.call().get();
      millis.add((System.nanoTime() - start) / 1e6);
      if (result == null) {
        throw new IllegalStateException(c.name());
      }
    }
    return Stats.median(millis);
  }

  private static void check(boolean condition, String what) {
    if (!condition) {
      throw new IllegalStateException("check failed: " + what);
    }
  }

  private static void ensurePostgresDatabase() throws SQLException {
    try (Connection admin = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "");
        Statement statement = admin.createStatement();
        ResultSet rows = statement.executeQuery("SELECT 1 FROM pg_database WHERE datname = 'userbench_pages'")) {
      if (!rows.next()) {
        statement.execute("CREATE DATABASE userbench_pages");
      }
    }
  }

  /**
   * H2: JDBC batches of 10,000 rows, committed every 100,000 (one INSERT ... SELECT of a million rows makes
   * H2 hold the whole transaction and crawl). Users i = 1..n are created in order, so event i is user i's.
   */
  private static void loadWithBatches(Connection connection, int users) throws SQLException {
    try (java.sql.PreparedStatement user = connection.prepareStatement("INSERT INTO users (id, email, email_key,"
        + " name, role, created_at_ms, updated_at_ms, version) VALUES (?, ?, ?, ?, ?, ?, ?, 1)");
        java.sql.PreparedStatement event = connection.prepareStatement("INSERT INTO activity (sequence, user_id,"
            + " action, details, occurred_at_ms) VALUES (?, ?, 'user.created', 'email,name,role', ?)")) {
      for (int i = 1; i <= users; i++) {
        String id = java.util.UUID.randomUUID().toString();
        long created = EPOCH_MS + (i / 3) * 100L;
        user.setString(1, id);
        user.setString(2, "user" + i + "@example.com");
        user.setString(3, "user" + i + "@example.com");
        user.setString(4, "Bench User " + i);
        user.setString(5, i % 5 == 0 ? "admin" : "viewer");
        user.setLong(6, created);
        user.setLong(7, created);
        user.addBatch();
        event.setLong(1, i);
        event.setString(2, id);
        event.setLong(3, created);
        event.addBatch();
        if (i % 10_000 == 0 || i == users) {
          user.executeBatch();
          event.executeBatch();
        }
        if (i % 100_000 == 0 || i == users) {
          connection.commit();
        }
      }
    }
  }

  private static void load(Connection connection, String db, int users, boolean reload) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      long count;
      try (ResultSet rows = statement.executeQuery("SELECT COUNT(*) FROM users")) {
        rows.next();
        count = rows.getLong(1);
      }
      if (count == users && !reload) {
        System.out.printf("%s: %,d users already loaded%n", db, count);
        return;
      }
      long start = System.nanoTime();
      connection.setAutoCommit(false);
      for (String table : List.of("users", "activity", "create_requests", "user_counts")) {
        statement.execute("TRUNCATE TABLE " + table);
      }
      boolean h2 = db.equals("h2");
      if (h2) {
        loadWithBatches(connection, users);
      } else {
        String created = EPOCH_MS + " + (i / 3) * 100";
        statement.executeUpdate("INSERT INTO users (id, email, email_key, name, role, created_at_ms, updated_at_ms,"
            + " version) SELECT gen_random_uuid()::text, 'user' || i || '@example.com', 'user' || i || '@example.com',"
            + " 'Bench User ' || i, CASE WHEN MOD(i, 5) = 0 THEN 'admin' ELSE 'viewer' END, " + created + ", "
            + created + ", 1 FROM generate_series(1, " + users + ") AS s(i)");
        statement.executeUpdate("INSERT INTO activity (sequence, user_id, action, details, occurred_at_ms)"
            + " SELECT ROW_NUMBER() OVER (ORDER BY created_at_ms, id), id, 'user.created', 'email,name,role',"
            + " created_at_ms FROM users");
      }
      statement.executeUpdate("UPDATE activity_counter SET last_sequence = (SELECT COUNT(*) FROM activity) WHERE id = 1");
      statement.executeUpdate(
          "INSERT INTO user_counts (role, users) SELECT role, COUNT(*) FROM users GROUP BY role");
      connection.commit();
      connection.setAutoCommit(true);
      if (!h2) {
        statement.execute("VACUUM ANALYZE users");
        statement.execute("VACUUM ANALYZE activity");
      } else {
        statement.execute("ANALYZE");
      }
      System.out.printf("%s: loaded %,d users in %.1f s%n", db, users, (System.nanoTime() - start) / 1e9);
    }
  }
}
