package io.github.usergrpc.user.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * GC pauses over a phase of a benchmark: of a server process, from its {@code -Xlog:gc} file ({@link #jvmFlag}
 * writes it with the epoch milliseconds of each line), and of the bench JVM itself, from the collectors'
 * notifications ({@link #recordHere}).
 */
final class GcPauses {

  private static final Pattern PAUSE = Pattern.compile("^\\[([0-9]+)ms\\].*Pause.* ([0-9.]+)ms$");

  /** A pause: when it started (epoch milliseconds) and how long it took (milliseconds). */
  record Pause(double startMillis, double millis) {
    /** Whether the pause overlaps the span from {@code fromMillis} to {@code toMillis} (epoch). */
    boolean overlaps(double fromMillis, double toMillis) {
      return startMillis < toMillis && startMillis + millis > fromMillis;
    }
  }

  private final List<Pause> pauses;
  private final String collector;

  private GcPauses(List<Pause> pauses, String collector) {
    this.pauses = pauses;
    this.collector = collector;
  }

  List<Pause> pauses() {
    return pauses;
  }

  /** The JVM flag that logs a server's pauses to {@code log}, in the format {@link #fromLog} reads. */
  static String jvmFlag(Path log) {
    return "-Xlog:gc:file=" + log + ":timemillis";
  }

  /** Reads the pauses a server logged ({@link #jvmFlag}) from {@code fromMillis} (epoch) to {@code toMillis}. */
  static GcPauses fromLog(Path log, long fromMillis, long toMillis) throws IOException {
    List<Pause> pauses = new ArrayList<>();
    String collector = "";
    for (String line : Files.readAllLines(log)) {
      if (line.contains("Using ")) {
        collector = line.substring(line.indexOf("Using ") + 6);
      }
      Matcher m = PAUSE.matcher(line);
      if (m.find()) {
        long at = Long.parseLong(m.group(1));
        // The line is written as the pause ends.
        double millis = Double.parseDouble(m.group(2));
        if (at >= fromMillis && at - millis <= toMillis) {
          pauses.add(new Pause(at - millis, millis));
        }
      }
    }
    return new GcPauses(pauses, collector);
  }

  /** Records the bench JVM's own pauses from now until the returned recorder is stopped. */
  static Recorder recordHere() {
    return new Recorder();
  }

  /** Returns "collector: n pauses, total, max, over 10 ms". */
  String summary() {
    double max = pauses.stream().mapToDouble(Pause::millis).max().orElse(0);
    double sum = pauses.stream().mapToDouble(Pause::millis).sum();
    long over10 = pauses.stream().filter(p -> p.millis() > 10).count();
    return String.format(Locale.ROOT, "%s: %d pauses, total %.0f ms, max %.1f ms, %d over 10 ms", collector,
        pauses.size(), sum, max, over10);
  }

  /** The bench JVM's pauses, from the notifications of its collectors. */
  static final class Recorder {
    private final List<Pause> pauses = new ArrayList<>();
    private final long jvmStartMillis = ManagementFactory.getRuntimeMXBean().getStartTime();
    private final List<NotificationEmitter> emitters = new ArrayList<>();
    private final StringBuilder collectors = new StringBuilder();
    private final NotificationListener listener = (notification, handback) -> {
      if (notification.getType().equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
        GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from(
            (CompositeData) notification.getUserData());
        // G1's concurrent cycle is reported as a collection too, but does not stop the application.
        if (!info.getGcName().contains("Concurrent")) {
          synchronized (pauses) {
            pauses.add(new Pause(jvmStartMillis + info.getGcInfo().getStartTime(), info.getGcInfo().getDuration()));
          }
        }
      }
    };

    private Recorder() {
      for (GarbageCollectorMXBean bean : ManagementFactory.getGarbageCollectorMXBeans()) {
        if (bean instanceof NotificationEmitter emitter) {
          emitter.addNotificationListener(listener, null, null);
          emitters.add(emitter);
          collectors.append(collectors.length() == 0 ? "" : ", ").append(bean.getName());
        }
      }
    }

    /** Stops recording and returns the pauses (milliseconds, as the notifications round them). */
    GcPauses stop() {
      for (NotificationEmitter emitter : emitters) {
        try {
          emitter.removeNotificationListener(listener);
        } catch (javax.management.ListenerNotFoundException e) {
          throw new IllegalStateException(e);
        }
      }
      synchronized (pauses) {
        return new GcPauses(new ArrayList<>(pauses), "bench JVM (" + collectors + ")");
      }
    }
  }
}
