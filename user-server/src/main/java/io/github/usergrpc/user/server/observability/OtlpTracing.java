package io.github.usergrpc.user.server.observability;

import static java.util.Objects.requireNonNull;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.net.URI;
import java.util.concurrent.TimeUnit;

/**
 * The server process's tracing when {@code --otlp-endpoint} is given: an OpenTelemetry SDK that sends every
 * span, in batches, to an OTLP/HTTP collector (protobuf over the JDK's HttpClient), under a service name, and
 * propagates W3C trace context. Closing it sends what is left.
 */
public final class OtlpTracing implements AutoCloseable {

  /** The path OTLP/HTTP takes spans at, added to an endpoint given without a path. */
  public static final String TRACES_PATH = "/v1/traces";

  private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");

  private final OpenTelemetrySdk sdk;
  private final ServerTracing tracing;

  private OtlpTracing(OpenTelemetrySdk sdk) {
    this.sdk = sdk;
    this.tracing = new ServerTracing(sdk);
  }

  /**
   * Starts exporting. Nothing is sent until a span ends; a collector that cannot be reached loses spans
   * (logged by the exporter), never calls.
   *
   * @param endpoint the collector, such as {@code http://localhost:4318}; {@value #TRACES_PATH} is added
   *     when it has no path
   * @param serviceName the {@code service.name} of every span
   * @return the tracing
   */
  public static OtlpTracing start(URI endpoint, String serviceName) {
    requireNonNull(serviceName, "serviceName");
    OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder().setEndpoint(tracesUrl(endpoint)).build();
    SdkTracerProvider traces = SdkTracerProvider.builder()
        .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(SERVICE_NAME, serviceName))))
        .addSpanProcessor(BatchSpanProcessor.builder(exporter).build())
        .build();
    return new OtlpTracing(OpenTelemetrySdk.builder()
        .setTracerProvider(traces)
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build());
  }

  /**
   * Returns the URL spans are sent to: {@code endpoint}, with {@value #TRACES_PATH} when it has no path.
   *
   * @param endpoint an http or https URL
   * @return the URL
   */
  public static String tracesUrl(URI endpoint) {
    String url = endpoint.toString();
    String path = endpoint.getRawPath();
    if (path == null || path.isEmpty() || path.equals("/")) {
      return url.replaceFirst("/?$", "") + TRACES_PATH;
    }
    return url;
  }

  /** Returns the tracing for {@code UserServer.Builder.setTracing} and {@code HttpEdge.Builder.setTracing}. */
  public ServerTracing tracing() {
    return tracing;
  }

  /** Sends the spans ended so far and not sent yet, waiting up to 5 seconds. */
  void flush() {
    sdk.getSdkTracerProvider().forceFlush().join(5, TimeUnit.SECONDS);
  }

  /** Sends the spans not sent yet (waiting up to 5 seconds) and stops. */
  @Override
  public void close() {
    sdk.getSdkTracerProvider().shutdown().join(5, TimeUnit.SECONDS);
  }
}
