package io.github.usergrpc.user.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * The pass/fail checks of the soak, computed from the samples taken after the warm-up. Kept apart from the
 * run so that the thresholds can be tested without one.
 */
final class SoakVerdict {

  /** Heap growth always allowed: a few MiB come and go with caches and the JIT. */
  static final double HEAP_SLACK_MIB = 5;
  /** Heap growth allowed relative to the start, when that is more than {@link #HEAP_SLACK_MIB}. */
  static final double HEAP_SLACK_RATIO = 0.10;
  /** Largest spread (max − min) of open file descriptors after the warm-up. */
  static final int FD_BAND = 5;
  /** Largest spread (max − min) of threads after the warm-up. */
  static final int THREAD_BAND = 4;
  /** Fewest samples after the warm-up that make thirds to compare. */
  static final int MIN_SAMPLES = 3;

  /**
   * One check.
   *
   * @param name what is checked
   * @param passed whether it held
   * @param measured what was measured
   * @param criterion the rule, with its threshold
   */
  record Check(String name, boolean passed, String measured, String criterion) {}

  private SoakVerdict() {}

  /**
   * Returns the checks: no error, no heap growth, flat file descriptors and threads.
   *
   * @param errors every error of the run: failed calls, broken or ended watches, events not delivered
   * @param heapMiB heap used after a full GC, per sample after the warm-up, in order
   * @param fds open file descriptors, per sample after the warm-up
   * @param threads threads, per sample after the warm-up
   */
  static List<Check> evaluate(long errors, List<Double> heapMiB, List<Integer> fds, List<Integer> threads) {
    List<Check> checks = new ArrayList<>();
    checks.add(new Check("errors", errors == 0, Long.toString(errors), "0"));
    checks.add(heap(heapMiB));
    checks.add(band("open file descriptors", fds, FD_BAND));
    checks.add(band("threads", threads, THREAD_BAND));
    return checks;
  }

  static boolean passed(List<Check> checks) {
    return checks.stream().allMatch(Check::passed);
  }

  /**
   * Compares the median of the first third of the samples with the median of the last third: medians, so
   * that one sample taken while a burst of garbage survived the GC does not decide.
   */
  private static Check heap(List<Double> heapMiB) {
    String criterion = String.format("median of the last third − median of the first third ≤ max(%.0f MiB,"
        + " %.0f %% of the first)", HEAP_SLACK_MIB, HEAP_SLACK_RATIO * 100);
    if (heapMiB.size() < MIN_SAMPLES) {
      return new Check("heap growth", false, heapMiB.size() + " samples after the warm-up (too few)", criterion);
    }
    int third = heapMiB.size() / 3;
    double first = Stats.median(heapMiB.subList(0, third));
    double last = Stats.median(heapMiB.subList(heapMiB.size() - third, heapMiB.size()));
    double allowed = Math.max(HEAP_SLACK_MIB, first * HEAP_SLACK_RATIO);
    String measured = String.format("%.1f → %.1f MiB (%+.1f MiB, %+.1f %%)", first, last, last - first,
        (last - first) / first * 100);
    return new Check("heap growth", last - first <= allowed, measured, criterion);
  }

  private static Check band(String name, List<Integer> values, int band) {
    String criterion = "max − min ≤ " + band;
    if (values.size() < MIN_SAMPLES) {
      return new Check(name, false, values.size() + " samples after the warm-up (too few)", criterion);
    }
    int min = values.stream().mapToInt(Integer::intValue).min().orElseThrow();
    int max = values.stream().mapToInt(Integer::intValue).max().orElseThrow();
    return new Check(name, max - min <= band, min + "–" + max, criterion);
  }
}
