package io.github.usergrpc.user.server.http;

import static java.util.Objects.requireNonNull;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.Descriptors;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.TypeRegistry;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.github.usergrpc.user.v1.UserProto;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The HTTP/JSON gateway of the UserService: serves the REST routes that user.proto declares with
 * {@code google.api.http} options by transcoding each request into a gRPC call on a {@link Channel} to the
 * same service, so that validation, authentication, limits and error mapping are the service's own.
 *
 * <p>JSON follows the proto3 JSON mapping ({@link JsonFormat}: camelCase out, camelCase or snake_case in,
 * unknown fields rejected). Path variables and, for routes without a body, query parameters fill request
 * fields. Errors are the {@code google.rpc.Status} as JSON with the HTTP status google/rpc/code.proto gives
 * the code. The watch route streams server-sent events when the client accepts {@code text/event-stream}
 * (each with {@code id:} its sequence, so {@code Last-Event-ID} resumes), else newline-delimited JSON.
 *
 * <p>Each streaming watch holds one of the gateway's threads while it runs.
 */
public final class HttpGateway implements AutoCloseable {

  /** The default of {@link #start}'s thread count: concurrent requests, watches included. */
  public static final int DEFAULT_THREADS = 64;
  /** The largest request body accepted. */
  public static final int MAX_BODY_BYTES = 1024 * 1024;
  /** The deadline of the gRPC call behind each non-streaming request. */
  public static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

  private static final Logger logger = Logger.getLogger(HttpGateway.class.getName());
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> REQUEST_ID =
      Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);
  private static final Duration HEARTBEAT = Duration.ofSeconds(15);
  private static final Object STREAM_STARTED = new Object();

  private final HttpServer server;
  private final ExecutorService executor;
  private final Channel channel;
  private final List<Route> routes;
  private final JsonFormat.Printer printer;
  private final JsonFormat.Parser parser = JsonFormat.parser();

  private HttpGateway(HttpServer server, ExecutorService executor, Channel channel) {
    this.server = server;
    this.executor = executor;
    this.channel = channel;
    this.routes = routes();
    this.printer = JsonFormat.printer()
        .usingTypeRegistry(TypeRegistry.newBuilder()
            .add(ErrorInfo.getDescriptor())
            .add(BadRequest.getDescriptor())
            .build())
        .alwaysPrintFieldsWithNoPresence()
        .omittingInsignificantWhitespace();
  }

  /**
   * Starts serving.
   *
   * @param address where to listen; port 0 picks a free port
   * @param channel a channel to the UserService, such as an in-process channel to the same server; the
   *     gateway does not own it
   * @param threads how many requests (watches included) it serves at once
   * @return the running gateway
   * @throws IOException if the address cannot be bound
   */
  public static HttpGateway start(InetSocketAddress address, Channel channel, int threads) throws IOException {
    requireNonNull(address, "address");
    requireNonNull(channel, "channel");
    if (threads < 1) {
      throw new IllegalArgumentException("threads: " + threads + " (expected: >= 1)");
    }
    HttpServer server = HttpServer.create(address, 0);
    AtomicInteger count = new AtomicInteger();
    ExecutorService executor = Executors.newFixedThreadPool(threads, runnable -> {
      Thread thread = new Thread(runnable, "user-http-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    server.setExecutor(executor);
    HttpGateway gateway = new HttpGateway(server, executor, channel);
    server.createContext("/v1/", gateway::handle);
    server.start();
    return gateway;
  }

  /** Returns the port the gateway listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /**
   * Serves a plain-text endpoint beside the API, such as {@code /metrics}.
   *
   * @param path the exact path
   * @param contentType the content type of the body
   * @param body produces the body of each request
   */
  public void addTextEndpoint(String path, String contentType, Supplier<String> body) {
    requireNonNull(body, "body");
    server.createContext(path, exchange -> {
      try {
        if (!exchange.getRequestURI().getPath().equals(path) || !exchange.getRequestMethod().equals("GET")) {
          sendStatus(exchange, Status.NOT_FOUND.withDescription("no such resource"), new Metadata());
          return;
        }
        byte[] bytes = body.get().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(200, bytes.length);
        exchange.getResponseBody().write(bytes);
      } finally {
        exchange.close();
      }
    });
  }

  /**
   * Stops at once, ending requests still in flight. Close it after the gRPC server has finished its calls:
   * every request here is such a call, so none is left then. Idempotent.
   */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange exchange) {
    try {
      dispatch(exchange);
    } catch (StatusRuntimeException e) {
      try {
        sendStatus(exchange, e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
      } catch (IOException gone) {
        logger.log(Level.FINE, "the HTTP client went away", gone);
      }
    } catch (IOException e) {
      logger.log(Level.FINE, "the HTTP client went away", e);
    } catch (RuntimeException e) {
      logger.log(Level.SEVERE, "unexpected failure in the HTTP gateway", e);
      try {
        sendStatus(exchange, Status.INTERNAL.withDescription("internal error"), new Metadata());
      } catch (IOException gone) {
        logger.log(Level.FINE, "the HTTP client went away", gone);
      }
    } finally {
      exchange.close();
    }
  }

  private void dispatch(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getRawPath();
    String verb = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
    boolean pathKnown = false;
    for (Route route : routes) {
      Optional<Map<String, String>> variables = route.path().match(path);
      if (variables.isEmpty()) {
        continue;
      }
      pathKnown = true;
      if (route.verb().equals(verb)) {
        Message request = request(exchange, route, variables.get());
        Metadata headers = forwardedHeaders(exchange);
        if (route.method().getType() == MethodDescriptor.MethodType.SERVER_STREAMING) {
          watch(exchange, route, request, headers);
        } else {
          Message response = ClientCalls.blockingUnaryCall(
              ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)),
              route.method(), CallOptions.DEFAULT.withDeadlineAfter(CALL_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS),
              request);
          sendJson(exchange, 200, printer.print(response));
        }
        return;
      }
    }
    if (pathKnown) {
      sendJson(exchange, 405, printer.print(details(
          Status.UNIMPLEMENTED.withDescription("method " + verb + " is not allowed on " + path), new Metadata())));
      return;
    }
    throw Status.NOT_FOUND.withDescription("no route for " + path).asRuntimeException();
  }

  private Message request(HttpExchange exchange, Route route, Map<String, String> variables) throws IOException {
    Message.Builder request = route.prototype().newBuilderForType();
    Descriptors.Descriptor type = request.getDescriptorForType();
    if (route.body().equals("*")) {
      String json = readBody(exchange);
      if (!json.isBlank()) {
        try {
          parser.merge(json, request);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
          throw invalid("the body is not a valid " + type.getName() + " in JSON: " + e.getMessage());
        }
      }
    }
    String query = exchange.getRequestURI().getRawQuery();
    if (query != null && !query.isEmpty()) {
      if (route.body().equals("*")) {
        throw invalid("this route takes its fields from the body, not from query parameters");
      }
      for (String pair : query.split("&")) {
        int equals = pair.indexOf('=');
        String name = URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals), StandardCharsets.UTF_8);
        String value = equals < 0 ? "" : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
        set(request, field(type, name), value);
      }
    }
    for (Map.Entry<String, String> variable : variables.entrySet()) {
      set(request, field(type, variable.getKey()), variable.getValue());
    }
    if (route.method().getType() == MethodDescriptor.MethodType.SERVER_STREAMING) {
      String lastEventId = exchange.getRequestHeaders().getFirst("Last-Event-ID");
      FieldDescriptor resumeAfter = type.findFieldByName("resume_after");
      if (lastEventId != null && resumeAfter != null && !request.hasField(resumeAfter)) {
        set(request, resumeAfter, lastEventId);
      }
    }
    return request.build();
  }

  private static FieldDescriptor field(Descriptors.Descriptor type, String name) {
    FieldDescriptor field = type.findFieldByName(name);
    if (field == null) {
      field = type.getFields().stream().filter(f -> f.getJsonName().equals(name)).findFirst().orElse(null);
    }
    if (field == null || field.isRepeated() || field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
      throw invalid("unknown parameter " + name + " for " + type.getName());
    }
    return field;
  }

  private static void set(Message.Builder request, FieldDescriptor field, String value) {
    try {
      Object parsed = switch (field.getJavaType()) {
        case STRING -> value;
        case INT -> Integer.parseInt(value);
        case LONG -> Long.parseLong(value);
        case BOOLEAN -> parseBoolean(value);
        default -> throw invalid("parameter " + field.getName() + " cannot be set from a URL");
      };
      request.setField(field, parsed);
    } catch (NumberFormatException e) {
      throw invalid("parameter " + field.getName() + ": " + value + " (expected: a number)");
    }
  }

  private static boolean parseBoolean(String value) {
    if (value.equals("true") || value.equals("false")) {
      return Boolean.parseBoolean(value);
    }
    throw new NumberFormatException(value);
  }

  private static String readBody(HttpExchange exchange) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
      if (bytes.length > MAX_BODY_BYTES) {
        throw Status.RESOURCE_EXHAUSTED.withDescription("the body is larger than " + MAX_BODY_BYTES + " bytes")
            .asRuntimeException();
      }
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }

  private static Metadata forwardedHeaders(HttpExchange exchange) {
    Metadata headers = new Metadata();
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    if (authorization != null) {
      headers.put(AUTHORIZATION, authorization);
    }
    String requestId = exchange.getRequestHeaders().getFirst("X-Request-Id");
    if (requestId != null) {
      headers.put(REQUEST_ID, requestId);
    }
    return headers;
  }

  /**
   * Streams a watch: response headers once the gRPC stream has started (so a watch of an unknown user still
   * gets a plain 404), then one event at a time, asking the server for the next event only after the last
   * one was written: a slow HTTP client holds back its own stream and nothing else.
   */
  private void watch(HttpExchange exchange, Route route, Message request, Metadata headers) throws IOException {
    String accept = Optional.ofNullable(exchange.getRequestHeaders().getFirst("Accept")).orElse("");
    boolean sse = accept.contains("text/event-stream");
    BlockingQueue<Object> signals = new LinkedBlockingQueue<>();
    ClientCall<Message, Message> call = channel.newCall(route.method(), CallOptions.DEFAULT);
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onHeaders(Metadata responseHeaders) {
        signals.add(STREAM_STARTED);
      }

      @Override
      public void onMessage(Message message) {
        signals.add(message);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        signals.add(new Closed(status, trailers));
      }
    }, headers);
    call.sendMessage(request);
    call.halfClose();
    call.request(1);
    OutputStream body = null;
    try {
      while (true) {
        Object signal = signals.poll(HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
        if (signal instanceof Closed closed) {
          if (body == null) {
            sendStatus(exchange, closed.status(), closed.trailers());
          } else if (!closed.status().isOk()) {
            write(body, sse, "error", printer.print(details(closed.status(), closed.trailers())), null);
          }
          return;
        }
        if (body == null && signal != null) {
          exchange.getResponseHeaders().set("Content-Type", sse ? "text/event-stream" : "application/x-ndjson");
          exchange.getResponseHeaders().set("Cache-Control", "no-cache");
          exchange.sendResponseHeaders(200, 0);
          body = exchange.getResponseBody();
          if (sse) {
            body.write(": stream started\n\n".getBytes(StandardCharsets.UTF_8));
            body.flush();
          }
        }
        if (signal instanceof Message event) {
          FieldDescriptor sequence = event.getDescriptorForType().findFieldByName("sequence");
          write(body, sse, "activity", printer.print(event),
              sequence == null ? null : event.getField(sequence).toString());
          call.request(1);
        } else if (signal == null && body != null && sse) {
          // A comment line keeps proxies from closing an idle stream and finds clients that went away.
          body.write(":\n\n".getBytes(StandardCharsets.UTF_8));
          body.flush();
        }
      }
    } catch (IOException clientGone) {
      call.cancel("the HTTP client went away", null);
      throw clientGone;
    } catch (InterruptedException e) {
      call.cancel("the gateway is shutting down", null);
      Thread.currentThread().interrupt();
    }
  }

  private static void write(OutputStream body, boolean sse, String event, String json, String id)
      throws IOException {
    StringBuilder text = new StringBuilder();
    if (sse) {
      if (id != null) {
        text.append("id: ").append(id).append('\n');
      }
      text.append("event: ").append(event).append('\n').append("data: ").append(json).append("\n\n");
    } else {
      text.append(event.equals("error") ? "{\"error\":" + json + "}" : json).append('\n');
    }
    body.write(text.toString().getBytes(StandardCharsets.UTF_8));
    body.flush();
  }

  private void sendStatus(HttpExchange exchange, Status status, Metadata trailers) throws IOException {
    sendJson(exchange, HttpStatuses.of(status.getCode()), printer.print(details(status, trailers)));
  }

  private static com.google.rpc.Status details(Status status, Metadata trailers) {
    com.google.rpc.Status details = StatusProto.fromStatusAndTrailers(status, trailers);
    return details != null ? details : com.google.rpc.Status.newBuilder()
        .setCode(status.getCode().value())
        .setMessage(Optional.ofNullable(status.getDescription()).orElse(status.getCode().name()))
        .build();
  }

  private static void sendJson(HttpExchange exchange, int status, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  private static StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }

  /** Reads the routes from the google.api.http options of user.proto. */
  @SuppressWarnings("unchecked")
  private static List<Route> routes() {
    List<Route> routes = new ArrayList<>();
    Descriptors.ServiceDescriptor service = UserProto.getDescriptor().findServiceByName("UserService");
    for (Descriptors.MethodDescriptor method : service.getMethods()) {
      HttpRule rule = method.getOptions().getExtension(AnnotationsProto.http);
      String verb;
      String template;
      switch (rule.getPatternCase()) {
        case GET -> {
          verb = "GET";
          template = rule.getGet();
        }
        case POST -> {
          verb = "POST";
          template = rule.getPost();
        }
        case PATCH -> {
          verb = "PATCH";
          template = rule.getPatch();
        }
        case PUT -> {
          verb = "PUT";
          template = rule.getPut();
        }
        case DELETE -> {
          verb = "DELETE";
          template = rule.getDelete();
        }
        default -> {
          continue;
        }
      }
      MethodDescriptor<Message, Message> grpcMethod = (MethodDescriptor<Message, Message>)
          UserServiceGrpc.getServiceDescriptor().getMethods().stream()
              .filter(m -> m.getFullMethodName().equals(
                  MethodDescriptor.generateFullMethodName(service.getFullName(), method.getName())))
              .findFirst()
              .orElseThrow();
      Message prototype = (Message) ((MethodDescriptor.PrototypeMarshaller<?>) grpcMethod.getRequestMarshaller())
          .getMessagePrototype();
      routes.add(new Route(verb, PathTemplate.parse(template), rule.getBody(), grpcMethod, prototype));
    }
    return List.copyOf(routes);
  }

  private record Route(String verb, PathTemplate path, String body, MethodDescriptor<Message, Message> method,
      Message prototype) {}

  private record Closed(Status status, Metadata trailers) {}
}
