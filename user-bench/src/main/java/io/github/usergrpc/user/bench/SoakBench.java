package io.github.usergrpc.user.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The soak (issue 8): mixed traffic at a fixed rate well below saturation, held for minutes against the real
 * server jar in its own process (core 0, a fixed heap), from this JVM (core 1) over loopback, while the
 * server is sampled from the outside: live heap after a full GC, RSS, open file descriptors and threads.
 * The verdict ({@link SoakVerdict}) is computed from the samples after the warm-up: no error, no heap
 * growth, flat file descriptors and threads. {@link #run} returns false when a check fails.
 */
final class SoakBench {

  /** How many classes the report lists under the heap's growth. */
  private static final int GROWTH_ROWS = 8;

  /**
   * What a run does; each from its {@code --option}.
   *
   * @param warmup traffic before the checked part ({@code --warmup}, seconds)
   * @param duration the checked part ({@code --duration}, seconds)
   * @param rate calls started per second, all kinds together ({@code --rate})
   * @param watchers watch streams held open ({@code --watchers})
   * @param reopenEvery one watch stream is cancelled and reopened this often ({@code --reopen-every}, seconds)
   * @param sample the server is sampled this often ({@code --sample}, seconds)
   * @param users users that are read, updated and watched, never deleted ({@code --users})
   * @param churnUsers users created up front to be deleted, replaced by the creates ({@code --churn-users})
   * @param store the server's {@code --store}
   * @param dbUser the server's {@code --db-user}, if any
   * @param serverHeap the server's {@code -Xmx} ({@code --server-heap})
   */
  record Settings(Duration warmup, Duration duration, int rate, int watchers, Duration reopenEvery,
      Duration sample, int users, int churnUsers, String store, Optional<String> dbUser, String serverHeap) {

    Settings {
      positive("rate", rate);
      positive("watchers", watchers);
      positive("sample", sample.toSeconds());
      positive("reopen-every", reopenEvery.toSeconds());
    }

    private static void positive(String option, long value) {
      if (value <= 0) {
        throw new IllegalArgumentException("--" + option + ": " + value + " (expected: > 0)");
      }
    }

    static Settings from(Args args) {
      return new Settings(args.seconds("warmup", 60), args.seconds("duration", 300), args.integer("rate", 400),
          args.integer("watchers", 50), args.seconds("reopen-every", 1), args.seconds("sample", 10),
          args.integer("users", 1_000), args.integer("churn-users", 500), args.string("store", DEFAULT_STORE),
          Optional.ofNullable(args.string("db-user", null)), args.string("server-heap", "256m"));
    }
  }

  /**
   * The server and the traffic at one moment.
   *
   * @param seconds since the traffic started
   * @param calls calls ended so far
   * @param errors errors so far, of every kind
   * @param live the server's live objects (after a full GC)
   * @param rssMiB the server's resident memory
   * @param fds the server's open file descriptors
   * @param threads the server's threads
   * @param p50 median latency of the calls that ended since the previous sample, in ms
   * @param p99 99th percentile of the same, in ms
   */
  record Sample(long seconds, long calls, long errors, ProcessProbe.LiveObjects live, double rssMiB, int fds,
      int threads, double p50, double p99) {
    double heapMiB() {
      return live.mebibytes();
    }
  }

  /**
   * An H2 file, the server's default kind of store before SQLite, in a fresh file per run. The memory store keeps the
   * newest 100,000 events and a day of request ids by design, so its heap grows for the first hours of any
   * load and says nothing about leaks in minutes.
   */
  static final String DEFAULT_STORE = "h2:user-bench/target/soak/h2-" + System.currentTimeMillis() + "/users";

  private SoakBench() {}

  /** The kind of store, for the section of BENCHMARKS.md: h2, sqlite, postgres or memory. */
  static String storeKind(String store) {
    if (store.equals("memory")) {
      return "memory";
    }
    if (store.startsWith("sqlite:")) {
      return "sqlite";
    }
    return store.startsWith("jdbc:postgresql:") ? "postgres" : "h2";
  }

  /** Runs the soak, writes the "soak-KIND" section of BENCHMARKS.md and returns whether every check passed. */
  static boolean run(Args args) throws Exception {
    String loadBefore = Machine.loadAverage();
    Settings settings = Settings.from(args);
    Path root = BenchmarksFile.repositoryRoot();
    int port = ServerProcess.freePort();
    String java = ServerProcess.jdkTool("java");
    List<String> command = new ArrayList<>(List.of(java, "-Xmx" + settings.serverHeap(), "-jar",
        root.resolve("user-server/target/user-server.jar").toString(), "--port", Integer.toString(port),
        "--store", settings.store()));
    settings.dbUser().ifPresent(user -> command.addAll(List.of("--db-user", user)));
    List<Sample> samples = new ArrayList<>();
    Histogram checked = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    SoakTraffic traffic;
    try (ServerProcess server = ServerProcess.start("soak-server", "0", command, port,
        root.resolve("user-bench/target/soak"));
        SoakTraffic running = new SoakTraffic(port, settings.watchers())) {
      traffic = running;
      traffic.seed(settings.users(), settings.churnUsers());
      traffic.openWatchers(Duration.ofSeconds(30));
      // The sample at 0 s also attaches jcmd once, which starts the server's Attach Listener thread (and
      // its socket) before anything is compared.
      samples.add(sample(server.pid(), 0, traffic, traffic.latencySinceLastCall()));
      print(samples.get(0), settings);
      long start = System.nanoTime();
      Duration length = settings.warmup().plus(settings.duration());
      traffic.start(settings.rate(), length, settings.reopenEvery());
      for (long at = settings.sample().toSeconds(); at <= length.toSeconds(); at += settings.sample().toSeconds()) {
        long wait = start + TimeUnit.SECONDS.toNanos(at) - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
        Histogram window = traffic.latencySinceLastCall();
        Sample sample = sample(server.pid(), at, traffic, window);
        samples.add(sample);
        print(sample, settings);
        if (at - settings.sample().toSeconds() >= settings.warmup().toSeconds()) {
          checked.add(window);
        }
      }
      traffic.finish();
    }
    List<Sample> afterWarmup = samples.stream().filter(s -> s.seconds() >= settings.warmup().toSeconds()).toList();
    List<SoakVerdict.Check> checks = SoakVerdict.evaluate(traffic.errorCount(),
        afterWarmup.stream().map(Sample::heapMiB).toList(), afterWarmup.stream().map(Sample::fds).toList(),
        afterWarmup.stream().map(Sample::threads).toList());
    String growth = afterWarmup.size() < 2 ? ""
        : growth(afterWarmup.get(0), afterWarmup.get(afterWarmup.size() - 1));
    String markdown = report(args.string("command", "scripts/bench/soak.sh"), loadBefore, settings, samples,
        checked, traffic, growth, checks);
    BenchmarksFile.writeSection("soak-" + storeKind(settings.store()), markdown);
    System.out.println(markdown);
    return SoakVerdict.passed(checks);
  }

  /** Takes one sample; /proc first, since the jcmd attach briefly adds a socket of its own. */
  private static Sample sample(long pid, long seconds, SoakTraffic traffic, Histogram window) throws Exception {
    int fds = ProcessProbe.openFileDescriptors(pid);
    int threads = ProcessProbe.threads(pid);
    double rss = ProcessProbe.residentMiB(pid);
    ProcessProbe.LiveObjects live = ProcessProbe.liveObjects(pid);
    return new Sample(seconds, traffic.completed(), traffic.errorCount(), live, rss, fds, threads,
        window.getTotalCount() == 0 ? Double.NaN : window.getValueAtPercentile(50) / 1e6,
        window.getTotalCount() == 0 ? Double.NaN : window.getValueAtPercentile(99) / 1e6);
  }

  private static void print(Sample s, Settings settings) {
    System.out.printf("%5d s %-14s calls %,9d errors %,5d heap %6.1f MiB rss %6.1f MiB fds %4d threads %3d"
        + " p50 %6.2f ms p99 %7.2f ms%n", s.seconds(), phase(s, settings),
        s.calls(), s.errors(), s.heapMiB(), s.rssMiB(), s.fds(), s.threads(), s.p50(), s.p99());
  }

  private static String report(String command, String loadBefore, Settings settings, List<Sample> samples,
      Histogram checked, SoakTraffic traffic, String growth, List<SoakVerdict.Check> checks) {
    StringBuilder md = new StringBuilder("## Soak: mixed load held for minutes, "
        + Map.of("h2", "H2 file store", "sqlite", "SQLite file store", "postgres", "PostgreSQL store", "memory", "memory store")
            .get(storeKind(settings.store())) + "\n\n");
    md.append(Machine.header(command, loadBefore));
    md.append("- Setup: `java -Xmx").append(settings.serverHeap()).append(" -jar user-server/target/user-server.jar"
        + " --store ").append(settings.store())
        .append(settings.dbUser().map(u -> " --db-user " + u).orElse(""))
        .append("` pinned to core 0; this JVM on core 1 with one `UserClient` (its defaults: deadlines, retries"
            + " of what is safe to retry, request ids) over loopback. Open loop: ").append(settings.rate())
        .append(" calls/s started whatever the server does (latency counts from when a call was due) for ")
        .append(settings.warmup().toSeconds()).append(" s of warm-up, then ")
        .append(settings.duration().toSeconds()).append(" s checked.\n");
    md.append("- Mix per 100 calls: ");
    List<String> shares = new ArrayList<>();
    for (SoakTraffic.Op op : SoakTraffic.Op.values()) {
      shares.add(op.rpc + " " + op.percent);
    }
    md.append(String.join(", ", shares)).append(". ").append(settings.users()).append(" users are read (GetUser),"
        + " updated (a new name, no etag) and watched, never deleted; ").append(settings.churnUsers())
        .append(" more are created up front, and then every CreateUser adds one and every DeleteUser removes the"
            + " oldest, so the population stays at ").append(settings.users() + settings.churnUsers())
        .append(". ListUsers pages through all users 20 at a time with page tokens.\n");
    md.append("- Watches: ").append(settings.watchers()).append(" streams (`watchActivity`, two per user) held"
        + " open; one is cancelled and reopened every ").append(settings.reopenEvery().toSeconds())
        .append(" s. RecordActivity goes to the watched users as numbered probes, one in flight per user, and"
            + " each stream must receive them without a gap or a repeat, up to the last one recorded.\n");
    md.append("- Samples every ").append(settings.sample().toSeconds()).append(" s, of the server process from"
        + " outside: live heap (`jcmd GC.class_histogram`: a full GC, then the bytes of the objects left, counted"
        + " before any thread allocates again), RSS (`VmRSS`), open file descriptors (`/proc/PID/fd`), threads"
        + " (`/proc/PID/status`). Each sample's"
        + " forced full GC pauses the server, which shows in the next window's p99.\n\n");
    Map<SoakTraffic.Op, Long> made = traffic.callsByOp();
    List<String> counts = new ArrayList<>();
    made.forEach((op, count) -> counts.add(op.rpc + " " + String.format("%,d", count)));
    md.append("Calls made: ").append(String.join(", ", counts)).append("; watch events received: ")
        .append(String.format("%,d", traffic.watchEvents())).append(" (").append(String.format("%,d",
            traffic.probesReceived())).append(" probes); watch streams reopened: ").append(traffic.reopened())
        .append("; users at the end: ").append(String.format("%,d", traffic.population())).append(".\n\n");
    Map<String, Long> errors = traffic.errors();
    md.append("Errors: ").append(errors.isEmpty() ? "none" : errors.toString()).append(".\n\n");
    if (checked.getTotalCount() > 0) {
      md.append(String.format("Latency of the checked part (all calls, ms): p50 %.2f, p99 %.2f, p99.9 %.2f,"
          + " max %.2f.%n%n", checked.getValueAtPercentile(50) / 1e6, checked.getValueAtPercentile(99) / 1e6,
          checked.getValueAtPercentile(99.9) / 1e6, checked.getMaxValue() / 1e6));
    }
    md.append("| time (s) | phase | calls | errors | live heap (MiB) | RSS (MiB) | fds | threads |"
        + " p50 (ms) | p99 (ms) |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for (Sample s : samples) {
      md.append(String.format("| %d | %s | %,d | %d | %.1f | %.1f | %d | %d | %s | %s |%n", s.seconds(),
          phase(s, settings), s.calls(), s.errors(), s.heapMiB(), s.rssMiB(), s.fds(), s.threads(),
          millis(s.p50()), millis(s.p99())));
    }
    md.append(growth);
    md.append("\nVerdict, over the samples from ").append(settings.warmup().toSeconds())
        .append(" s on:\n\n| check | measured | passes when | passed? |\n|---|---|---|---|\n");
    for (SoakVerdict.Check check : checks) {
      md.append("| ").append(check.name()).append(" | ").append(check.measured()).append(" | ")
          .append(check.criterion()).append(" | ").append(check.passed() ? "yes" : "**no**").append(" |\n");
    }
    md.append("\n").append(SoakVerdict.passed(checks) ? "**Passed.**" : "**Failed.**").append("\n");
    return md.toString();
  }

  /** Returns the classes whose live objects grew most over the checked part: what a growing heap holds. */
  private static String growth(Sample from, Sample to) {
    ProcessProbe.LiveObjects before = from.live();
    ProcessProbe.LiveObjects after = to.live();
    ProcessProbe.ClassCount none = new ProcessProbe.ClassCount(0, 0);
    List<Map.Entry<String, ProcessProbe.ClassCount>> grown = after.byClass().entrySet().stream()
        .map(e -> Map.entry(e.getKey(), new ProcessProbe.ClassCount(
            e.getValue().instances() - before.byClass().getOrDefault(e.getKey(), none).instances(),
            e.getValue().bytes() - before.byClass().getOrDefault(e.getKey(), none).bytes())))
        .filter(e -> e.getValue().bytes() > 0)
        .sorted(Comparator.comparingLong((Map.Entry<String, ProcessProbe.ClassCount> e) -> e.getValue().bytes())
            .reversed())
        .limit(GROWTH_ROWS)
        .toList();
    StringBuilder md = new StringBuilder("\nLive objects that grew most from ").append(from.seconds())
        .append(" s to ").append(to.seconds()).append(" s (`jcmd GC.class_histogram`), to tell what any growth"
            + " is:\n\n| class | instances | bytes |\n|---|---|---|\n");
    for (Map.Entry<String, ProcessProbe.ClassCount> e : grown) {
      md.append(String.format("| `%s` | %+,d | %+,d |%n", e.getKey(), e.getValue().instances(),
          e.getValue().bytes()));
    }
    return md.toString();
  }

  private static String phase(Sample sample, Settings settings) {
    return sample.seconds() == 0 ? "before traffic"
        : sample.seconds() < settings.warmup().toSeconds() ? "warm-up" : "checked";
  }

  private static String millis(double value) {
    return Double.isNaN(value) ? "–" : String.format("%.2f", value);
  }
}
