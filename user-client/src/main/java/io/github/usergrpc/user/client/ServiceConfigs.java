package io.github.usergrpc.user.client;

import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.Status;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds the gRPC service config (gRFC A6) that carries the client's retry and hedging policy, as the map
 * {@code ManagedChannelBuilder.defaultServiceConfig} takes: numbers as Double, durations as "1.5s".
 */
final class ServiceConfigs {

  private static final List<String> READS = List.of("GetUser", "ListUsers");
  private static final List<String> RETRY_WHEN_SAFE =
      List.of("CreateUser", "UpdateUser", "DeleteUser", "RecordActivity", "WatchUserActivity");

  private ServiceConfigs() {}

  static Map<String, Object> retrying(RetrySettings retry, Optional<HedgingSettings> hedging) {
    List<Object> methodConfigs = new ArrayList<>();
    if (retry.maxAttempts() > 1 || hedging.isPresent()) {
      Map<String, Object> reads = new LinkedHashMap<>();
      reads.put("name", names(READS));
      if (hedging.isPresent()) {
        reads.put("hedgingPolicy", hedgingPolicy(hedging.get(), retry));
      } else {
        reads.put("retryPolicy", retryPolicy(retry));
      }
      methodConfigs.add(reads);
    }
    if (retry.maxAttempts() > 1) {
      Map<String, Object> writes = new LinkedHashMap<>();
      writes.put("name", names(RETRY_WHEN_SAFE));
      writes.put("retryPolicy", retryPolicy(retry));
      methodConfigs.add(writes);
    }
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("methodConfig", methodConfigs);
    if (retry.throttlingMaxTokens() > 0 && retry.maxAttempts() > 1) {
      config.put("retryThrottling", Map.of(
          "maxTokens", (double) retry.throttlingMaxTokens(),
          "tokenRatio", retry.throttlingTokenRatio()));
    }
    return config;
  }

  private static List<Object> names(List<String> methods) {
    List<Object> names = new ArrayList<>();
    for (String method : methods) {
      names.add(Map.of("service", UserServiceGrpc.SERVICE_NAME, "method", method));
    }
    return names;
  }

  private static Map<String, Object> retryPolicy(RetrySettings retry) {
    Map<String, Object> policy = new LinkedHashMap<>();
    policy.put("maxAttempts", (double) retry.maxAttempts());
    policy.put("initialBackoff", seconds(retry.initialBackoff()));
    policy.put("maxBackoff", seconds(retry.maxBackoff()));
    policy.put("backoffMultiplier", retry.backoffMultiplier());
    policy.put("retryableStatusCodes", codes(retry));
    return policy;
  }

  private static Map<String, Object> hedgingPolicy(HedgingSettings hedging, RetrySettings retry) {
    Map<String, Object> policy = new LinkedHashMap<>();
    policy.put("maxAttempts", (double) hedging.maxAttempts());
    policy.put("hedgingDelay", seconds(hedging.delay()));
    policy.put("nonFatalStatusCodes", codes(retry));
    return policy;
  }

  private static List<Object> codes(RetrySettings retry) {
    return retry.retryableCodes().stream().map(Status.Code::name).sorted().map(c -> (Object) c).toList();
  }

  private static String seconds(Duration duration) {
    return BigDecimal.valueOf(duration.toNanos(), 9).stripTrailingZeros().toPlainString() + "s";
  }

  /** Returns the config as JSON, for people to read. */
  static String toJson(Object value) {
    StringBuilder json = new StringBuilder();
    write(json, value, "");
    return json.toString();
  }

  private static void write(StringBuilder json, Object value, String indent) {
    if (value instanceof Map<?, ?> map) {
      json.append("{");
      String inner = indent + "  ";
      int i = 0;
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        json.append(i++ == 0 ? "\n" : ",\n").append(inner).append('"').append(entry.getKey()).append("\": ");
        write(json, entry.getValue(), inner);
      }
      json.append(map.isEmpty() ? "}" : "\n" + indent + "}");
    } else if (value instanceof List<?> list) {
      json.append("[");
      String inner = indent + "  ";
      for (int i = 0; i < list.size(); i++) {
        json.append(i == 0 ? "\n" : ",\n").append(inner);
        write(json, list.get(i), inner);
      }
      json.append(list.isEmpty() ? "]" : "\n" + indent + "]");
    } else if (value instanceof String s) {
      json.append('"').append(s).append('"');
    } else if (value instanceof Double d && d == Math.rint(d)) {
      json.append(d.longValue());
    } else {
      json.append(value);
    }
  }
}
