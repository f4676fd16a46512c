package io.github.usergrpc.user.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedFrame;

/**
 * Attributes a CPU sample of the server to the part of a UserService call that spent it: each of our
 * interceptors, the handler and its store, gRPC's metrics, or the transport (grpc-java's and Netty's own
 * work, which the constant-answer server does too).
 *
 * <p>The stack is read from its top (the running method) down, and the first frame that belongs to a part
 * decides. Library frames that every part calls (the JDK, protobuf, protovalidate and CEL, grpc-java's API
 * such as {@code Context} and the forwarding calls) decide nothing, so that protobuf parsing under the
 * request parser counts as parsing, and a timer task that {@code Context.withDeadlineAfter} schedules
 * counts as the default deadline. grpc-java's internals and Netty decide "transport": when an interceptor
 * forwards {@code close} to the real call, what the transport then does is not the interceptor's.
 */
final class CpuShares {

  /** The parts, in the order of the report; "other" is what no rule claims (JIT, start-up, the feed). */
  static final List<String> PARTS = List.of("transport (grpc-java, Netty)", "metrics (grpc-opentelemetry, store"
      + " timing)", "call log", "default deadline", "auth", "request parsing", "error details", "validation",
      "watch headers", "call threads", "tracing", "handler: etag (SHA-256)", "handler: response message",
      "handler: store and the rest", "other");

  private static final Map<String, String> PROJECT_CLASSES = new LinkedHashMap<>();

  static {
    String service = "io.github.usergrpc.user.service.";
    String server = "io.github.usergrpc.user.server.";
    PROJECT_CLASSES.put("io.github.usergrpc.user.api.RequestValidator", "validation");
    PROJECT_CLASSES.put(service + "internal.ValidationInterceptor", "validation");
    PROJECT_CLASSES.put(service + "CallLoggingInterceptor", "call log");
    PROJECT_CLASSES.put(server + "DefaultDeadlineInterceptor", "default deadline");
    PROJECT_CLASSES.put(server + "AuthInterceptor", "auth");
    PROJECT_CLASSES.put(server + "AccessTokens", "auth");
    PROJECT_CLASSES.put(server + "Principal", "auth");
    PROJECT_CLASSES.put(service + "internal.RequestParsing", "request parsing");
    PROJECT_CLASSES.put(service + "internal.ErrorDetailsInterceptor", "error details");
    PROJECT_CLASSES.put(service + "internal.ErrorMapper", "error details");
    PROJECT_CLASSES.put(service + "internal.WatchHeaders", "watch headers");
    PROJECT_CLASSES.put(server + "CallThreads", "call threads");
    PROJECT_CLASSES.put(server + "observability.ServerMetrics", "metrics (grpc-opentelemetry, store timing)");
    PROJECT_CLASSES.put(server + "observability.ServerTracing", "tracing");
    PROJECT_CLASSES.put(server + "observability.TracingUserStore", "tracing");
    PROJECT_CLASSES.put(server + "observability.CurrentContextInterceptor", "tracing");
    PROJECT_CLASSES.put(service + "store.User.etag", "handler: etag (SHA-256)");
    PROJECT_CLASSES.put(service + "internal.Messages", "handler: response message");
    PROJECT_CLASSES.put(service + "internal.UserService", "handler: store and the rest");
    PROJECT_CLASSES.put(service + "store.", "handler: store and the rest");
  }

  private CpuShares() {}

  /** Returns the part of {@link #PARTS} that spent the sample whose frames are {@code frames}, top first. */
  static String part(List<RecordedFrame> frames) {
    for (RecordedFrame frame : frames) {
      String type = frame.getMethod().getType().getName();
      String method = type + "." + frame.getMethod().getName();
      if (type.startsWith("io.github.usergrpc.")) {
        for (Map.Entry<String, String> rule : PROJECT_CLASSES.entrySet()) {
          if (method.startsWith(rule.getKey())) {
            return rule.getValue();
          }
        }
        continue;
      }
      if (type.startsWith("io.grpc.override.") || type.startsWith("io.opentelemetry.instrumentation.")
          || type.startsWith("io.opentelemetry.sdk.trace.") || type.startsWith("io.opentelemetry.api.trace.")) {
        return "tracing";
      }
      if (type.startsWith("io.grpc.opentelemetry.") || type.startsWith("io.opentelemetry.")) {
        return "metrics (grpc-opentelemetry, store timing)";
      }
      if (type.startsWith("io.grpc.internal.") || type.startsWith("io.grpc.netty.") || type.startsWith("io.netty.")) {
        return "transport (grpc-java, Netty)";
      }
    }
    return "other";
  }
}
