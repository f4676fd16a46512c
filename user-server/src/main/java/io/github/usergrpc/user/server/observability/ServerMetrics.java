package io.github.usergrpc.user.server.observability;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpServer;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.service.store.ForwardingUserStore;
import io.github.usergrpc.user.service.store.UserStore;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerBuilder;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.opentelemetry.GrpcOpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.ExemplarFilter;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The server's metrics, in OpenTelemetry and scraped in the Prometheus text format: gRPC's own per-method
 * call counts, latency histograms and message sizes ({@code grpc.server.call.*}, from grpc-opentelemetry),
 * store operation latency ({@code user.store.operation.duration}, by operation and outcome), connection
 * pool usage ({@code user.store.pool.connections}, by state) and open watch streams
 * ({@code user.watch.streams}).
 */
public final class ServerMetrics implements AutoCloseable {

  /** The content type of {@link #scrape()}. */
  public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

  private static final AttributeKey<String> OPERATION = AttributeKey.stringKey("operation");
  private static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("outcome");
  private static final AttributeKey<String> STATE = AttributeKey.stringKey("state");
  private static final AttributeKey<String> GRPC_METHOD = AttributeKey.stringKey("grpc.method");
  private static final AttributeKey<String> GRPC_STATUS = AttributeKey.stringKey("grpc.status");

  private final PrometheusMetricReader reader = PrometheusMetricReader.create();
  private final SdkMeterProvider meterProvider;
  private final GrpcOpenTelemetry grpc;
  private final Meter meter;

  /** Creates the metrics; nothing is exported until {@link #scrape()} is called. */
  public ServerMetrics() {
    // No exemplars: the Prometheus text format we serve has no place for them, and no other reader exports
    // metrics (OTLP sends spans only), while the default trace-based filter looks the span up in the context
    // on every measurement, and a sampled one (with --otlp-endpoint) would be copied into a reservoir.
    meterProvider = SdkMeterProvider.builder().setExemplarFilter(ExemplarFilter.alwaysOff())
        .registerMetricReader(reader).build();
    OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setMeterProvider(meterProvider).build();
    grpc = GrpcOpenTelemetry.newBuilder().sdk(sdk).build();
    meter = sdk.getMeter("io.github.usergrpc.user.server");
  }

  /**
   * Records gRPC's per-call metrics for a server.
   *
   * @param transport the server builder, before it is built
   */
  public void instrument(ServerBuilder<?> transport) {
    grpc.configureServerBuilder(requireNonNull(transport, "transport"));
  }

  /**
   * Returns an interceptor that records gRPC's per-call metrics ({@code grpc.server.call.started},
   * {@code grpc.server.call.duration}, same names, units and labels) for calls on a transport that
   * grpc-opentelemetry cannot instrument, such as the HTTP port (Armeria). Its series carry their own
   * {@code otel_scope_name}, so that the two sources stay apart.
   */
  public ServerInterceptor callMetrics() {
    Meter http = meterProvider.get("io.github.usergrpc.user.server.http");
    LongCounter started = http.counterBuilder("grpc.server.call.started").setUnit("{call}")
        .setDescription("Number of server calls started").build();
    DoubleHistogram duration = http.histogramBuilder("grpc.server.call.duration").setUnit("s")
        .setDescription("Time taken to complete a call from server transport's perspective").build();
    // The attributes of each method, and of each method and status, made once: a call only looks them up.
    ConcurrentMap<String, Attributes[]> byMethod = new ConcurrentHashMap<>();
    Status.Code[] codes = Status.Code.values();
    return new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
          ServerCallHandler<ReqT, RespT> next) {
        Attributes[] attributes = byMethod.computeIfAbsent(call.getMethodDescriptor().getFullMethodName(), method -> {
          // [0]: the method; [1 + code]: the method and that status.
          Attributes[] made = new Attributes[1 + codes.length];
          made[0] = Attributes.of(GRPC_METHOD, method);
          for (Status.Code code : codes) {
            made[1 + code.value()] = Attributes.of(GRPC_METHOD, method, GRPC_STATUS, code.name());
          }
          return made;
        });
        started.add(1, attributes[0]);
        long start = System.nanoTime();
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            duration.record(seconds(start), attributes[1 + status.getCode().value()]);
            super.close(status, trailers);
          }
        }, headers);
      }
    };
  }

  /**
   * Returns {@code store} timing every operation.
   *
   * @param store the store
   * @return the timed store
   */
  public UserStore instrument(UserStore store) {
    DoubleHistogram duration = meter.histogramBuilder("user.store.operation.duration")
        .setDescription("Time a store operation took").setUnit("s").build();
    ConcurrentMap<String, Attributes> succeeded = new ConcurrentHashMap<>();
    ConcurrentMap<String, Attributes> failed = new ConcurrentHashMap<>();
    return new ForwardingUserStore(store) {
      @Override
      protected <T> T around(String operation, Supplier<T> call) {
        long start = System.nanoTime();
        try {
          T result = call.get();
          duration.record(seconds(start), succeeded.computeIfAbsent(operation,
              o -> Attributes.of(OPERATION, o, OUTCOME, "ok")));
          return result;
        } catch (RuntimeException e) {
          duration.record(seconds(start), failed.computeIfAbsent(operation,
              o -> Attributes.of(OPERATION, o, OUTCOME, "error")));
          throw e;
        }
      }
    };
  }

  /**
   * Reports the connection pool of a JDBC store.
   *
   * @param store the store
   */
  public void observePool(JdbcUserStore store) {
    requireNonNull(store, "store");
    meter.gaugeBuilder("user.store.pool.connections").ofLongs()
        .setDescription("Connections of the store's pool, by state").buildWithCallback(gauge -> {
          JdbcUserStore.PoolStats stats = store.poolStats();
          gauge.record(stats.active(), Attributes.of(STATE, "active"));
          gauge.record(stats.idle(), Attributes.of(STATE, "idle"));
          gauge.record(stats.awaiting(), Attributes.of(STATE, "awaiting"));
        });
  }

  /**
   * Reports the open watch streams.
   *
   * @param activeWatches returns the number of open streams
   */
  public void observeWatches(IntSupplier activeWatches) {
    requireNonNull(activeWatches, "activeWatches");
    meter.gaugeBuilder("user.watch.streams").ofLongs().setDescription("Open WatchUserActivity streams")
        .buildWithCallback(gauge -> gauge.record(activeWatches.getAsInt()));
  }

  /** Returns every metric in the Prometheus text format. */
  public String scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      PrometheusTextFormatWriter.create().write(out, reader.collect(), EscapingScheme.UNDERSCORE_ESCAPING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /**
   * Serves {@link #scrape()} at {@code /metrics} on its own port, for a Prometheus that should not reach the
   * API port.
   *
   * @param address where to listen; port 0 picks a free one
   * @return the running endpoint; close it to stop
   * @throws IOException if the address cannot be bound
   */
  public Endpoint serve(InetSocketAddress address) throws IOException {
    HttpServer server = HttpServer.create(address, 0);
    server.createContext("/metrics", exchange -> {
      try {
        byte[] body = scrape().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
      } finally {
        exchange.close();
      }
    });
    server.start();
    return new Endpoint(server);
  }

  /** A running {@code /metrics} endpoint. */
  public static final class Endpoint implements AutoCloseable {
    private final HttpServer server;

    private Endpoint(HttpServer server) {
      this.server = server;
    }

    /** Returns the port it listens on. */
    public int port() {
      return server.getAddress().getPort();
    }

    /** Stops it. */
    @Override
    public void close() {
      server.stop(0);
    }
  }

  /** Stops collecting. Idempotent. */
  @Override
  public void close() {
    meterProvider.close();
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
