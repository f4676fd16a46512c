package io.github.usergrpc.user.server.http;

import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.server.DecoratingHttpServiceFunction;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import javax.annotation.Nullable;

/**
 * A SERVER span for every request on the HTTP port, {@code <method> <route>}, child of the W3C
 * {@code traceparent} the request carries, ended when its answer is (a watch: when the stream ends). The
 * request goes on with this span's {@code traceparent} in place of the caller's, so that the UserService
 * call it becomes (transcoded JSON, gRPC-Web, or the watch's in-process call) is a child of it, not a sibling.
 * Armeria 1.36 has no OpenTelemetry module of its own, hence this decorator.
 */
final class HttpTracing implements DecoratingHttpServiceFunction {

  private static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
  private static final AttributeKey<String> ROUTE = AttributeKey.stringKey("http.route");
  private static final AttributeKey<String> PATH = AttributeKey.stringKey("url.path");
  private static final AttributeKey<String> SCHEME = AttributeKey.stringKey("url.scheme");
  private static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
  private static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

  private static final Pattern PATH_VARIABLE = Pattern.compile("/:([A-Za-z0-9_]+)");

  private static final TextMapGetter<RequestHeaders> GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(RequestHeaders headers) {
      List<String> names = new ArrayList<>();
      headers.names().forEach(name -> names.add(name.toString()));
      return names;
    }

    @Override
    @Nullable
    public String get(@Nullable RequestHeaders headers, String key) {
      return headers == null ? null : headers.get(key);
    }
  };
  private static final TextMapSetter<RequestHeadersBuilder> SETTER = (headers, key, value) -> {
    if (headers != null) {
      headers.set(key, value);
    }
  };

  private final TextMapPropagator propagator;
  private final Tracer tracer;

  HttpTracing(OpenTelemetry openTelemetry, String scope) {
    this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
    this.tracer = openTelemetry.getTracer(scope);
  }

  @Override
  @SuppressWarnings("try") // the Scope only makes the span's context current while the request is served
  public HttpResponse serve(HttpService delegate, ServiceRequestContext ctx, HttpRequest req) throws Exception {
    Context parent = propagator.extract(Context.root(), req.headers(), GETTER);
    String method = req.method().name();
    // Armeria writes a path variable as :name, OpenTelemetry's http.route as {name}.
    String route = PATH_VARIABLE.matcher(ctx.config().route().patternString()).replaceAll("/{$1}");
    Span span = tracer.spanBuilder(method + " " + route).setParent(parent).setSpanKind(SpanKind.SERVER)
        .setAttribute(METHOD, method)
        .setAttribute(ROUTE, route)
        .setAttribute(PATH, ctx.path())
        .setAttribute(SCHEME, ctx.sessionProtocol().isTls() ? "https" : "http")
        .startSpan();
    Context context = parent.with(span);
    // Ends the span when the exchange is logged; nothing waits for that.
    var unused = ctx.log().whenComplete().thenAccept(log -> {
      int status = log.responseHeaders().status().code();
      span.setAttribute(STATUS, (long) status);
      if (status >= 500) {
        span.setAttribute(ERROR_TYPE, Integer.toString(status));
        span.setStatus(StatusCode.ERROR);
      }
      span.end();
    });
    RequestHeadersBuilder headers = req.headers().toBuilder();
    for (String field : propagator.fields()) {
      headers.remove(field);
    }
    propagator.inject(context, headers, SETTER);
    HttpRequest traced = req.withHeaders(headers.build());
    ctx.updateRequest(traced);
    try (Scope ignored = context.makeCurrent()) {
      return delegate.serve(ctx, traced);
    }
  }
}
