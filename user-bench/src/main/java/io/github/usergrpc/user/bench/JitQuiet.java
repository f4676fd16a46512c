package io.github.usergrpc.user.bench;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A warm-up that ends when the server's JIT compilers do: unmeasured load in steps of {@link #STEP} for at
 * least the minimum warm-up, and then until the server's compiler threads used at most {@link #QUIET_SHARE}
 * of a step's wall time, or the maximum is reached.
 *
 * <p>Why: after a fixed 20 s warm-up the compilers still took 1–2 µs of each GetUser call's 8–11 µs of server
 * CPU in the measured 10 s, on the one core they share with the event loop, and up to 5 µs in a round of the
 * constant-answer ceiling (interceptors.sh, 2026-12-07 10:14 UTC, quiet machine). How much compiling was left
 * differed from server to server and from round to round, so a ratio of two servers partly measured how far
 * each JVM had got. Load tests of servers that run for hours want the state after compilation.
 */
final class JitQuiet {

  /** The length of one warm-up step, and the window in which the compilers must be quiet. */
  static final Duration STEP = Duration.ofSeconds(5);

  /** The compilers' CPU, as a share of a step's wall time, at or below which they count as quiet. */
  static final double QUIET_SHARE = 0.01;

  /** Unmeasured load against the server. */
  @FunctionalInterface
  interface Load {
    /** Sends unmeasured load for {@code length}. */
    void run(Duration length) throws Exception;
  }

  /**
   * How a warm-up ended.
   *
   * @param took the warm-up's length
   * @param quiet whether the compilers were quiet in its last step; false if the maximum ended it
   * @param lastShare the compilers' CPU in the last step, as a share of its wall time
   */
  record WarmUp(Duration took, boolean quiet, double lastShare) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "warm-up %d s, JIT %.1f%% of the last %d s%s", took.toSeconds(),
          100 * lastShare, STEP.toSeconds(), quiet ? "" : " (not quiet: stopped at the maximum)");
    }
  }

  private JitQuiet() {}

  /**
   * Runs {@code load} until the JIT of the JVM {@code pid} is quiet, for at least {@code minimum} and at most
   * about {@code maximum} (the step that crosses it is finished).
   */
  static WarmUp warmUp(long pid, Duration minimum, Duration maximum, Load load) throws Exception {
    return warmUp(List.of(pid), minimum, maximum, load);
  }

  /**
   * Runs {@code load} until the JITs of all the JVMs {@code pids} are quiet in the same step, for at least
   * {@code minimum} and at most about {@code maximum}. The last share reported is the busiest JVM's.
   */
  static WarmUp warmUp(List<Long> pids, Duration minimum, Duration maximum, Load load) throws Exception {
    long ticksPerSecond = ProcessProbe.ticksPerSecond();
    long start = System.nanoTime();
    while (true) {
      long[] jitBefore = new long[pids.size()];
      for (int i = 0; i < pids.size(); i++) {
        jitBefore[i] = jitTicks(pids.get(i));
      }
      long stepStart = System.nanoTime();
      load.run(STEP);
      long now = System.nanoTime();
      double stepSeconds = (now - stepStart) / 1e9;
      double busiest = 0;
      boolean quiet = true;
      for (int i = 0; i < pids.size(); i++) {
        double share = (jitTicks(pids.get(i)) - jitBefore[i]) / (double) ticksPerSecond / stepSeconds;
        // Below zero: a compiler thread ended in the step, and its ticks went with it; that says nothing.
        quiet &= share >= 0 && share <= QUIET_SHARE;
        busiest = Math.max(busiest, share);
      }
      Duration took = Duration.ofNanos(now - start);
      if ((quiet && took.compareTo(minimum) >= 0) || took.compareTo(maximum) >= 0) {
        return new WarmUp(took, quiet, busiest);
      }
    }
  }

  /** Returns the pids of {@code servers} and of this JVM: a warm-up of servers that this JVM's clients load. */
  static List<Long> withThisJvm(List<ServerProcess> servers) {
    List<Long> pids = new ArrayList<>(servers.stream().map(ServerProcess::pid).toList());
    pids.add(ProcessHandle.current().pid());
    return pids;
  }

  /**
   * Describes warm-ups for a report: "unmeasured load for at least ... s and then until {@code whose} JIT compiler
   * threads used at most 1 % of the last 5 s (at most ... s; the warm-ups took ... s, n ended at the maximum)".
   */
  static String describe(List<WarmUp> warmUps, Duration minimum, Duration maximum, String whose) {
    List<Double> seconds = warmUps.stream().map(w -> (double) w.took().toSeconds()).toList();
    long notQuiet = warmUps.stream().filter(w -> !w.quiet()).count();
    return "unmeasured load for at least " + minimum.toSeconds() + " s and then until " + whose + " JIT compiler"
        + " threads used at most " + Math.round(100 * QUIET_SHARE) + " % of the last " + STEP.toSeconds()
        + " s (at most " + maximum.toSeconds() + " s; the warm-ups took "
        + (seconds.isEmpty() ? "–" : Stats.spread(seconds, "%.0f")) + " s, " + notQuiet + " ended at the maximum)";
  }

  private static long jitTicks(long pid) throws IOException {
    return ServerThreads.ticksByGroup(pid).getOrDefault(ServerThreads.JIT, 0L);
  }
}
