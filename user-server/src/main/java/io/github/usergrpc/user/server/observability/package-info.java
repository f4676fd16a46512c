/**
 * What the server tells its operators: {@link io.github.usergrpc.user.server.observability.ServerMetrics}
 * (OpenTelemetry metrics, scraped in the Prometheus text format), {@link
 * io.github.usergrpc.user.server.observability.ServerTracing} (OpenTelemetry spans of calls and store
 * operations, and the trace id of the call log line; {@link
 * io.github.usergrpc.user.server.observability.OtlpTracing} sends them to a collector) and {@link
 * io.github.usergrpc.user.service.CallLoggingInterceptor} (one log line per call, with no request content).
 *
 * <p><b>Public API.</b> {@code ServerMetrics} is what {@code UserServer.Builder.setMetrics} takes, {@code
 * ServerTracing} what {@code setTracing} takes; the metric
 * names and the log line's fields are documented in the README and kept stable.
 */
package io.github.usergrpc.user.server.observability;
