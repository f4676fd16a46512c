package io.github.usergrpc.user.server.observability;

import io.github.usergrpc.user.service.internal.LogThrottle;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.netty.handler.codec.http2.Http2Exception;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;
import java.util.logging.Filter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * Turns grpc-java's report of each malformed stream a client sends (a gRPC message whose length prefix runs
 * past the body, with reserved flag bits set, compressed without {@code grpc-encoding}, cut short; an HTTP/2
 * stream error) from a WARNING with a stack trace per stream into one line at most every
 * {@link #DEFAULT_INTERVAL}, counting the streams since the last line. The client gets its error either way
 * (INTERNAL, or RST_STREAM); the server's log cannot be flooded by a client sending garbage.
 *
 * <p>grpc-netty logs these through {@code io.grpc.netty.NettyServerStream} ("Exception processing message",
 * from {@code TransportState.deframeFailed}) and {@code io.grpc.netty.NettyServerHandler} ("Stream Error").
 * The filter is installed on those two loggers once per JVM; their other records pass through, to any filter
 * that was there before.
 */
public final class MalformedInputLog implements Filter {

  /** The least time between two lines. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofMinutes(1);

  private static final Logger logger = Logger.getLogger(MalformedInputLog.class.getName());
  private static final String DEFRAME_FAILED = "Exception processing message";
  private static final String STREAM_ERROR = "Stream Error";
  /** Held strongly: java.util.logging keeps loggers weakly, and a collected logger loses its filter. */
  private static final Logger[] GRPC_LOGGERS = {
      Logger.getLogger("io.grpc.netty.NettyServerStream"), Logger.getLogger("io.grpc.netty.NettyServerHandler")};
  private static boolean installed;

  @Nullable private final Filter next;
  private final LogThrottle throttle;

  MalformedInputLog(@Nullable Filter next, LongSupplier nanoTime, Duration interval) {
    this.next = next;
    this.throttle = new LogThrottle(interval, nanoTime);
  }

  /**
   * Installs the filter on grpc-netty's server loggers, once per JVM, with one count and one rate limit for
   * every server in it. Idempotent.
   */
  public static synchronized void install() {
    if (installed) {
      return;
    }
    for (Logger grpc : GRPC_LOGGERS) {
      grpc.setFilter(new MalformedInputLog(grpc.getFilter(), System::nanoTime, DEFAULT_INTERVAL));
    }
    installed = true;
  }

  @Override
  public boolean isLoggable(LogRecord record) {
    String cause = clientCausedError(record);
    if (cause == null) {
      return next == null || next.isLoggable(record);
    }
    throttle.tryAcquire().ifPresent(pass -> {
      long streams = pass.heldBack() + 1;
      logger.warning(String.format(Locale.ROOT, "refused %d malformed stream%s from clients %s; the last: %s "
          + "(logged at most once every %d s)", streams, streams == 1 ? "" : "s",
          pass.first() ? "so far" : "since the last report", cause, throttle.interval().toSeconds()));
    });
    return false;
  }

  /**
   * Returns a short description of the client's error if {@code record} is grpc-netty's report of one,
   * else null. The description is gRPC's or Netty's text about the framing, never bytes the client sent.
   */
  @Nullable
  private static String clientCausedError(LogRecord record) {
    Throwable thrown = record.getThrown();
    if (!Level.WARNING.equals(record.getLevel()) || thrown == null) {
      return null;
    }
    if (DEFRAME_FAILED.equals(record.getMessage())
        && (thrown instanceof StatusRuntimeException || thrown instanceof StatusException)) {
      return thrown.getMessage();
    }
    if (STREAM_ERROR.equals(record.getMessage()) && thrown instanceof Http2Exception http2) {
      return "HTTP/2 stream error " + http2.error();
    }
    return null;
  }
}
