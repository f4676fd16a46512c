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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * Where the time of a cross-replica UpdateUser-to-event goes on JetStream (issue 18), stage by stage, for
 * server builds and JVM flags compared side by side in one run. Not a recorded benchmark: a diagnostic, run at a
 * low rate so that the stages, not the queueing, show.
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
 * <p>Run: {@code java -cp user-bench/target/classes:$(cat user-bench/target/classpath.txt)
 * io.github.usergrpc.user.bench.LatencyStages --variant before=/tmp/base/user-server.jar
 * --variant2 after=user-server/target/user-server.jar --rounds 2 --updates 400 --rate 20 --gc}; a variant is
 * {@code label=jar} or {@code label=jar|jvm flags separated by spaces}; the jar's file name must be
 * {@code user-server.jar} ({@link ServerProcess} then waits for its start line).
 */
final class LatencyStages {

  private static final int REPLICAS = 3;
  private static final Pattern PAUSE = Pattern.compile("^\\[([0-9]+)ms\\].*Pause.* ([0-9.]+)ms$");

  private final Path root = BenchmarksFile.repositoryRoot();
  private final Path work = root.resolve("user-bench/target/latency-stages");
  private final String database = "stages_" + ProcessHandle.current().pid();
  private final String nats;
  private final int watchers;
  private final int updates;
  private final int rate;
  private final boolean gc;
  private int runs;

  private LatencyStages(Args args) {
    nats = args.string("nats", "nats://127.0.0.1:4222");
    watchers = args.integer("watchers", 1_000);
    updates = args.integer("updates", 400);
    rate = args.integer("rate", 20);
    gc = args.flag("gc");
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
          Map<String, Histogram> stages = round(variant, round);
          Map<String, Histogram> sum = all.computeIfAbsent(variant[0], k -> new LinkedHashMap<>());
          stages.forEach((stage, histogram) -> sum.computeIfAbsent(stage, k -> newHistogram()).add(histogram));
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

  private Map<String, Histogram> round(String[] variant, int round) throws Exception {
    int run = ++runs;
    String schema = "run" + run;
    LoadBench.psql(database, "CREATE SCHEMA " + schema);
    String stream = "STAGES_" + ProcessHandle.current().pid() + "_" + run;
    String prefix = stream.toLowerCase(Locale.ROOT);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<ServerProcess> replicas = new ArrayList<>();
    List<ManagedChannel> channels = new ArrayList<>();
    List<Path> gcLogs = new ArrayList<>();
    try (Connection connection = Nats.connect(new Options.Builder().server(nats).build())) {
      for (int r = 0; r < REPLICAS; r++) {
        int port = ServerProcess.freePort();
        String name = variant[0] + "-" + round + "-replica" + r;
        List<String> server = new ArrayList<>(List.of(java));
        if (!variant[2].isBlank()) {
          server.addAll(Arrays.asList(variant[2].trim().split(" +")));
        }
        if (gc) {
          Path gcLog = work.resolve(name + "-gc.log");
          Files.deleteIfExists(gcLog);
          gcLogs.add(gcLog);
          server.add("-Xlog:gc:file=" + gcLog + ":timemillis");
        }
        server.addAll(List.of("-jar", variant[1], "--port", Integer.toString(port), "--store",
            "jdbc:postgresql://127.0.0.1:5432/" + database + "?currentSchema=" + schema, "--db-user", "postgres",
            "--activity", nats, "--activity-stream", stream));
        replicas.add(ServerProcess.start(name, "", server, port, work));
        channels.add(Calls.channelBuilder(port).build());
      }
      List<UserResponse> users = createUsers(channels, watchers);
      Stages stages = new Stages();
      for (int i = 0; i < watchers; i++) {
        stages.watch(channels.get(i % REPLICAS), users.get(i).getId());
      }
      stages.awaitStarted(Duration.ofSeconds(180));
      Dispatcher dispatcher = connection.createDispatcher();
      dispatcher.subscribe(prefix + ".>", message -> stages.mark(Stages.NATS, userOf(message.getSubject())));
      MessageConsumer ordered = connection.jetStream().getStreamContext(stream)
          .createOrderedConsumer(new OrderedConsumerConfiguration().filterSubject(prefix + ".>"))
          .consume(message -> stages.mark(Stages.JETSTREAM, userOf(message.getSubject())));
      // Warm-up, unmeasured, then measured.
      stages.update(channels, users, Math.max(1, updates / 4), rate);
      stages.reset();
      long idleCpu = cpuMillis(replicas);
      Thread.sleep(5_000);
      idleCpu = cpuMillis(replicas) - idleCpu;
      long gcFrom = System.currentTimeMillis();
      long busyCpu = cpuMillis(replicas);
      Probes probes = new Probes(database, schema, connection, prefix + ".probe", rate);
      stages.update(channels, users, updates, rate);
      probes.stop();
      busyCpu = cpuMillis(replicas) - busyCpu;
      ordered.close();
      Map<String, Histogram> result = stages.histograms();
      result.putAll(probes.histograms);
      System.out.printf("%n== %s round %d (load %s; undelivered %d, errors %d)%n", variant[0], round,
          Machine.loadAverage(), stages.undelivered(), stages.errors.get());
      print(variant[0], result);
      System.out.printf(Locale.ROOT, "  replicas' CPU: idle (1,000 watches, no updates) %.0f ms/s; measured"
          + " updates %.2f ms per update%n", idleCpu / 5.0, (double) busyCpu / updates);
      if (gc) {
        printPauses(gcLogs, gcFrom);
      }
      stages.cancel();
      return result;
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
      replicas.forEach(ServerProcess::close);
      deleteStream(stream);
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
    System.out.printf(Locale.ROOT, "%-10s %-28s %6s %8s %8s %8s %8s%n", label, "stage (ms)", "n", "p50", "p90",
        "p99", "max");
    stages.forEach((stage, h) -> System.out.printf(Locale.ROOT, "%-10s %-28s %6d %8.2f %8.2f %8.2f %8.2f%n", label,
        stage, h.getTotalCount(), h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(90) / 1e6,
        h.getValueAtPercentile(99) / 1e6, h.getMaxValue() / 1e6));
  }

  /** Sums the GC pauses each replica logged from {@code from} (epoch millis) on. */
  private static void printPauses(List<Path> logs, long from) throws IOException {
    for (Path log : logs) {
      List<Double> pauses = new ArrayList<>();
      String collector = "";
      for (String line : Files.readAllLines(log)) {
        if (line.contains("Using ")) {
          collector = line.substring(line.indexOf("Using ") + 6);
        }
        Matcher m = PAUSE.matcher(line);
        if (m.find() && Long.parseLong(m.group(1)) >= from) {
          pauses.add(Double.parseDouble(m.group(2)));
        }
      }
      double max = pauses.stream().mapToDouble(Double::doubleValue).max().orElse(0);
      double sum = pauses.stream().mapToDouble(Double::doubleValue).sum();
      long over10 = pauses.stream().filter(p -> p > 10).count();
      System.out.printf(Locale.ROOT, "  gc %s: %s, %d pauses, total %.0f ms, max %.1f ms, %d over 10 ms%n",
          log.getFileName(), collector, pauses.size(), sum, max, over10);
    }
  }

  private void deleteStream(String stream) {
    try (Connection connection = Nats.connect(new Options.Builder().server(nats).build())) {
      connection.jetStreamManagement().deleteStream(stream);
    } catch (IOException | JetStreamApiException | InterruptedException e) {
      System.out.println("the stream " + stream + " was not deleted: " + e);
    }
  }

  /**
   * What the writing replica's two external steps cost alone, at the updates' rate beside them, from the bench
   * JVM: a transaction like UpdateUser's (lock a row, update it, insert a row, commit) on the run's database,
   * and a JetStream publish with a message id to the run's stream (acknowledged once stored).
   */
  private static final class Probes {
    final Map<String, Histogram> histograms = new LinkedHashMap<>();
    private final Thread thread;
    private volatile boolean running = true;

    Probes(String database, String schema, Connection nats, String subject, int perSecond) throws Exception {
      java.sql.Connection db = java.sql.DriverManager.getConnection(
          "jdbc:postgresql://127.0.0.1:5432/" + database + "?currentSchema=" + schema, "postgres", "");
      try (java.sql.Statement ddl = db.createStatement()) {
        ddl.execute("CREATE TABLE probe_row (id int PRIMARY KEY, v bigint NOT NULL)");
        ddl.execute("CREATE TABLE probe_log (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v bigint)");
        ddl.execute("INSERT INTO probe_row VALUES (1, 0)");
      }
      db.setAutoCommit(false);
      Histogram transaction = newHistogram();
      Histogram publish = newHistogram();
      histograms.put("probe: db transaction", transaction);
      histograms.put("probe: jetstream publish", publish);
      io.nats.client.JetStream jetStream = nats.jetStream();
      long period = TimeUnit.SECONDS.toNanos(1) / perSecond;
      thread = new Thread(() -> {
        long n = 0;
        try (db) {
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
            jetStream.publish(subject, new byte[64],
                io.nats.client.PublishOptions.builder().messageId("probe-" + n++).build());
            long published = System.nanoTime();
            transaction.recordValue(committed - start);
            publish.recordValue(published - committed);
            LockSupport.parkNanos(Math.max(0, start + period - System.nanoTime()));
          }
        } catch (Exception e) {
          System.out.println("probe failed: " + e);
        }
      }, "probes");
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
    static final String[] NAMES = {"sent", "nats", "jetstream", "response", "event"};

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
      int[][] spans = {{SENT, NATS}, {NATS, JETSTREAM}, {JETSTREAM, EVENT}, {NATS, EVENT}, {SENT, RESPONSE},
          {SENT, EVENT}};
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
