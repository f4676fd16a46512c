package io.github.usergrpc.user.server.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MalformedInputLogTest {

  private final AtomicLong now = new AtomicLong();
  private final List<LogRecord> lines = new ArrayList<>();
  private final Logger summaries = Logger.getLogger(MalformedInputLog.class.getName());
  private final Handler handler = new Handler() {
    @Override
    public void publish(LogRecord record) {
      lines.add(record);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  MalformedInputLogTest() {
    summaries.addHandler(handler);
  }

  @AfterEach
  void removeHandler() {
    summaries.removeHandler(handler);
  }

  @Test
  void malformedStreams_areDroppedAndCountedOnOneLinePerInterval() {
    MalformedInputLog filter = new MalformedInputLog(null, now::get, Duration.ofSeconds(60));

    assertThat(filter.isLoggable(deframeFailed("gRPC frame header malformed: reserved bits not zero"))).isFalse();
    assertThat(lines).singleElement().satisfies(line -> {
      assertThat(line.getLevel()).isEqualTo(Level.WARNING);
      assertThat(line.getThrown()).isNull();
      assertThat(line.getMessage()).isEqualTo("refused 1 malformed stream from clients so far; the last: "
          + "INTERNAL: gRPC frame header malformed: reserved bits not zero (logged at most once every 60 s)");
    });

    for (int i = 0; i < 500; i++) {
      now.addAndGet(Duration.ofMillis(100).toNanos());
      assertThat(filter.isLoggable(deframeFailed("Encountered end-of-stream mid-frame"))).isFalse();
    }
    // 500 x 100 ms: 50 s, within the interval.
    assertThat(lines).hasSize(1);

    now.addAndGet(Duration.ofSeconds(10).toNanos());
    assertThat(filter.isLoggable(deframeFailed("Encountered end-of-stream mid-frame"))).isFalse();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(1).getMessage()).startsWith(
        "refused 501 malformed streams from clients since the last report; the last: INTERNAL: Encountered");
  }

  @Test
  void otherRecords_passThroughToTheFilterThatWasThere() {
    List<String> seen = new ArrayList<>();
    MalformedInputLog filter = new MalformedInputLog(record -> seen.add(record.getMessage()), now::get,
        Duration.ofSeconds(60));

    LogRecord other = new LogRecord(Level.WARNING, "Exception processing message");
    other.setThrown(new IllegalStateException("a bug, not a client"));
    assertThat(filter.isLoggable(other)).isTrue();
    LogRecord fine = new LogRecord(Level.FINE, "Stream Error");
    assertThat(filter.isLoggable(fine)).isTrue();
    assertThat(seen).containsExactly("Exception processing message", "Stream Error");
    assertThat(lines).isEmpty();
  }

  private static LogRecord deframeFailed(String description) {
    LogRecord record = new LogRecord(Level.WARNING, "Exception processing message");
    record.setLoggerName("io.grpc.netty.NettyServerStream");
    record.setThrown(Status.INTERNAL.withDescription(description).asRuntimeException());
    return record;
  }
}
