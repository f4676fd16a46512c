package io.github.usergrpc.user.service;

import io.github.usergrpc.user.api.Headers;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.SocketAddress;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import javax.annotation.Nullable;

/**
 * Logs one structured line per call when it ends: at FINE for successes, at WARNING for errors, with the
 * method, status, duration, peer, the trace id when the call is traced (see user-server's {@code ServerTracing}) and the
 * request id of the {@value #REQUEST_ID_HEADER} header when the client sent one (echoed back in the response
 * headers). Requests, responses and headers are never
 * logged, so neither are tokens nor email addresses; the status message is not logged either, as it may
 * name a user id.
 *
 * <p>A server that does not log its calls (see {@link #CallLoggingInterceptor(boolean)}) still echoes the
 * request id.
 */
public final class CallLoggingInterceptor implements ServerInterceptor {

  /**
   * The request id header, {@link Headers#REQUEST_ID}; propagated from clients (and the HTTP gateway) when
   * present.
   */
  public static final String REQUEST_ID_HEADER = Headers.REQUEST_ID;

  private static final Logger logger = Logger.getLogger("io.github.usergrpc.user.server.calls");
  private static final Metadata.Key<String> REQUEST_ID = Headers.REQUEST_ID_KEY;
  /** A request id is echoed and logged only when it looks like one, so that logs cannot be forged. */
  private static final Pattern SAFE_REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  private final boolean logCalls;
  @Nullable private final Supplier<String> traceId;

  /**
   * Returns the request id a client sent, if it looks like one: only such an id is echoed and logged, on
   * every port, so that logs and response headers cannot be forged.
   *
   * @param sent the value of the {@link Headers#REQUEST_ID} header, or null when there was none
   * @return the id, or empty
   */
  public static Optional<String> safeRequestId(@Nullable String sent) {
    return sent != null && SAFE_REQUEST_ID.matcher(sent).matches() ? Optional.of(sent) : Optional.empty();
  }

  /** Creates the interceptor, logging every call. */
  public CallLoggingInterceptor() {
    this(true);
  }

  /**
   * Creates the interceptor.
   *
   * @param logCalls whether to log calls; without, it only echoes the request id (such as for a test fake,
   *     whose faults are failures on purpose)
   */
  public CallLoggingInterceptor(boolean logCalls) {
    this(logCalls, null);
  }

  /**
   * Creates the interceptor, logging the trace id of each call.
   *
   * @param logCalls whether to log calls
   * @param traceId returns the trace id of the call when the interceptor sees it (it runs inside the tracing
   *     interceptor), or null; such as {@code ServerTracing::currentTraceId}. Null for no tracing.
   */
  public CallLoggingInterceptor(boolean logCalls, @Nullable Supplier<String> traceId) {
    this.logCalls = logCalls;
    this.traceId = traceId;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    long start = System.nanoTime();
    String sent = headers.get(REQUEST_ID);
    String requestId = safeRequestId(sent).orElse(null);
    String trace = traceId == null ? null : traceId.get();
    return next.startCall(new SimpleForwardingServerCall<>(call) {
      private boolean headersSent;

      @Override
      public void sendHeaders(Metadata responseHeaders) {
        headersSent = true;
        if (requestId != null) {
          responseHeaders.put(REQUEST_ID, requestId);
        }
        super.sendHeaders(responseHeaders);
      }

      @Override
      public void close(Status status, Metadata trailers) {
        // A call that fails before any response (most errors) is answered with trailers only: the id goes
        // there, since that is when a caller needs it most.
        if (!headersSent && requestId != null) {
          trailers.put(REQUEST_ID, requestId);
        }
        Level level = status.isOk() ? Level.FINE : Level.WARNING;
        if (logCalls && logger.isLoggable(level)) {
          SocketAddress peer = getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
          logger.log(level, String.format(Locale.ROOT,
              "rpc method=%s status=%s duration_ms=%.3f peer=%s trace_id=%s request_id=%s",
              getMethodDescriptor().getFullMethodName(), status.getCode(), (System.nanoTime() - start) / 1e6,
              peer == null ? "-" : peer, trace == null ? "-" : trace, requestId == null ? "-" : requestId));
        }
        super.close(status, trailers);
      }
    }, headers);
  }
}
