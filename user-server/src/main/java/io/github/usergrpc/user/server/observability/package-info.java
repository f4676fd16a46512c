/**
 * What the server tells its operators: {@link io.github.usergrpc.user.server.observability.ServerMetrics}
 * (OpenTelemetry metrics, scraped in the Prometheus text format) and {@link
 * io.github.usergrpc.user.service.CallLoggingInterceptor} (one log line per call, with no request
 * content).
 *
 * <p><b>Public API.</b> {@code ServerMetrics} is what {@code UserServer.Builder.setMetrics} takes; the metric
 * names and the log line's fields are documented in the README and kept stable.
 */
package io.github.usergrpc.user.server.observability;
