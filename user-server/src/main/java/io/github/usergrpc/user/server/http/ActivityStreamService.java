package io.github.usergrpc.user.server.http;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.BadRequest;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpObject;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.ErrorReason;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.github.usergrpc.user.v1.WatchRequest;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code GET /v1/users/{user_id}/activity:watch}: WatchUserActivity as server-sent events when the client
 * accepts {@code text/event-stream} (each event with {@code id:} its sequence, so that {@code Last-Event-ID}
 * resumes), else as newline-delimited JSON. Armeria's transcoding covers unary methods only, hence this
 * service.
 *
 * <p>Each watch is a WatchUserActivity call on the server's in-process channel, so that authentication,
 * validation, limits and metrics are the gRPC ones. No thread waits for events: the call's listener writes
 * each event into the response stream, and the next event is requested only once the last one was written,
 * so a slow HTTP client holds back only its own stream. The response headers are sent when the gRPC stream
 * has started, so a watch of an unknown user is a plain 404. At most {@code maxWatches} watches are open on
 * the port; past that a watch is answered with 429 RESOURCE_EXHAUSTED.
 */
final class ActivityStreamService implements HttpService {

  /** How often an idle event stream gets a comment line, which keeps proxies from closing it. */
  static final Duration HEARTBEAT = Duration.ofSeconds(15);

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> REQUEST_ID =
      Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> RESUME_AFTER =
      Metadata.Key.of("activity-resume-after", Metadata.ASCII_STRING_MARSHALLER);
  private static final MediaType NDJSON = MediaType.parse("application/x-ndjson");
  private static final JsonFormat.Printer PRINTER = JsonFormat.printer()
      .alwaysPrintFieldsWithNoPresence()
      .omittingInsignificantWhitespace();

  private final Channel channel;
  private final int maxWatches;
  private final AtomicInteger open = new AtomicInteger();

  ActivityStreamService(Channel channel, int maxWatches) {
    this.channel = channel;
    this.maxWatches = maxWatches;
  }

  /** Returns the number of watches open now. */
  int openWatches() {
    return open.get();
  }

  @Override
  public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
    WatchRequest.Builder request = WatchRequest.newBuilder().setUserId(ctx.pathParam("userId"));
    List<BadRequest.FieldViolation> violations = new ArrayList<>();
    String resumeAfter = req.headers().get("last-event-id");
    for (String name : ctx.queryParams().names()) {
      if (name.equals("resume_after") || name.equals("resumeAfter")) {
        resumeAfter = ctx.queryParams().get(name);
      } else {
        violations.add(BadRequest.FieldViolation.newBuilder().setField(name)
            .setDescription("unknown query parameter " + name + " of WatchRequest").build());
      }
    }
    if (resumeAfter != null) {
      try {
        request.setResumeAfter(Long.parseLong(resumeAfter));
      } catch (NumberFormatException e) {
        violations.add(BadRequest.FieldViolation.newBuilder().setField("resume_after")
            .setDescription("expected an integer").build());
      }
    }
    if (!violations.isEmpty()) {
      return RpcStatusJson.response(RpcStatusJson.malformed("the query parameters do not match WatchRequest",
          violations)).toHttpResponse();
    }
    if (open.incrementAndGet() > maxWatches) {
      open.decrementAndGet();
      return RpcStatusJson.response(RpcStatusJson.error(ErrorReason.TOO_MANY_WATCHES,
          "this port has " + maxWatches + " open watches, its limit; retry later")).toHttpResponse();
    }
    // A watch runs until the client or the server ends it.
    ctx.clearRequestTimeout();
    String accept = req.headers().get(HttpHeaderNames.ACCEPT, "");
    Stream stream = new Stream(ctx, accept.contains("text/event-stream"));
    Metadata headers = new Metadata();
    String authorization = req.headers().get(HttpHeaderNames.AUTHORIZATION);
    if (authorization != null) {
      headers.put(AUTHORIZATION, authorization);
    }
    String requestId = req.headers().get("x-request-id");
    if (requestId != null) {
      headers.put(REQUEST_ID, requestId);
    }
    stream.start(request.build(), headers);
    return stream.response;
  }

  /** One watch: a gRPC call feeding one HTTP response. */
  private final class Stream extends ClientCall.Listener<ActivityEvent> {
    private final ServiceRequestContext ctx;
    private final boolean sse;
    private final HttpResponseWriter response = HttpResponse.streaming();
    private final ClientCall<WatchRequest, ActivityEvent> call;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile ScheduledFuture<?> heartbeat;

    Stream(ServiceRequestContext ctx, boolean sse) {
      this.ctx = ctx;
      this.sse = sse;
      this.call = channel.newCall(UserServiceGrpc.getWatchUserActivityMethod(), CallOptions.DEFAULT);
    }

    void start(WatchRequest request, Metadata headers) {
      // However the response ends, the watch ends with it; nothing waits for that.
      var unused = response.whenComplete().handle((ignored, cause) -> {
        end();
        call.cancel("the HTTP client went away", null);
        return null;
      });
      call.start(this, headers);
      call.sendMessage(request);
      call.halfClose();
      call.request(1);
    }

    @Override
    public void onHeaders(Metadata headers) {
      if (!started.compareAndSet(false, true)) {
        return;
      }
      ResponseHeadersBuilder head = ResponseHeaders.builder(HttpStatus.OK)
          .contentType(sse ? MediaType.EVENT_STREAM : NDJSON)
          .set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
      // Where this watch starts: a client that reconnects before the first event resumes from it.
      String resumeAfter = headers.get(RESUME_AFTER);
      if (resumeAfter != null) {
        head.set(RESUME_AFTER.name(), resumeAfter);
      }
      send(head.build());
      if (sse) {
        send(HttpData.ofUtf8(": stream started\n\n"));
        heartbeat = ctx.eventLoop().scheduleAtFixedRate(() -> send(HttpData.ofUtf8(":\n\n")),
            HEARTBEAT.toMillis(), HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
        if (ended.get()) {
          heartbeat.cancel(false);
        }
      }
    }

    @Override
    public void onMessage(ActivityEvent event) {
      if (response.tryWrite(HttpData.ofUtf8(format("activity", print(event), Long.toString(event.getSequence()))))) {
        // The next event is requested once the client has taken this one; nothing waits for that.
        var unused = response.whenConsumed().thenRun(() -> call.request(1));
      }
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      com.google.rpc.Status details = StatusProto.fromStatusAndTrailers(status, trailers);
      if (started.compareAndSet(false, true)) {
        var error = RpcStatusJson.response(details);
        send(error.headers());
        send(error.content());
      } else if (!status.isOk() && status.getCode() != Status.Code.CANCELLED) {
        send(HttpData.ofUtf8(format("error", RpcStatusJson.json(details), null)));
      }
      response.close();
      end();
    }

    /** Writes to the response unless the client has gone, which closed it: then there is no one to tell. */
    private void send(HttpObject object) {
      boolean unused = response.tryWrite(object);
    }

    private String format(String event, String json, String id) {
      if (!sse) {
        return (event.equals("error") ? "{\"error\":" + json + "}" : json) + "\n";
      }
      return (id == null ? "" : "id: " + id + "\n") + "event: " + event + "\ndata: " + json + "\n\n";
    }

    private void end() {
      if (ended.compareAndSet(false, true)) {
        open.decrementAndGet();
        ScheduledFuture<?> beat = heartbeat;
        if (beat != null) {
          beat.cancel(false);
        }
      }
    }
  }

  private static String print(ActivityEvent event) {
    try {
      return PRINTER.print(event);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("an ActivityEvent always prints", e);
    }
  }
}
