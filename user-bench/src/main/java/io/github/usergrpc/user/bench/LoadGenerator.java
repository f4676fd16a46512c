package io.github.usergrpc.user.bench;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Drives asynchronous calls in a closed loop (a fixed number in flight, each finished call starts the next)
 * or an open loop (calls started at a fixed rate whatever the server does), and records each call's latency
 * in an HdrHistogram. In the open loop a call's latency counts from when it was due, not from when it was
 * sent, so a server that stalls is charged for the calls that queued behind the stall (no coordinated
 * omission).
 */
final class LoadGenerator {

  /** One call; it must report its end exactly once. */
  @FunctionalInterface
  interface AsyncCall {
    void start(Done done);
  }

  /** The end of a call. */
  @FunctionalInterface
  interface Done {
    void done(boolean ok);
  }

  /**
   * What one run measured.
   *
   * @param throughput successful calls per second in the measured window
   * @param ok successful calls in the window
   * @param errors failed calls in the window
   * @param latency latency of the calls in the window, in nanoseconds
   */
  record Result(double throughput, long ok, long errors, Histogram latency, long cpuNanos) {
    double millis(double percentile) {
      return latency.getValueAtPercentile(percentile) / 1e6;
    }

    /** Returns the CPU time this whole process spent per successful call in the window, in microseconds. */
    double cpuMicrosPerCall() {
      return ok == 0 ? Double.NaN : cpuNanos / 1e3 / ok;
    }
  }

  /** Returns the CPU time used by this process so far (all threads), in nanoseconds. */
  static long processCpuNanos() {
    java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : 0;
  }

  private static final long HIGHEST_NANOS = TimeUnit.SECONDS.toNanos(60);

  private LoadGenerator() {}

  /**
   * Runs {@code concurrency} calls at a time for {@code warmup}, then measures for {@code duration}.
   */
  static Result closedLoop(AsyncCall call, int concurrency, Duration warmup, Duration duration)
      throws InterruptedException {
    Recorder recorder = new Recorder(HIGHEST_NANOS, 3);
    AtomicBoolean measuring = new AtomicBoolean();
    AtomicBoolean stopping = new AtomicBoolean();
    AtomicLong ok = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    CountDownLatch drained = new CountDownLatch(concurrency);
    class Slot {
      void next() {
        if (stopping.get()) {
          drained.countDown();
          return;
        }
        long started = System.nanoTime();
        try {
          call.start(success -> {
            long took = System.nanoTime() - started;
            if (measuring.get()) {
              recorder.recordValue(Math.min(took, HIGHEST_NANOS));
              (success ? ok : errors).incrementAndGet();
            }
            next();
          });
        } catch (RuntimeException e) {
          errors.incrementAndGet();
          drained.countDown();
        }
      }
    }
    for (int i = 0; i < concurrency; i++) {
      new Slot().next();
    }
    Thread.sleep(warmup.toMillis());
    recorder.reset();
    ok.set(0);
    errors.set(0);
    long cpuFrom = processCpuNanos();
    measuring.set(true);
    long from = System.nanoTime();
    Thread.sleep(duration.toMillis());
    measuring.set(false);
    long to = System.nanoTime();
    long cpu = processCpuNanos() - cpuFrom;
    Histogram histogram = recorder.getIntervalHistogram();
    stopping.set(true);
    drained.await(30, TimeUnit.SECONDS);
    return new Result(ok.get() / ((to - from) / 1e9), ok.get(), errors.get(), histogram, cpu);
  }

  /**
   * Starts {@code ratePerSecond} calls per second for {@code warmup} plus {@code duration}, and measures
   * those due in the second part. At most {@code maxOutstanding} may be in flight; a call due beyond that
   * is counted as an error and not sent.
   */
  static Result openLoop(AsyncCall call, double ratePerSecond, Duration warmup, Duration duration,
      int maxOutstanding) throws InterruptedException {
    Recorder recorder = new Recorder(HIGHEST_NANOS, 3);
    AtomicLong ok = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    AtomicInteger outstanding = new AtomicInteger();
    double period = 1e9 / ratePerSecond;
    long start = System.nanoTime();
    long measureFrom = start + warmup.toNanos();
    long end = measureFrom + duration.toNanos();
    for (long i = 0; ; i++) {
      long due = start + (long) (i * period);
      if (due >= end) {
        break;
      }
      long wait = due - System.nanoTime();
      if (wait > 0) {
        // parkNanos overshoots by tens of microseconds; the latency still counts from `due`.
        LockSupport.parkNanos(wait);
      }
      boolean measured = due >= measureFrom;
      if (outstanding.incrementAndGet() > maxOutstanding) {
        outstanding.decrementAndGet();
        if (measured) {
          errors.incrementAndGet();
        }
        continue;
      }
      try {
        call.start(success -> {
          long took = System.nanoTime() - due;
          outstanding.decrementAndGet();
          if (measured) {
            recorder.recordValue(Math.min(took, HIGHEST_NANOS));
            (success ? ok : errors).incrementAndGet();
          }
        });
      } catch (RuntimeException e) {
        outstanding.decrementAndGet();
        if (measured) {
          errors.incrementAndGet();
        }
      }
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (outstanding.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    Histogram histogram = recorder.getIntervalHistogram();
    return new Result(ok.get() / (duration.toNanos() / 1e9), ok.get(), errors.get(), histogram, 0);
  }
}
