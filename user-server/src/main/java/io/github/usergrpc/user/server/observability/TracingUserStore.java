package io.github.usergrpc.user.server.observability;

import io.github.usergrpc.user.service.store.ForwardingUserStore;
import io.github.usergrpc.user.service.store.StoreException;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import io.github.usergrpc.user.service.store.UserStore;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.function.Supplier;

/**
 * A store that records a span per operation, {@code UserStore.<operation>}, child of the current span.
 * INTERNAL rather than a database CLIENT span: one store operation may be several statements in a
 * transaction, or no database at all (the in-memory store). The span carries the outcome's exception type
 * ({@code error.type}), never its message, which may hold an email address or SQL; only a failure of the
 * store itself (unavailable, or unexpected) marks the span as an error, not an answer such as not found.
 */
final class TracingUserStore extends ForwardingUserStore {

  private static final AttributeKey<String> OPERATION = AttributeKey.stringKey("user.store.operation");
  private static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

  private final Tracer tracer;

  TracingUserStore(UserStore delegate, Tracer tracer) {
    super(delegate);
    this.tracer = tracer;
  }

  @Override
  protected <T> T around(String operation, Supplier<T> call) {
    Context parent = Context.current();
    if (!Span.fromContext(parent).getSpanContext().isValid()) {
      return call.get();
    }
    Span span = tracer.spanBuilder("UserStore." + operation).setParent(parent).setSpanKind(SpanKind.INTERNAL)
        .setAttribute(OPERATION, operation).startSpan();
    try (Scope ignored = span.makeCurrent()) {
      return call.get();
    } catch (RuntimeException e) {
      span.setAttribute(ERROR_TYPE, e.getClass().getName());
      if (e instanceof StoreUnavailableException || !(e instanceof StoreException)) {
        span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
      }
      throw e;
    } finally {
      span.end();
    }
  }
}
