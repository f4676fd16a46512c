package io.github.usergrpc.user.bench;

import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.UpdateUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.github.usergrpc.user.v1.WatchRequest;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStreamApiException;
import io.nats.client.MessageConsumer;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.OrderedConsumerConfiguration;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * Where the time of a cross-replica UpdateUser-to-event goes (issue 18), on JetStream or with LISTEN/NOTIFY,
 * stage by stage, for server builds and JVM flags compared side by side in one run. Not a recorded benchmark: a
 * diagnostic, run at a low rate so that the stages, not the queueing, show.
 *
 * <p>Per round and variant: three {@code user-server.jar} replicas on a new schema and stream, {@code watchers}
 * users each watched on replica {@code i % 3}, updates at {@code rate}/s through the next replica. The bench
 * JVM timestamps each update (one clock, {@link System#nanoTime}): sent; seen on NATS by a core subscription
 * to the stream's subjects (the publish reached NATS: the writing replica's gRPC, transaction, outbox read and
 * publish); delivered by JetStream to an ordered consumer of the bench's own (stored and delivered by the
 * stream); the UpdateUser response; the watcher's event (the watching replica and gRPC). Beside the updates, at
 * their rate, probes time what the writing replica's database transaction and JetStream publish cost alone
 * ({@link Probes}). Also the replicas' CPU time, idle with the watches open and per update. With {@code --gc},
 * the replicas log GC pauses ({@code -Xlog:gc}) and those of the measured updates are summarized.
 *
 * <p>{@code --modes jetstream,notify} runs each variant also with the activity in the database (the replicas'
 * default), where they wake each other with LISTEN/NOTIFY: there, instead of the NATS stages, a LISTEN session
 * of the bench's own on the replicas' channel marks when a NOTIFY names the user ({@link NotifyStage}).
 *
 * <p>Run: {@code java -cp user-bench/target/classes:$(cat user-bench/target/classpath.txt)
 * io.github.usergrpc.user.bench.LatencyStages --variant before=/tmp/base/user-server.jar
 * --variant2 after=user-server/target/user-server.jar --rounds 2 --updates 400 --rate 20 --gc
 * --modes jetstream,notify}; a variant is
 * {@code label=jar} or {@code label=jar|jvm flags separated by spaces}; the jar's file name must be
 * {@code user-server.jar} ({@link ServerProcess} then waits for its start line).
 */
final class LatencyStages {

  private static final int REPLICAS = 3;
  /** Updates per second while warming up: the JITs compile by call counts, which the measured rate is too low for. */
  private static final int WARM_UP_RATE = 300;
  /** The activity on JetStream ({@code --activity}). */
  private static final String JETSTREAM = "jetstream";
  /** The activity in the database, the replicas waking each other with LISTEN/NOTIFY (the default). */
  private static final String NOTIFY = "notify";
  /** How a replica names its LISTEN session in {@code pg_stat_activity}: this, then the channel. */
  private static final String LISTENER_SESSION_PREFIX = "user-store listener ";

  private final Path root = BenchmarksFile.repositoryRoot();
  private final Path work = root.resolve("user-bench/target/latency-stages");
  private final String database = "stages_" + ProcessHandle.current().pid();
  private final String nats;
  private final int watchers;
  private final int updates;
  private final int rate;
  private final boolean gc;
  private final List<String> modes;
  private int runs;

  private LatencyStages(Args args) {
    nats = args.string("nats", "nats://127.0.0.1:4222");
    watchers = args.integer("watchers", 1_000);
    updates = args.integer("updates", 400);
    rate = args.integer("rate", 20);
    gc = args.flag("gc");
    modes = List.of(args.string("modes", JETSTREAM).split(","));
    for (String mode : modes) {
      if (!mode.equals(JETSTREAM) && !mode.equals(NOTIFY)) {
        throw new IllegalArgumentException("--modes: " + mode + " (expected: " + JETSTREAM + ", " + NOTIFY + ")");
      }
    }
  }

  public static void main(String[] argv) throws Exception {
    Args args = new Args(argv, 0);
    List<String[]> variants = new ArrayList<>();
    for (String key : List.of("variant", "variant2", "variant3", "variant4")) {
      String spec = args.string(key, "");
      if (!spec.isEmpty()) {
        int equals = spec.indexOf('=');
        String[] jarAndFlags = spec.substring(equals + 1).split("\\|", 2);
        variants.add(new String[] {spec.substring(0, equals), jarAndFlags[0],
            jarAndFlags.length > 1 ? jarAndFlags[1] : ""});
      }
    }
    new LatencyStages(args).run(variants, args.integer("rounds", 2));
    System.exit(0);
  }

  private void run(List<String[]> variants, int rounds) throws Exception {
    Files.createDirectories(work);
    LoadBench.psql("postgres", "CREATE DATABASE " + database);
    Map<String, Map<String, Histogram>> all = new LinkedHashMap<>();
    try {
      for (int round = 1; round <= rounds; round++) {
        for (String[] variant : variants) {
          for (String mode : modes) {
            Map<String, Histogram> stages = round(variant, mode, round);
            Map<String, Histogram> sum = all.computeIfAbsent(variant[0] + "/" + mode, k -> new LinkedHashMap<>());
            stages.forEach((stage, histogram) -> sum.computeIfAbsent(stage, k -> newHistogram()).add(histogram));
          }
        }
      }
    } finally {
      LoadBench.psql("postgres", "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    }
    System.out.println("\n== all rounds (load " + Machine.loadAverage() + ")");
    all.forEach((label, stages) -> print(label, stages));
  }

  private static Histogram newHistogram() {
    return new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
  }

  private Map<String, Histogram> round(String[] variant, String mode, int round) throws Exception {
    int run = ++runs;
    String schema = "run" + run;
    LoadBench.psql(database, "CREATE SCHEMA " + schema);
    String stream = "STAGES_" + ProcessHandle.current().pid() + "_" + run;
    String prefix = stream.toLowerCase(Locale.ROOT);
    String java = ServerProcess.jdkTool("java");
    List<ServerProcess> replicas = new ArrayList<>();
    List<ManagedChannel> channels = new ArrayList<>();
    List<Path> gcLogs = new ArrayList<>();
    try (Connection connection = Nats.connect(new Options.Builder().server(nats).build())) {
      for (int r = 0; r < REPLICAS; r++) {
        int port = ServerProcess.freePort();
        String name = variant[0] + "-" + mode + "-" + round + "-replica" + r;
        List<String> server = new ArrayList<>(List.of(java));
        if (!variant[2].isBlank()) {
          server.addAll(Arrays.asList(variant[2].trim().split(" +")));
        }
        if (gc) {
          Path gcLog = work.resolve(name + "-gc.log");
          Files.deleteIfExists(gcLog);
          gcLogs.add(gcLog);
          server.add(GcPauses.jvmFlag(gcLog));
        }
        server.addAll(List.of("-jar", variant[1], "--port", Integer.toString(port), "--store",
            "jdbc:postgresql://127.0.0.1:5432/" + database + "?currentSchema=" + schema, "--db-user", "postgres"));
        if (mode.equals(JETSTREAM)) {
          server.addAll(List.of("--activity", nats, "--activity-stream", stream));
        }
        replicas.add(ServerProcess.start(name, "", server, port, work));
        channels.add(Calls.channelBuilder(port).build());
      }
      List<UserResponse> users = createUsers(channels, watchers);
      Stages stages = new Stages();
      for (int i = 0; i < watchers; i++) {
        stages.watch(channels.get(i % REPLICAS), users.get(i).getId());
      }
      stages.awaitStarted(Duration.ofMinutes(3));
      MessageConsumer ordered = null;
      NotifyStage notified = null;
      if (mode.equals(JETSTREAM)) {
        Dispatcher dispatcher = connection.createDispatcher();
        dispatcher.subscribe(prefix + ".>", message -> stages.mark(Stages.NATS, userOf(message.getSubject())));
        ordered = connection.jetStream().getStreamContext(stream)
            .createOrderedConsumer(new OrderedConsumerConfiguration().filterSubject(prefix + ".>"))
            .consume(message -> stages.mark(Stages.JETSTREAM, userOf(message.getSubject())));
      } else {
        notified = new NotifyStage(database, schema, stages);
      }
      // Warm-up, unmeasured, until the JITs are quiet (as in ScaleOutBench), then measured.
      JitQuiet.WarmUp warmUp = JitQuiet.warmUp(JitQuiet.withThisJvm(replicas), Duration.ofSeconds(20), Duration.ofSeconds(120),
          length -> stages.update(channels, users, (int) (length.toMillis() * WARM_UP_RATE / 1000), WARM_UP_RATE));
      System.out.println("  " + variant[0] + "/" + mode + " round " + round + ": " + warmUp);
      stages.reset();
      long idleCpu = cpuMillis(replicas);
      Thread.sleep(5_000);
      idleCpu = cpuMillis(replicas) - idleCpu;
      long gcFrom = System.currentTimeMillis();
      long busyCpu = cpuMillis(replicas);
      ProcessCpu cpu = ProcessCpu.ofRun(replicas, database);
      GcPauses.Recorder benchPauses = GcPauses.recordHere();
      cpu.start();
      Probes probes = new Probes(database, schema, mode, connection, prefix + ".probe", users.get(0).getId(), rate);
      stages.update(channels, users, updates, rate);
      probes.stop();
      String cpuReport = cpu.report();
      GcPauses benchGc = benchPauses.stop();
      long gcTo = System.currentTimeMillis();
      busyCpu = cpuMillis(replicas) - busyCpu;
      if (ordered != null) {
        ordered.close();
      }
      if (notified != null) {
        notified.stop();
      }
      Map<String, Histogram> result = stages.histograms();
      result.putAll(probes.histograms);
      String label = variant[0] + "/" + mode;
      System.out.printf("%n== %s round %d (load %s; undelivered %d, errors %d)%n", label, round,
          Machine.loadAverage(), stages.undelivered(), stages.errors.get());
      print(label, result);
      System.out.printf(Locale.ROOT, "  replicas' CPU: idle (1,000 watches, no updates) %.0f ms/s; measured"
          + " updates %.2f ms per update%n", idleCpu / 5.0, (double) busyCpu / updates);
      System.out.println("  CPU over the measured updates: " + cpuReport);
      if (gc) {
        for (Path log : gcLogs) {
          System.out.println("  gc " + log.getFileName() + " " + GcPauses.fromLog(log, gcFrom, gcTo).summary());
        }
      }
      System.out.println("  gc " + benchGc.summary());
      stages.cancel();
      return result;
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
      replicas.forEach(ServerProcess::close);
      if (mode.equals(JETSTREAM)) {
        deleteStream(stream);
      }
    }
  }

  /** Creates users 16 at a time, each tried again on failure (fresh replicas on a loaded machine time out). */
  private static List<UserResponse> createUsers(List<ManagedChannel> channels, int count) throws Exception {
    String prefix = "stages-" + System.nanoTime();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(16);
    try {
      List<java.util.concurrent.Future<UserResponse>> created = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        int index = i;
        String requestId = java.util.UUID.randomUUID().toString();
        created.add(pool.submit(() -> {
          for (int attempt = 1; ; attempt++) {
            try {
              return UserServiceGrpc.newBlockingStub(channels.get(index % channels.size()))
                  .withDeadlineAfter(30, TimeUnit.SECONDS)
                  .createUser(io.github.usergrpc.user.v1.CreateUserRequest.newBuilder()
                      .setEmail(prefix + "-" + index + "@example.com").setName("Stage User " + index)
                      .setRole("viewer").setRequestId(requestId).build());
            } catch (io.grpc.StatusRuntimeException e) {
              if (attempt == 5) {
                throw e;
              }
              Thread.sleep(500);
            }
          }
        }));
      }
      List<UserResponse> users = new ArrayList<>();
      for (java.util.concurrent.Future<UserResponse> user : created) {
        users.add(user.get());
      }
      return users;
    } finally {
      pool.shutdownNow();
    }
  }

  private static long cpuMillis(List<ServerProcess> replicas) {
    long sum = 0;
    for (ServerProcess replica : replicas) {
      sum += ProcessHandle.of(replica.pid()).flatMap(h -> h.info().totalCpuDuration())
          .map(Duration::toMillis).orElse(0L);
    }
    return sum;
  }

  /** Returns the user whose subject it is, or "" for the probes' subject (not base64url of a user id). */
  private static String userOf(String subject) {
    try {
      return new String(Base64.getUrlDecoder().decode(subject.substring(subject.lastIndexOf('.') + 1)),
          StandardCharsets.UTF_8);
    } catch (IllegalArgumentException probe) {
      return "";
    }
  }

  private static void print(String label, Map<String, Histogram> stages) {
    System.out.printf(Locale.ROOT, "%-18s %-34s %6s %8s %8s %8s %8s%n", label, "stage (ms)", "n", "p50", "p90",
        "p99", "max");
    stages.forEach((stage, h) -> {
      if (h.getTotalCount() > 0) {
        System.out.printf(Locale.ROOT, "%-18s %-34s %6d %8.2f %8.2f %8.2f %8.2f%n", label, stage,
            h.getTotalCount(), h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(90) / 1e6,
            h.getValueAtPercentile(99) / 1e6, h.getMaxValue() / 1e6);
      }
    });
  }

  private void deleteStream(String stream) {
    try (Connection connection = Nats.connect(new Options.Builder().server(nats).build())) {
      connection.jetStreamManagement().deleteStream(stream);
    } catch (IOException | JetStreamApiException | InterruptedException e) {
      System.out.println("the stream " + stream + " was not deleted: " + e);
    }
  }

  /**
   * What the replicas' external steps cost alone, at the updates' rate beside them, from the bench JVM, on the
   * run's database: a transaction like UpdateUser's (lock a row, update it, insert a row, commit); in the
   * JetStream mode, the read of a user's pending outbox rows and a JetStream publish with a message id to the
   * run's stream (acknowledged once stored); in the NOTIFY mode, a {@code pg_notify} on a session of its own
   * with {@code synchronous_commit} on and off in turn (the round trip, and until a LISTEN session heard it),
   * and the read of a user's events after a sequence as the store makes it (events, then the user's head).
   */
  private static final class Probes {
    final Map<String, Histogram> histograms = new LinkedHashMap<>();
    private final Thread thread;
    private volatile boolean running = true;

    Probes(String database, String schema, String mode, Connection nats, String subject, String userId,
        int perSecond) throws Exception {
      String url = "jdbc:postgresql://127.0.0.1:5432/" + database + "?currentSchema=" + schema;
      java.sql.Connection db = java.sql.DriverManager.getConnection(url, "postgres", "");
      java.sql.Connection reads = java.sql.DriverManager.getConnection(url, "postgres", "");
      java.sql.Connection notifySync = java.sql.DriverManager.getConnection(url, "postgres", "");
      java.sql.Connection notifyAsync = java.sql.DriverManager.getConnection(url, "postgres", "");
      java.sql.Connection listener = java.sql.DriverManager.getConnection(url, "postgres", "");
      String channel = "stages_probe_" + ProcessHandle.current().pid();
      try (java.sql.Statement ddl = db.createStatement()) {
        ddl.execute("CREATE TABLE probe_row (id int PRIMARY KEY, v bigint NOT NULL)");
        ddl.execute("CREATE TABLE probe_log (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v bigint)");
        ddl.execute("INSERT INTO probe_row VALUES (1, 0)");
      }
      try (java.sql.Statement set = notifyAsync.createStatement()) {
        set.execute("SET synchronous_commit = off");
      }
      try (java.sql.Statement listen = listener.createStatement()) {
        listen.execute("LISTEN " + channel);
      }
      db.setAutoCommit(false);
      boolean jetStreamMode = mode.equals(JETSTREAM);
      Histogram transaction = probe("probe: db transaction");
      Histogram outboxRead = jetStreamMode ? probe("probe: outbox read") : null;
      Histogram publish = jetStreamMode ? probe("probe: jetstream publish") : null;
      Histogram[] notify = jetStreamMode ? null
          : new Histogram[] {probe("probe: pg_notify, sync commit on"), probe("probe: pg_notify, sync commit off")};
      Histogram[] heard = jetStreamMode ? null
          : new Histogram[] {probe("probe: notify heard, sync commit on"),
              probe("probe: notify heard, sync commit off")};
      Histogram activityRead = jetStreamMode ? null : probe("probe: activity read (2 statements)");
      io.nats.client.JetStream jetStream = nats.jetStream();
      org.postgresql.PGConnection listening = listener.unwrap(org.postgresql.PGConnection.class);
      long period = TimeUnit.SECONDS.toNanos(1) / perSecond;
      thread = new Thread(() -> {
        long n = 0;
        try (db; reads; notifySync; notifyAsync; listener) {
          while (running) {
            long start = System.nanoTime();
            try (java.sql.PreparedStatement lock = db.prepareStatement("SELECT v FROM probe_row WHERE id = 1 FOR UPDATE");
                java.sql.PreparedStatement update = db.prepareStatement("UPDATE probe_row SET v = v + 1 WHERE id = 1");
                java.sql.PreparedStatement insert = db.prepareStatement("INSERT INTO probe_log (v) VALUES (?)")) {
              lock.executeQuery().close();
              update.executeUpdate();
              insert.setLong(1, n);
              insert.executeUpdate();
              db.commit();
            }
            long committed = System.nanoTime();
            transaction.recordValue(committed - start);
            if (jetStreamMode) {
              try (java.sql.PreparedStatement select = reads.prepareStatement("SELECT id, user_id, action, details,"
                  + " occurred_at_ms FROM activity_outbox WHERE user_id = ? ORDER BY id")) {
                select.setString(1, userId);
                select.executeQuery().close();
              }
              long read = System.nanoTime();
              outboxRead.recordValue(read - committed);
              jetStream.publish(subject, new byte[64],
                  io.nats.client.PublishOptions.builder().messageId("probe-" + n).build());
              publish.recordValue(System.nanoTime() - read);
            } else {
              int async = (int) (n % 2);
              long sending = System.nanoTime();
              try (java.sql.PreparedStatement send = (async == 1 ? notifyAsync : notifySync)
                  .prepareStatement("SELECT pg_notify(?, ?)")) {
                send.setString(1, channel);
                send.setString(2, Long.toString(n));
                send.execute();
              }
              notify[async].recordValue(System.nanoTime() - sending);
              org.postgresql.PGNotification[] got = listening.getNotifications(1_000);
              if (got != null && got.length > 0) {
                heard[async].recordValue(System.nanoTime() - sending);
              }
              long reading = System.nanoTime();
              try (java.sql.PreparedStatement events = reads.prepareStatement("SELECT sequence, user_id, action,"
                  + " details, occurred_at_ms FROM activity WHERE user_id = ? AND sequence > ? ORDER BY sequence"
                  + " LIMIT ?");
                  java.sql.PreparedStatement head = reads.prepareStatement(
                      "SELECT pruned_up_to FROM activity_heads WHERE user_id = ?")) {
                events.setString(1, userId);
                events.setLong(2, Long.MAX_VALUE - 1);
                events.setInt(3, 100);
                events.executeQuery().close();
                head.setString(1, userId);
                head.executeQuery().close();
              }
              activityRead.recordValue(System.nanoTime() - reading);
            }
            n++;
            LockSupport.parkNanos(Math.max(0, start + period - System.nanoTime()));
          }
        } catch (Exception e) {
          System.out.println("probe failed: " + e);
        }
      }, "probes");
      thread.start();
    }

    private Histogram probe(String name) {
      Histogram histogram = newHistogram();
      histograms.put(name, histogram);
      return histogram;
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join();
    }
  }

  /**
   * The NOTIFY mode's middle stage: a LISTEN session of the bench's own on the replicas' channel (named in
   * {@code pg_stat_activity} by their listener sessions) marks each user that a NOTIFY names, as the replicas'
   * listeners hear it: the writing replica's gRPC, transaction, commit and notifier, and PostgreSQL's delivery.
   */
  private static final class NotifyStage {
    private final Thread thread;
    private volatile boolean running = true;

    NotifyStage(String database, String schema, Stages stages) throws Exception {
      java.sql.Connection session = java.sql.DriverManager.getConnection(
          "jdbc:postgresql://127.0.0.1:5432/" + database + "?currentSchema=" + schema, "postgres", "");
      String channel = "";
      try (java.sql.PreparedStatement select = session.prepareStatement("SELECT application_name FROM"
          + " pg_stat_activity WHERE datname = ? AND application_name LIKE ? LIMIT 1")) {
        select.setString(1, database);
        select.setString(2, LISTENER_SESSION_PREFIX + "%");
        try (java.sql.ResultSet rows = select.executeQuery()) {
          if (rows.next()) {
            channel = rows.getString(1).substring(LISTENER_SESSION_PREFIX.length());
          }
        }
      }
      if (!channel.matches("[a-z0-9_]+")) {
        session.close();
        throw new IllegalStateException("no replica listens on a channel of " + database);
      }
      try (java.sql.Statement listen = session.createStatement()) {
        listen.execute("LISTEN " + channel);
      }
      org.postgresql.PGConnection listening = session.unwrap(org.postgresql.PGConnection.class);
      thread = new Thread(() -> {
        try (session) {
          while (running) {
            org.postgresql.PGNotification[] got = listening.getNotifications(200);
            if (got != null) {
              for (org.postgresql.PGNotification notification : got) {
                // The sender's origin, then one user id a line.
                List<String> lines = List.of(notification.getParameter().split("\n"));
                for (String userId : lines.subList(1, lines.size())) {
                  stages.mark(Stages.NOTIFIED, userId);
                }
              }
            }
          }
        } catch (java.sql.SQLException e) {
          System.out.println("notify stage failed: " + e);
        }
      }, "notify-stage");
      thread.start();
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join();
    }
  }

  /** Timestamps of the outstanding update of each user; one update per user at a time. */
  private static final class Stages {
    static final int SENT = 0;
    static final int NATS = 1;
    static final int JETSTREAM = 2;
    static final int RESPONSE = 3;
    static final int EVENT = 4;
    static final int NOTIFIED = 5;
    static final String[] NAMES = {"sent", "nats", "jetstream", "response", "event", "notified"};

    final Map<String, long[]> times = new ConcurrentHashMap<>();
    final List<long[]> done = new ArrayList<>();
    final List<ClientCall<WatchRequest, ActivityEvent>> calls = new ArrayList<>();
    final AtomicLong started = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final AtomicLong delivered = new AtomicLong();
    volatile int expected;
    private static final AtomicLong NAMES_USED = new AtomicLong();

    void watch(ManagedChannel channel, String userId) {
      ClientCall<WatchRequest, ActivityEvent> call = channel.newCall(UserServiceGrpc.getWatchUserActivityMethod(),
          CallOptions.DEFAULT);
      calls.add(call);
      call.start(new ClientCall.Listener<>() {
        @Override
        public void onHeaders(Metadata headers) {
          started.incrementAndGet();
        }

        @Override
        public void onMessage(ActivityEvent event) {
          call.request(1);
          if (event.getAction().equals("user.updated")) {
            if (mark(EVENT, event.getUserId())) {
              delivered.incrementAndGet();
            }
          }
        }

        @Override
        public void onClose(Status status, Metadata trailers) {}
      }, new Metadata());
      call.sendMessage(WatchRequest.newBuilder().setUserId(userId).build());
      call.halfClose();
      call.request(1);
    }

    void awaitStarted(Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (started.get() < calls.size() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
    }

    /** Records a stage of the user's outstanding update; returns false when there is none or it was marked. */
    boolean mark(int stage, String userId) {
      long now = System.nanoTime();
      long[] t = times.get(userId);
      if (t == null) {
        return false;
      }
      synchronized (t) {
        if (t[stage] != 0) {
          return false;
        }
        t[stage] = now;
      }
      return true;
    }

    void update(List<ManagedChannel> channels, List<UserResponse> users, int count, int perSecond)
        throws InterruptedException {
      expected = count;
      long period = TimeUnit.SECONDS.toNanos(1) / perSecond;
      long start = System.nanoTime();
      for (int i = 0; i < count; i++) {
        long wait = start + i * period - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        UserResponse user = users.get(i % users.size());
        long[] t = new long[NAMES.length];
        long[] previous = times.put(user.getId(), t);
        if (previous != null) {
          synchronized (done) {
            done.add(previous);
          }
        }
        t[SENT] = System.nanoTime();
        UserServiceGrpc.newStub(channels.get((i % users.size() % REPLICAS + 1) % REPLICAS)).updateUser(
            UpdateUserRequest.newBuilder().setId(user.getId())
                .setName("Stage " + NAMES_USED.incrementAndGet()).build(),
            new StreamObserver<>() {
              @Override
              public void onNext(UserResponse value) {}

              @Override
              public void onError(Throwable t) {
                errors.incrementAndGet();
              }

              @Override
              public void onCompleted() {
                mark(RESPONSE, user.getId());
              }
            });
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (delivered.get() < count && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      Thread.sleep(200);
    }

    long undelivered() {
      return expected - delivered.get();
    }

    void reset() {
      times.clear();
      synchronized (done) {
        done.clear();
      }
      delivered.set(0);
    }

    Map<String, Histogram> histograms() {
      List<long[]> rows = new ArrayList<>();
      synchronized (done) {
        rows.addAll(done);
      }
      rows.addAll(times.values());
      Map<String, Histogram> result = new LinkedHashMap<>();
      int[][] spans = {{SENT, NATS}, {NATS, JETSTREAM}, {JETSTREAM, EVENT}, {NATS, EVENT}, {SENT, NOTIFIED},
          {NOTIFIED, EVENT}, {SENT, RESPONSE}, {SENT, EVENT}};
      for (int[] span : spans) {
        Histogram h = newHistogram();
        for (long[] t : rows) {
          synchronized (t) {
            if (t[span[0]] != 0 && t[span[1]] != 0) {
              h.recordValue(Math.max(0, Math.min(t[span[1]] - t[span[0]], h.getHighestTrackableValue())));
            }
          }
        }
        result.put(NAMES[span[0]] + " -> " + NAMES[span[1]], h);
      }
      return result;
    }

    void cancel() {
      calls.forEach(call -> call.cancel("done", null));
    }
  }
}
