package io.github.usergrpc.user.server.http;

import static java.util.Objects.requireNonNull;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.Descriptors;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.TlsKeyPair;
import com.linecorp.armeria.server.Route;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.cors.CorsService;
import com.linecorp.armeria.server.docs.DocService;
import com.linecorp.armeria.server.grpc.GrpcService;
import com.linecorp.armeria.server.grpc.HttpJsonTranscodingOptions;
import com.linecorp.armeria.server.grpc.HttpJsonTranscodingQueryParamMatchRule;
import io.github.usergrpc.user.api.Headers;
import io.github.usergrpc.user.server.observability.ServerTracing;
import io.github.usergrpc.user.service.CallLoggingInterceptor;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.MethodDescriptor;
import io.grpc.ServerInterceptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import io.netty.handler.ssl.ClientAuth;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import javax.annotation.Nullable;

/**
 * The HTTP port of the UserService, on Armeria (Netty): REST + JSON transcoded from the
 * {@code google.api.http} options of user.proto, gRPC-Web for browsers, and the activity watch as
 * server-sent events or newline-delimited JSON.
 *
 * <p>The unary routes run the server's own {@link ServerServiceDefinition}, with every interceptor it has
 * (authentication, deadline, call log, validation, error details), so they behave as the same calls on the
 * gRPC port; the watch is a call on the server's in-process channel ({@link ActivityStreamService}). JSON is
 * checked strictly before it reaches the service ({@link JsonRequests}, {@link StrictJson}), and every error
 * is a {@code google.rpc.Status} in JSON ({@link ErrorResponses}).
 *
 * <p>Against slow or hostile clients: a connection that sends no complete request head for
 * {@link #DEFAULT_IDLE_TIMEOUT} (so also one trickling its headers) is closed, as is an idle keep-alive
 * connection; once its head is in, a request's body must arrive and its answer be sent within
 * {@link #DEFAULT_REQUEST_TIMEOUT}, else it is answered 503 and ends (watches excepted); request heads are
 * at most 8 KiB, bodies at most
 * {@link #DEFAULT_MAX_REQUEST_BYTES}; at most {@link #DEFAULT_MAX_CONNECTIONS} connections are open and
 * {@link #DEFAULT_MAX_WATCHES} watches. No thread is held by a waiting connection or an open watch.
 *
 * <pre>{@code
 * HttpEdge edge = HttpEdge.newBuilder(server.userService(), inProcessChannel)
 *     .setAddress(new InetSocketAddress("127.0.0.1", 8080))
 *     .build()
 *     .start();
 * ...
 * edge.close();
 * }</pre>
 */
public final class HttpEdge implements AutoCloseable {

  /** Where the OpenAPI document of the HTTP API is served. */
  public static final String OPENAPI_ROUTE = "/openapi.json";
  /** Where the console page is served: list users, pick one, watch its activity (gRPC-Web). */
  public static final String CONSOLE_ROUTE = ConsolePage.ROUTE;
  /** Where the documentation page is served, with {@link Builder#enableDocs()}. */
  public static final String DOCS_ROUTE = "/docs/";
  /** The OpenAPI document, generated from user.proto by scripts/openapi-check.sh. */
  private static final String OPENAPI_RESOURCE = "/io/github/usergrpc/user/server/openapi.json";

  /** The default of {@link Builder#setRequestTimeout}. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
  /** The default of {@link Builder#setIdleTimeout}. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(15);
  /** The default of {@link Builder#setMaxConnections}. */
  public static final int DEFAULT_MAX_CONNECTIONS = 20_000;
  /** The default of {@link Builder#setMaxWatches}. */
  public static final int DEFAULT_MAX_WATCHES = 10_000;
  /** The default of {@link Builder#setMaxRequestBytes}: the largest request body accepted. */
  public static final int DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;
  /** The path of the watch route, as user.proto's {@code google.api.http} option of WatchUserActivity has it. */
  static final String WATCH_ROUTE = "regex:^/v1/users/(?<userId>[^/]+)/activity:watch$";
  /** Armeria's default HTTP/2 flow-control window. */
  private static final int DEFAULT_HTTP2_WINDOW = 1024 * 1024;
  /** Threads that run the service's unary calls (which may wait for the store), unless on the event loop. */
  static final int CALL_THREADS = 32;

  private final Server server;
  private final ActivityStreamService watches;

  private HttpEdge(Server server, ActivityStreamService watches) {
    this.server = server;
    this.watches = watches;
  }

  /**
   * Returns a new builder.
   *
   * @param service the UserService with its interceptors, as the gRPC port serves it
   * @param channel a channel to the same service in this process, for the watch; the edge does not own it
   * @return the builder
   */
  public static Builder newBuilder(ServerServiceDefinition service, Channel channel) {
    return new Builder(service, channel);
  }

  /**
   * Starts listening.
   *
   * @return this
   * @throws IOException if the address cannot be bound
   * @throws IllegalStateException if the TLS files cannot be read
   */
  public HttpEdge start() throws IOException {
    try {
      server.start().join();
    } catch (CompletionException e) {
      // A port that cannot be bound is an I/O failure, as with the gRPC port; anything else is not.
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IllegalStateException("cannot listen on the HTTP port: " + e.getCause().getMessage(), e.getCause());
    }
    return this;
  }

  /** Returns the port it listens on. */
  public int port() {
    return server.activeLocalPort();
  }

  /** Returns the number of watch streams open on this port. */
  public int openWatches() {
    return watches.openWatches();
  }

  /**
   * Stops at once, closing every connection, watches included. Close it after the gRPC server has finished
   * its calls. Idempotent.
   */
  @Override
  public void close() {
    server.stop().join();
  }

  /** Builds an {@link HttpEdge}. */
  public static final class Builder {
    private final ServerServiceDefinition service;
    private final Channel channel;
    private InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    @Nullable private Path tlsCert;
    @Nullable private Path tlsKey;
    @Nullable private Path tlsClientCa;
    @Nullable private Supplier<String> metrics;
    @Nullable private ServerTracing tracing;
    private boolean docs;
    private List<String> corsOrigins = List.of();
    private final List<ServerInterceptor> interceptors = new ArrayList<>();
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private int maxWatches = DEFAULT_MAX_WATCHES;
    private int maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES;
    private boolean callsOnEventLoop;

    private Builder(ServerServiceDefinition service, Channel channel) {
      this.service = requireNonNull(service, "service");
      this.channel = requireNonNull(channel, "channel");
    }

    /**
     * Sets where to listen. If not called, the loopback address (127.0.0.1) on a free port.
     *
     * @param address the address; port 0 picks a free port
     * @return this
     */
    public Builder setAddress(InetSocketAddress address) {
      this.address = requireNonNull(address, "address");
      return this;
    }

    /**
     * Serves HTTPS only, with this certificate. If not called, plaintext HTTP.
     *
     * @param certChain the certificate chain (PEM)
     * @param privateKey its private key (PEM, PKCS#8)
     * @return this
     */
    public Builder setTls(Path certChain, Path privateKey) {
      this.tlsCert = requireNonNull(certChain, "certChain");
      this.tlsKey = requireNonNull(privateKey, "privateKey");
      return this;
    }

    /**
     * Requires a client certificate signed by one of these CAs on every connection (mutual TLS); needs
     * {@link #setTls}. If not called, no client certificate is asked for.
     *
     * @param caCertificates the CA certificates (PEM)
     * @return this
     */
    public Builder setClientCa(Path caCertificates) {
      this.tlsClientCa = requireNonNull(caCertificates, "caCertificates");
      return this;
    }

    /**
     * Also serves {@code GET /metrics}. If not called, there is no such route.
     *
     * @param scrape returns the metrics in the Prometheus text format
     * @return this
     */
    public Builder setMetrics(Supplier<String> scrape) {
      this.metrics = requireNonNull(scrape, "scrape");
      return this;
    }

    /**
     * Traces every request: a SERVER span per request continuing its W3C {@code traceparent}, with the
     * UserService call it makes as a child (see {@link HttpTracing}). Give it the same tracing as the server's.
     * If not called, nothing is traced.
     *
     * @param tracing the tracing
     * @return this
     */
    public Builder setTracing(ServerTracing tracing) {
      this.tracing = requireNonNull(tracing, "tracing");
      return this;
    }

    /**
     * Also serves Armeria's documentation page under {@code /docs/}: the service's methods, their HTTP
     * routes and messages, with a form to try a call. If not called, there is no such page. Like
     * {@code /metrics}, meant for a port that needs no token (the server turns it on only then).
     *
     * @return this
     */
    public Builder enableDocs() {
      this.docs = true;
      return this;
    }

    /**
     * Lets web pages from these origins call the HTTP port (CORS): REST, gRPC-Web and the watch, with the
     * {@code authorization} header; the gRPC status and {@code activity-resume-after} headers are exposed
     * to them. If not called, browsers refuse cross-origin calls.
     *
     * @param origins origins such as {@code https://app.example.com}
     * @return this
     */
    public Builder setCorsOrigins(List<String> origins) {
      this.corsOrigins = List.copyOf(origins);
      return this;
    }

    /**
     * Adds an interceptor that sees the unary calls of this port only, outside the service's own, such as
     * one recording metrics.
     *
     * @param interceptor the interceptor
     * @return this
     */
    public Builder addInterceptor(ServerInterceptor interceptor) {
      interceptors.add(requireNonNull(interceptor, "interceptor"));
      return this;
    }

    /**
     * Sets how long a request may take, from its complete head to its answer's last byte (a slow head is
     * the idle timeout's concern); a request past it is answered 503 UNAVAILABLE. Watches are exempt. If not
     * called, {@link #DEFAULT_REQUEST_TIMEOUT}.
     *
     * @param timeout a positive duration
     * @return this
     */
    public Builder setRequestTimeout(Duration timeout) {
      this.requestTimeout = positive(timeout, "timeout");
      return this;
    }

    /**
     * Sets how long a connection may stay without a request in progress, which includes a connection that
     * has not finished sending its request head; then it is closed. If not called,
     * {@link #DEFAULT_IDLE_TIMEOUT}.
     *
     * @param timeout a positive duration
     * @return this
     */
    public Builder setIdleTimeout(Duration timeout) {
      this.idleTimeout = positive(timeout, "timeout");
      return this;
    }

    /**
     * Sets how many connections may be open at once; more are closed as they arrive. If not called,
     * {@link #DEFAULT_MAX_CONNECTIONS}.
     *
     * @param max at least 1
     * @return this
     */
    public Builder setMaxConnections(int max) {
      this.maxConnections = atLeastOne(max);
      return this;
    }

    /**
     * Sets how many watch streams may be open at once on this port; past it a watch is answered 429
     * RESOURCE_EXHAUSTED (the server's own watch limits apply as well). If not called,
     * {@link #DEFAULT_MAX_WATCHES}.
     *
     * @param max at least 1
     * @return this
     */
    public Builder setMaxWatches(int max) {
      this.maxWatches = atLeastOne(max);
      return this;
    }

    /**
     * Sets the largest request body accepted; a larger one is answered 429 RESOURCE_EXHAUSTED. If not called,
     * {@link #DEFAULT_MAX_REQUEST_BYTES}.
     *
     * @param max at least 1
     * @return this
     */
    public Builder setMaxRequestBytes(int max) {
      this.maxRequestBytes = atLeastOne(max);
      return this;
    }

    /**
     * Sets whether the service's calls run on Armeria's event loop rather than on its blocking-task
     * executor. Only for a service that never blocks its caller: {@code UserServer.userService()} of a
     * server whose store never blocks, or whose {@code CallThreads} hands the store's work to a pool of its
     * own, as {@code user-server} does. Saves a hand-off per call. If not called, false: calls run on a
     * pool of {@value #CALL_THREADS} threads.
     *
     * @param onEventLoop true to run calls on the event loop
     * @return this
     */
    public Builder setCallsOnEventLoop(boolean onEventLoop) {
      this.callsOnEventLoop = onEventLoop;
      return this;
    }

    /**
     * Builds the edge, not listening yet; {@link HttpEdge#start()} starts it.
     *
     * @return the edge
     * @throws IllegalStateException if a client CA is set without TLS
     */
    public HttpEdge build() {
      if (tlsClientCa != null && tlsCert == null) {
        throw new IllegalStateException("setClientCa() needs setTls()");
      }
      ErrorResponses errors = new ErrorResponses(maxRequestBytes);
      GrpcService grpc = GrpcService.builder()
          .addService(service)
          .intercept(interceptors)
          .jsonMarshallerFactory(ProtoJsonMarshaller::new)
          .enableHttpJsonTranscoding(HttpJsonTranscodingOptions.builder()
              // The rules of the unary methods only: the watch has its own service, and Armeria would warn
              // at every start that it cannot transcode a stream.
              .ignoreProtoHttpRule(true)
              .additionalHttpRules(unaryRules(service))
              // Query parameters by proto name (page_token) or JSON name (pageToken), as in a body.
              .queryParamMatchRules(HttpJsonTranscodingQueryParamMatchRule.ORIGINAL_FIELD,
                  HttpJsonTranscodingQueryParamMatchRule.LOWER_CAMEL_CASE)
              .errorHandler(errors)
              .build())
          // A service that may wait for its store must not run on an event loop (setCallsOnEventLoop).
          .useBlockingTaskExecutor(!callsOnEventLoop)
          .maxRequestMessageLength(maxRequestBytes)
          .build();
      ActivityStreamService watches = new ActivityStreamService(
          tracing == null ? channel : ClientInterceptors.intercept(channel, tracing.clientInterceptor()), maxWatches);
      ServerBuilder server = com.linecorp.armeria.server.Server.builder()
          .requestTimeout(requestTimeout)
          .idleTimeout(idleTimeout)
          .maxNumConnections(maxConnections)
          .maxRequestLength(maxRequestBytes)
          // Room for a whole refused body: over HTTP/2 the JDK's HttpClient reads the early answer to a too
          // large request (429) only once it has sent all of its body, which needs that much credit.
          .http2InitialStreamWindowSize(Math.max(DEFAULT_HTTP2_WINDOW, 2 * maxRequestBytes))
          .http2InitialConnectionWindowSize(Math.max(DEFAULT_HTTP2_WINDOW, 4 * maxRequestBytes))
          .blockingTaskExecutor(CALL_THREADS)
          .errorHandler(errors)
          .gracefulShutdownTimeout(Duration.ZERO, Duration.ZERO)
          .service(grpc, service -> service.decorate(new JsonRequests(grpc)))
          .service(Route.builder().path(WATCH_ROUTE).methods(HttpMethod.GET).build(), watches);
      // Echo the caller's request id on every answer, errors included: a failed call is when it is needed,
      // and an error answered before the service (a refused body, an unknown route) never reaches the
      // call log interceptor that echoes it on gRPC.
      server.decorator((delegate, ctx, req) -> {
        CallLoggingInterceptor.safeRequestId(req.headers().get(Headers.REQUEST_ID))
            .ifPresent(id -> ctx.setAdditionalResponseHeader(Headers.REQUEST_ID, id));
        return delegate.serve(ctx, req);
      });
      if (!corsOrigins.isEmpty()) {
        server.decorator(CorsService.builder(corsOrigins)
            .allowRequestMethods(HttpMethod.GET, HttpMethod.POST, HttpMethod.PATCH, HttpMethod.DELETE)
            .allowRequestHeaders("authorization", "content-type", "x-request-id", "last-event-id", "x-grpc-web",
                "x-user-agent", "grpc-timeout")
            .exposeHeaders("grpc-status", "grpc-message", "grpc-status-details-bin", "activity-resume-after")
            .maxAge(Duration.ofHours(1))
            .newDecorator());
      }
      if (tracing != null) {
        // Added last, so outermost: refused requests (CORS, too large) are traced too.
        server.decorator(new HttpTracing(tracing.openTelemetry(), ServerTracing.SCOPE));
      }
      if (tlsCert != null) {
        server.https(address).tls(TlsKeyPair.of(tlsKey.toFile(), tlsCert.toFile()));
        if (tlsClientCa != null) {
          java.io.File ca = tlsClientCa.toFile();
          server.tlsCustomizer(tls -> tls.clientAuth(ClientAuth.REQUIRE).trustManager(ca));
        }
      } else {
        server.http(address);
      }
      // The contract as OpenAPI: public, like the .proto file and gRPC reflection on the gRPC port.
      byte[] openApi = openApiDocument();
      server.service(Route.builder().exact(OPENAPI_ROUTE).methods(HttpMethod.GET).build(), (ctx, req) ->
          HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, HttpData.wrap(openApi)));
      // Static files, public like the OpenAPI document; the calls the page makes need what any call needs.
      ConsolePage.addTo(server);
      if (docs) {
        server.serviceUnder(DOCS_ROUTE, new DocService());
      }
      if (metrics != null) {
        Supplier<String> scrape = metrics;
        server.service(Route.builder().exact("/metrics").methods(HttpMethod.GET).build(), (ctx, req) ->
            HttpResponse.of(HttpStatus.OK, MediaType.parse(io.github.usergrpc.user.server.observability
                .ServerMetrics.CONTENT_TYPE), scrape.get()));
      }
      return new HttpEdge(server.build(), watches);
    }

    private static byte[] openApiDocument() {
      try (InputStream document = HttpEdge.class.getResourceAsStream(OPENAPI_RESOURCE)) {
        if (document == null) {
          throw new IllegalStateException(OPENAPI_RESOURCE + " is missing from the class path");
        }
        return document.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private static List<HttpRule> unaryRules(ServerServiceDefinition service) {
      List<HttpRule> rules = new ArrayList<>();
      for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
        if (method.getMethodDescriptor().getType() == MethodDescriptor.MethodType.UNARY
            && method.getMethodDescriptor().getSchemaDescriptor() instanceof ProtoMethodDescriptorSupplier schema) {
          Descriptors.MethodDescriptor proto = schema.getMethodDescriptor();
          if (proto.getOptions().hasExtension(AnnotationsProto.http)) {
            rules.add(proto.getOptions().getExtension(AnnotationsProto.http).toBuilder()
                .setSelector(proto.getFullName()).build());
          }
        }
      }
      return rules;
    }

    private static Duration positive(Duration duration, String name) {
      if (duration.isNegative() || duration.isZero()) {
        throw new IllegalArgumentException(name + ": " + duration + " (expected: > 0)");
      }
      return duration;
    }

    private static int atLeastOne(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("max: " + max + " (expected: >= 1)");
      }
      return max;
    }
  }
}
