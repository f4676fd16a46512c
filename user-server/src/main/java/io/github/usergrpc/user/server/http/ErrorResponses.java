package io.github.usergrpc.user.server.http;

import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.ContentTooLargeException;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.HttpResponseException;
import com.linecorp.armeria.server.HttpStatusException;
import com.linecorp.armeria.server.RequestTimeoutException;
import com.linecorp.armeria.server.ServerErrorHandler;
import com.linecorp.armeria.server.ServiceConfig;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.grpc.UnframedGrpcErrorHandler;
import io.grpc.Status;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * Makes every error of the HTTP port a {@code google.rpc.Status} in JSON ({@link RpcStatusJson}): the ones
 * of transcoded calls (with the details the service sent) and the ones Armeria answers itself (no route,
 * wrong method, malformed URL, too large, timeouts), never an HTML or plain-text page.
 */
final class ErrorResponses implements ServerErrorHandler, UnframedGrpcErrorHandler {

  private static final Logger logger = Logger.getLogger(ErrorResponses.class.getName());

  /** A request larger than this many bytes is refused (with 429 RESOURCE_EXHAUSTED, as the gateway did). */
  private final long maxRequestBytes;

  ErrorResponses(long maxRequestBytes) {
    this.maxRequestBytes = maxRequestBytes;
  }

  /** The error of a transcoded call: the status and details from the call's trailers. */
  @Override
  public HttpResponse handle(ServiceRequestContext ctx, Status status, AggregatedHttpResponse response) {
    String details = response.trailers().get(RpcStatusJson.detailsHeader());
    if (details == null) {
      details = response.headers().get(RpcStatusJson.detailsHeader());
    }
    return RpcStatusJson.response(RpcStatusJson.of(status, details)).toHttpResponse();
  }

  @Nullable
  @Override
  public HttpResponse onServiceException(ServiceRequestContext ctx, Throwable cause) {
    if (cause instanceof HttpStatusException e) {
      return render(ctx.request().headers(), e.httpStatus(), null).toHttpResponse();
    }
    if (cause instanceof HttpResponseException e) {
      return e.httpResponse();
    }
    if (cause instanceof ContentTooLargeException) {
      return tooLarge().toHttpResponse();
    }
    if (cause instanceof RequestTimeoutException) {
      return RpcStatusJson.response(HttpStatus.SERVICE_UNAVAILABLE,
          RpcStatusJson.plain(Status.Code.UNAVAILABLE, "the request took too long")).toHttpResponse();
    }
    logger.log(Level.SEVERE, "unexpected failure on the HTTP port", cause);
    return RpcStatusJson.response(RpcStatusJson.plain(Status.Code.INTERNAL, "internal error")).toHttpResponse();
  }

  @Override
  public AggregatedHttpResponse renderStatus(@Nullable ServiceRequestContext ctx, ServiceConfig config,
      @Nullable RequestHeaders headers, HttpStatus status, @Nullable String description, @Nullable Throwable cause) {
    return render(headers, status, description);
  }

  /** Answers a status that Armeria chose: a message for the client, never the cause. */
  private AggregatedHttpResponse render(@Nullable RequestHeaders headers, HttpStatus status,
      @Nullable String description) {
    String path = headers == null ? "" : headers.path();
    int code = status.code();
    String message;
    if (code == 404) {
      message = "no route for " + withoutQuery(path);
    } else if (code == 405) {
      message = "method " + (headers == null ? "" : headers.method()) + " is not allowed on " + withoutQuery(path);
    } else if (code == 413) {
      return tooLarge();
    } else if (code == 400) {
      message = description != null ? "bad request: " + description : "bad request";
    } else {
      message = description != null ? description : status.reasonPhrase();
    }
    Status.Code grpc = RpcStatusJson.PROTOCOL_CODES.getOrDefault(code,
        code >= 500 ? Status.Code.INTERNAL : Status.Code.INVALID_ARGUMENT);
    return RpcStatusJson.response(status, RpcStatusJson.plain(grpc, message));
  }

  /** The gateway answered 429 RESOURCE_EXHAUSTED, not 413, before; kept, so that clients need no new case. */
  private AggregatedHttpResponse tooLarge() {
    return RpcStatusJson.response(HttpStatus.TOO_MANY_REQUESTS, RpcStatusJson.plain(Status.Code.RESOURCE_EXHAUSTED,
        "the request is larger than " + maxRequestBytes + " bytes"));
  }

  private static String withoutQuery(String path) {
    int query = path.indexOf('?');
    return query < 0 ? path : path.substring(0, query);
  }
}
