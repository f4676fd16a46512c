package io.github.usergrpc.user.server;

import io.github.usergrpc.user.api.RequestValidator;
import io.github.usergrpc.user.bench.BareServer;
import io.github.usergrpc.user.server.observability.MalformedInputLog;
import io.github.usergrpc.user.server.observability.ServerMetrics;
import io.github.usergrpc.user.service.CallLoggingInterceptor;
import io.github.usergrpc.user.service.internal.ActivityFeed;
import io.github.usergrpc.user.service.internal.ErrorDetailsInterceptor;
import io.github.usergrpc.user.service.internal.RequestParsing;
import io.github.usergrpc.user.service.internal.UserService;
import io.github.usergrpc.user.service.internal.ValidationInterceptor;
import io.github.usergrpc.user.service.internal.WatchHeaders;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.service.store.NewUser;
import io.github.usergrpc.user.service.store.UserStore;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.BindableService;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Benchmark only (issue 17): the constant GetUser server on user-server's transport settings (Netty on the
 * event loop, {@code directExecutor()}, the default limits), with the layers named on the command line added
 * in the order {@code InterceptorChain} and {@code UserServer} put them, so that the cost of each can be
 * measured alone ({@code InterceptorBench}). It lives in user-server's package to build the package-private
 * default-deadline interceptor exactly as the server does; nothing in the server can turn a layer off.
 *
 * <p>Layers: {@code store} (the real handlers on the memory store, holding one user with the constant's id,
 * instead of the constant), {@code parsing}, {@code errors}, {@code validation}, {@code watch},
 * {@code calllog}, {@code deadline}, {@code metrics} (grpc-opentelemetry on the transport, and the store
 * timing when {@code store} is on too).
 *
 * <p>Beside the layers, {@code services} registers what {@code UserServer} puts on the transport besides the
 * UserService: the health and reflection services, and grpc-netty's malformed-input log filter.
 *
 * <p>{@code server} instead serves the whole {@code UserServer} exactly as {@code UserServerMain.newServer}
 * builds it for {@code --store memory} (the same transport settings, metrics, default deadline), on the store
 * with the one user; {@code server -metrics} leaves the metrics out, {@code server -deadline} the default
 * deadline ({@code --default-deadline 0}), so that what each costs in the real server can be measured by
 * taking it away.
 *
 * <p>{@code java -cp user-bench/target/classes:user-server.jar io.github.usergrpc.user.server.LayeredServer
 * <port> [layer ... [services] | server [-metrics] [-deadline]]}
 */
public final class LayeredServer {

  /** The id of the one user; the same as the constant answer's, so that one request frame fits every variant. */
  public static final String USER_ID = BareServer.CONSTANT.getId();

  /** The layers, in the order of {@code --layers all}. */
  public static final List<String> LAYERS = List.of("store", "parsing", "errors", "validation", "watch", "calllog",
      "deadline", "metrics");

  private LayeredServer() {}

  /** What {@code server} can leave out. */
  public static final List<String> SERVER_WITHOUT = List.of("-metrics", "-deadline");

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    Set<String> layers = new HashSet<>(Arrays.asList(args).subList(1, args.length));
    if (layers.remove("server")) {
      serveUserServer(port, layers);
      return;
    }
    boolean services = layers.remove("services");
    if (!LAYERS.containsAll(layers)) {
      throw new IllegalArgumentException("layers: " + layers + " (expected some of " + LAYERS + ", services)");
    }
    NettyServerBuilder transport = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port),
            InsecureServerCredentials.create())
        .directExecutor()
        .maxInboundMessageSize(UserServerMain.DEFAULT_MAX_MESSAGE_BYTES)
        .maxConcurrentCallsPerConnection(UserServerMain.DEFAULT_MAX_CALLS_PER_CONNECTION)
        .keepAliveTime(60, TimeUnit.SECONDS)
        .keepAliveTimeout(20, TimeUnit.SECONDS)
        .permitKeepAliveTime(UserServerMain.DEFAULT_PERMIT_KEEPALIVE_TIME.toNanos(), TimeUnit.NANOSECONDS)
        .permitKeepAliveWithoutCalls(true);
    ServerMetrics metrics = layers.contains("metrics") ? new ServerMetrics() : null;
    if (metrics != null) {
      metrics.instrument(transport);
    }
    transport.addService(service(layers, metrics));
    if (services) {
      // As UserServer: health, reflection, and the filter on grpc-netty's loggers.
      transport.addService(new HealthStatusManager().getHealthService())
          .addService(ProtoReflectionServiceV1.newInstance());
      MalformedInputLog.install();
    }
    Server server = transport.build().start();
    System.out.println("layered-server listening on port " + server.getPort() + " with " + layers
        + (services ? " and services" : ""));
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow));
    server.awaitTermination();
  }

  /** Serves {@code UserServer} as {@code UserServerMain} builds it for the memory store, less {@code without}. */
  private static void serveUserServer(int port, Set<String> without) throws Exception {
    if (!SERVER_WITHOUT.containsAll(without)) {
      throw new IllegalArgumentException("server " + without + " (expected some of " + SERVER_WITHOUT + ")");
    }
    List<String> args = new ArrayList<>(List.of("--port", Integer.toString(port), "--store", "memory"));
    if (without.contains("-deadline")) {
      args.addAll(List.of("--default-deadline", "0"));
    }
    ServerOptions options = ServerOptions.parse(args, Map.of());
    ServerMetrics metrics = without.contains("-metrics") ? null : new ServerMetrics();
    // Never used: the memory store's calls stay on the transport's thread.
    ExecutorService unused = Executors.newSingleThreadExecutor();
    UserServer server = UserServerMain.newServer(options, port, storeWithTheUser(), unused, metrics, null, null)
        .start();
    System.out.println("layered-server listening on port " + server.port() + " with UserServer less " + without);
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow));
    server.awaitTermination();
  }

  /**
   * Returns the UserService with {@code layers}, in the order of {@code InterceptorChain} and
   * {@code UserServer}.
   *
   * @param layers some of {@link #LAYERS}
   * @param metrics the metrics to time the store into, with {@code metrics} among the layers; else null
   */
  static ServerServiceDefinition service(Set<String> layers, ServerMetrics metrics) {
    BindableService handlers = layers.contains("store") ? handlers(metrics) : new Constant();
    // As InterceptorChain: ServerInterceptors.intercept runs the last of a list first.
    List<ServerInterceptor> inner = new ArrayList<>();
    if (layers.contains("watch")) {
      inner.add(new WatchHeaders());
    }
    if (layers.contains("validation")) {
      inner.add(new ValidationInterceptor(RequestValidator.get()));
    }
    if (layers.contains("errors")) {
      inner.add(new ErrorDetailsInterceptor());
    }
    ServerServiceDefinition service = ServerInterceptors.intercept(handlers, inner);
    if (layers.contains("parsing")) {
      service = RequestParsing.parseInCall(service);
    }
    List<ServerInterceptor> outer = new ArrayList<>();
    if (layers.contains("deadline")) {
      // As UserServer's timer, which forgets cancelled deadlines (its factory is private: older builds'
      // classes, measured as "before", have it so too).
      ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
      timer.setRemoveOnCancelPolicy(true);
      outer.add(new DefaultDeadlineInterceptor(UserServer.Builder.DEFAULT_CALL_DEADLINE, timer));
    }
    if (layers.contains("calllog")) {
      outer.add(new CallLoggingInterceptor(true));
    }
    return ServerInterceptors.intercept(service, outer);
  }

  /** Returns the memory store holding the one user of {@link #USER_ID}. */
  static InMemoryUserStore storeWithTheUser() {
    InMemoryUserStore memory = new InMemoryUserStore();
    memory.create(new NewUser(USER_ID, "bench-user@example.com", "Bench User 1", "viewer",
        System.currentTimeMillis()), Optional.empty());
    return memory;
  }

  private static BindableService handlers(ServerMetrics metrics) {
    InMemoryUserStore memory = storeWithTheUser();
    UserStore store = metrics == null ? memory : metrics.instrument(memory);
    ActivityFeed feed = new ActivityFeed(store, Executors.newSingleThreadScheduledExecutor(), Duration.ofMillis(100),
        1000, 10_000, 100);
    return new UserService(store, Clock.systemUTC(), () -> UUID.randomUUID().toString(), feed);
  }

  /** BareServer's answer: a constant user. */
  private static final class Constant extends UserServiceGrpc.UserServiceImplBase {
    @Override
    public void getUser(GetUserRequest request, StreamObserver<UserResponse> responses) {
      responses.onNext(BareServer.CONSTANT);
      responses.onCompleted();
    }
  }
}
