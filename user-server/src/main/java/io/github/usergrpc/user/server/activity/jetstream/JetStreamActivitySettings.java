package io.github.usergrpc.user.server.activity.jetstream;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where the activity stream lives and how it is configured.
 *
 * @param servers NATS URLs ({@code nats://host:port}); a client uses any and follows the cluster
 * @param streamName the JetStream stream, such as {@code ACTIVITY}
 * @param subjectPrefix the subjects are {@code <prefix>.<encoded user id>}; the stream takes {@code <prefix>.>}
 * @param replicas 1, or 3 on a three-node cluster (an acknowledged event then survives the loss of one node)
 * @param maxAge how long the stream keeps an event: the store's activity retention
 * @param maxMessagesPerSubject the most events kept per user, or 0 for no such limit
 * @param duplicateWindow how long a message id is remembered, so that a retry with the same request id (or a
 *     relay that publishes an outbox row again) is stored once; at most {@code maxAge}
 * @param requestTimeout how long a publish or a stream request may take before the call fails with
 *     {@code StoreUnavailableException}; also the connect timeout
 * @param readerBatch the most messages a reader's consumer holds in memory ahead of its caller
 */
public record JetStreamActivitySettings(List<String> servers, String streamName, String subjectPrefix,
    int replicas, Duration maxAge, long maxMessagesPerSubject, Duration duplicateWindow, Duration requestTimeout,
    int readerBatch) {

  /** The default stream name. */
  public static final String DEFAULT_STREAM = "ACTIVITY";
  /** The default subject prefix. */
  public static final String DEFAULT_PREFIX = "activity";
  /** JetStream's own default duplicate window. */
  public static final Duration DEFAULT_DUPLICATE_WINDOW = Duration.ofMinutes(2);

  // A stream name must not contain '.', '*', '>', whitespace or path separators; a prefix is one or more
  // literal subject tokens.
  private static final Pattern STREAM_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*");

  public JetStreamActivitySettings {
    servers = List.copyOf(servers);
    if (servers.isEmpty()) {
      throw new IllegalArgumentException("servers: none given");
    }
    requireNonNull(streamName, "streamName");
    requireNonNull(subjectPrefix, "subjectPrefix");
    requireNonNull(maxAge, "maxAge");
    requireNonNull(duplicateWindow, "duplicateWindow");
    requireNonNull(requestTimeout, "requestTimeout");
    if (!STREAM_NAME.matcher(streamName).matches()) {
      throw new IllegalArgumentException("streamName: " + streamName + " (expected: letters, digits, - and _)");
    }
    if (!PREFIX.matcher(subjectPrefix).matches()) {
      throw new IllegalArgumentException("subjectPrefix: " + subjectPrefix + " (expected: literal subject tokens)");
    }
    if (replicas < 1 || replicas > 5) {
      throw new IllegalArgumentException("replicas: " + replicas + " (expected: 1 to 5)");
    }
    if (maxAge.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("maxAge: " + maxAge + " (expected: >= 1s)");
    }
    if (maxMessagesPerSubject < 0) {
      throw new IllegalArgumentException("maxMessagesPerSubject: " + maxMessagesPerSubject + " (expected: >= 0)");
    }
    if (duplicateWindow.isNegative() || duplicateWindow.isZero() || duplicateWindow.compareTo(maxAge) > 0) {
      throw new IllegalArgumentException("duplicateWindow: " + duplicateWindow + " (expected: > 0 and <= maxAge "
          + maxAge + ")");
    }
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("requestTimeout: " + requestTimeout + " (expected: > 0)");
    }
    if (readerBatch < 1) {
      throw new IllegalArgumentException("readerBatch: " + readerBatch + " (expected: >= 1)");
    }
  }

  /**
   * Returns the defaults for {@code servers} (comma-separated URLs): stream {@value #DEFAULT_STREAM}, prefix
   * {@value #DEFAULT_PREFIX}, one replica, 7 days, no per-user limit, a 2-minute duplicate window, 2-second
   * requests, readers 256 messages ahead.
   */
  public static JetStreamActivitySettings of(String servers) {
    return new JetStreamActivitySettings(List.of(servers.split(",")), DEFAULT_STREAM, DEFAULT_PREFIX, 1,
        Duration.ofDays(7), 0, DEFAULT_DUPLICATE_WINDOW, Duration.ofSeconds(2), 256);
  }

  /** Returns these settings with {@code replicas}. */
  public JetStreamActivitySettings withReplicas(int replicas) {
    return new JetStreamActivitySettings(servers, streamName, subjectPrefix, replicas, maxAge,
        maxMessagesPerSubject, duplicateWindow, requestTimeout, readerBatch);
  }

  /** Returns these settings with {@code maxAge}; the duplicate window shrinks to it when it is longer. */
  public JetStreamActivitySettings withMaxAge(Duration maxAge) {
    Duration window = duplicateWindow.compareTo(maxAge) > 0 ? maxAge : duplicateWindow;
    return new JetStreamActivitySettings(servers, streamName, subjectPrefix, replicas, maxAge,
        maxMessagesPerSubject, window, requestTimeout, readerBatch);
  }

  /** Returns these settings with {@code maxMessagesPerSubject} (0: no limit). */
  public JetStreamActivitySettings withMaxMessagesPerSubject(long maxMessagesPerSubject) {
    return new JetStreamActivitySettings(servers, streamName, subjectPrefix, replicas, maxAge,
        maxMessagesPerSubject, duplicateWindow, requestTimeout, readerBatch);
  }

  /** Returns these settings with {@code duplicateWindow}. */
  public JetStreamActivitySettings withDuplicateWindow(Duration duplicateWindow) {
    return new JetStreamActivitySettings(servers, streamName, subjectPrefix, replicas, maxAge,
        maxMessagesPerSubject, duplicateWindow, requestTimeout, readerBatch);
  }

  /** Returns these settings with {@code streamName}. */
  public JetStreamActivitySettings withStreamName(String streamName) {
    return new JetStreamActivitySettings(servers, streamName, subjectPrefix, replicas, maxAge,
        maxMessagesPerSubject, duplicateWindow, requestTimeout, readerBatch);
  }

  /** Returns these settings with {@code subjectPrefix}. */
  public JetStreamActivitySettings withSubjectPrefix(String subjectPrefix) {
    return new JetStreamActivitySettings(servers, streamName, subjectPrefix, replicas, maxAge,
        maxMessagesPerSubject, duplicateWindow, requestTimeout, readerBatch);
  }

  /** Returns these settings with {@code requestTimeout}. */
  public JetStreamActivitySettings withRequestTimeout(Duration requestTimeout) {
    return new JetStreamActivitySettings(servers, streamName, subjectPrefix, replicas, maxAge,
        maxMessagesPerSubject, duplicateWindow, requestTimeout, readerBatch);
  }

  /** Returns these settings with {@code readerBatch}. */
  public JetStreamActivitySettings withReaderBatch(int readerBatch) {
    return new JetStreamActivitySettings(servers, streamName, subjectPrefix, replicas, maxAge,
        maxMessagesPerSubject, duplicateWindow, requestTimeout, readerBatch);
  }
}
