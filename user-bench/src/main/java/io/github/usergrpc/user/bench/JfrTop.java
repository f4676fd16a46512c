package io.github.usergrpc.user.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarizes the CPU samples of a JFR recording ({@code jdk.ExecutionSample}): the methods on top of the
 * stack (self time), the methods anywhere on it (total time), and with {@code --parts} the share of each
 * part of a UserService call ({@link CpuShares}), as shares of all samples; then the time the JVM spent in
 * GC pauses during the recording, which the samples do not see.
 *
 * <p>{@code BenchMain jfr-top --file rec.jfr [--top 25] [--filter io.github.usergrpc] [--parts]}
 */
final class JfrTop {

  private JfrTop() {}

  static void run(Args args) throws Exception {
    Path file = Path.of(args.string("file", "recording.jfr"));
    int top = args.integer("top", 25);
    String filter = args.string("filter", "");
    Map<String, Integer> self = new HashMap<>();
    Map<String, Integer> total = new HashMap<>();
    Map<String, Integer> parts = new HashMap<>();
    int samples = 0;
    Duration gc = Duration.ZERO;
    Instant first = null;
    Instant last = null;
    for (RecordedEvent event : RecordingFile.readAllEvents(file)) {
      first = first == null || event.getStartTime().isBefore(first) ? event.getStartTime() : first;
      last = last == null || event.getEndTime().isAfter(last) ? event.getEndTime() : last;
      if (event.getEventType().getName().equals("jdk.GarbageCollection")) {
        gc = gc.plus(event.getDuration());
        continue;
      }
      if (!event.getEventType().getName().equals("jdk.ExecutionSample")) {
        continue;
      }
      RecordedStackTrace stack = event.getStackTrace();
      if (stack == null || stack.getFrames().isEmpty()) {
        continue;
      }
      samples++;
      List<RecordedFrame> frames = stack.getFrames();
      self.merge(name(frames.get(0)), 1, Integer::sum);
      parts.merge(CpuShares.part(frames), 1, Integer::sum);
      Set<String> seen = new HashSet<>();
      for (RecordedFrame frame : frames) {
        String name = name(frame);
        if (seen.add(name)) {
          total.merge(name, 1, Integer::sum);
        }
      }
    }
    System.out.println(samples + " samples in " + file);
    print("self", self, samples, top, "");
    print("total", total, samples, top, filter);
    if (args.flag("parts")) {
      System.out.println("\nparts of a call (CpuShares):");
      for (String part : CpuShares.PARTS) {
        System.out.printf("%6.1f%%  %s%n", 100.0 * parts.getOrDefault(part, 0) / Math.max(samples, 1), part);
      }
    }
    if (first != null) {
      Duration span = Duration.between(first, last);
      System.out.printf("%nGC pauses: %d ms in %d ms of recording (%.1f%%)%n", gc.toMillis(), span.toMillis(),
          100.0 * gc.toNanos() / Math.max(span.toNanos(), 1));
    }
  }

  private static String name(RecordedFrame frame) {
    return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
  }

  private static void print(String title, Map<String, Integer> counts, int samples, int top, String filter) {
    System.out.println("\n" + title + (filter.isEmpty() ? "" : " (" + filter + "*)") + ":");
    counts.entrySet().stream()
        .filter(e -> e.getKey().startsWith(filter))
        .sorted((a, b) -> Integer.compare(b.getValue(), a.getValue()))
        .limit(top)
        .forEach(e -> System.out.printf("%6.1f%%  %s%n", 100.0 * e.getValue() / samples, e.getKey()));
  }
}
