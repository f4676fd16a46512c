package io.github.usergrpc.user.server.activity.jetstream;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * How fast {@link JetStreamActivityLog#append} stores events on a single node and on an R3 three-node cluster,
 * side by side in one run, on loopback: the figures in docs/scaling.md. Not a test (no timed assertions): run
 * by hand, with the test class path, as {@code java ... JetStreamPublishRate [events per round] [rounds]}.
 *
 * <p>Each round publishes the same number of events on each setup, with 1 and with 16 publishing threads
 * (each waits for its acknowledgement, as RecordActivity does), alternating single and cluster so that the
 * machine's load hits both alike. Prints events per second per round, then the median.
 */
public final class JetStreamPublishRate {

  private JetStreamPublishRate() {}

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    try (NatsTestCluster single = NatsTestCluster.startSingle();
        NatsTestCluster cluster = NatsTestCluster.startCluster(3);
        JetStreamActivityLog r1 = JetStreamActivityLog.open(JetStreamActivitySettings.of(single.url()));
        JetStreamActivityLog r3 = JetStreamActivityLog.open(
            JetStreamActivitySettings.of(cluster.url()).withReplicas(3))) {
      publish(r1, 200, 4); // warm-up: JIT, connections, stream files
      publish(r3, 200, 4);
      for (int threads : new int[] {1, 16}) {
        double[] single1 = new double[rounds];
        double[] cluster3 = new double[rounds];
        for (int round = 0; round < rounds; round++) {
          single1[round] = publish(r1, events, threads);
          cluster3[round] = publish(r3, events, threads);
          System.out.printf("threads %2d round %d: single node %8.0f/s, R3 cluster %8.0f/s, ratio %.2f%n", threads,
              round + 1, single1[round], cluster3[round], cluster3[round] / single1[round]);
        }
        System.out.printf("threads %2d median:  single node %8.0f/s, R3 cluster %8.0f/s, ratio %.2f%n", threads,
            median(single1), median(cluster3), median(cluster3) / median(single1));
      }
    }
  }

  /** Publishes {@code events} events from {@code threads} threads, each waiting for its acknowledgement. */
  private static double publish(JetStreamActivityLog log, int events, int threads) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      long start = System.nanoTime();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(pool.submit(() -> {
          for (int i = thread; i < events; i += threads) {
            log.append("user-" + (i % 100), "page_view", "/page/" + i, i, Optional.empty());
          }
          return null;
        }));
      }
      for (Future<?> future : done) {
        future.get();
      }
      return events / (Duration.ofNanos(System.nanoTime() - start).toNanos() / 1e9);
    } finally {
      pool.shutdown();
    }
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
