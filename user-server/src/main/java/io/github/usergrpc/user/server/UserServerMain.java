package io.github.usergrpc.user.server;

import static java.util.Objects.requireNonNull;

import io.github.usergrpc.user.server.activity.jetstream.JetStreamUserStore;
import io.github.usergrpc.user.server.http.HttpEdge;
import io.github.usergrpc.user.server.observability.OtlpTracing;
import io.github.usergrpc.user.server.observability.ServerMetrics;
import io.github.usergrpc.user.server.observability.ServerTracing;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.service.store.UserStore;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * Runs the reference server: {@code java -jar user-server.jar [--port 50051] [--store sqlite:./data/users.db]}.
 * Exit codes: 0 after a clean shutdown (SIGTERM), 1 when the server cannot start, 2 for bad options.
 *
 * <p>A server that cannot start says why on one line, {@code user-server: cannot start: <cause>; <remedy>}
 * ({@link StartupFailure}), with the stack trace only under {@code --verbose}. It binds its ports before it
 * opens the store, so that a port in use fails at once rather than after the store has opened.
 *
 * <p>With {@code --hash-token} it reads a token from standard input and prints the hash that a token file
 * ({@link AccessTokens}) holds for it, so that the token never appears on a command line. {@code ping}
 * checks a running server instead ({@link PingCommand}); {@code export} and {@code import} move a store's
 * contents to another store ({@link TransferCommand}).
 */
public final class UserServerMain {

  /** The default of {@code --max-message-size}: the largest request accepted; the largest valid is ~17 KiB. */
  static final int DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
  /**
   * The default of {@code --max-calls-per-connection}: HTTP/2 streams one connection may have open at once.
   * gRPC clients queue calls past it until one ends.
   */
  static final int DEFAULT_MAX_CALLS_PER_CONNECTION = 1000;
  /**
   * The default of {@code --permit-keepalive-time}: watchers sit idle on open streams, so their clients may
   * ping this often, also without calls; a client that pings more often is sent GOAWAY ENHANCE_YOUR_CALM.
   */
  static final Duration DEFAULT_PERMIT_KEEPALIVE_TIME = Duration.ofSeconds(10);

  private static final Logger logger = Logger.getLogger(UserServerMain.class.getName());

  private UserServerMain() {}

  /**
   * Starts the server and blocks until it is shut down.
   *
   * @param args the command line; see {@code --help}
   */
  public static void main(String[] args) {
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT %4$s %3$s - %5$s%6$s%n");
    }
    if (args.length > 0 && args[0].equals("ping")) {
      System.exit(ping(List.of(args).subList(1, args.length)));
      return;
    }
    if (args.length > 0 && (args[0].equals("export") || args[0].equals("import"))) {
      System.exit(transfer(args[0], List.of(args).subList(1, args.length)));
      return;
    }
    ServerOptions options;
    try {
      options = ServerOptions.parse(List.of(args), System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("user-server: " + e.getMessage());
      System.exit(2);
      return;
    }
    if (options.help()) {
      System.out.print(ServerOptions.usage());
      return;
    }
    if (options.hashToken()) {
      try {
        System.out.println(hashToken(System.in));
      } catch (IOException | IllegalArgumentException e) {
        System.err.println("user-server: --hash-token: " + e.getMessage());
        System.exit(2);
      }
      return;
    }
    try {
      run(options);
    } catch (StartupFailure | IOException | RuntimeException e) {
      System.err.println("user-server: cannot start: " + e.getMessage());
      if (options.verbose()) {
        e.printStackTrace();
      }
      System.exit(1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static int ping(List<String> args) {
    try {
      return PingCommand.parse(args, System.out).run();
    } catch (IllegalArgumentException e) {
      System.err.println("user-server ping: " + e.getMessage() + "\n" + PingCommand.USAGE);
      return 2;
    } catch (IOException e) {
      System.err.println("user-server ping: cannot read " + e.getMessage());
      return 2;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  private static int transfer(String command, List<String> args) {
    TransferCommand transfer;
    try {
      transfer = TransferCommand.parse(command, args, System.getenv(), System.err);
    } catch (IllegalArgumentException e) {
      System.err.println("user-server " + command + ": " + e.getMessage() + "\n"
          + (command.equals("export") ? TransferCommand.EXPORT_USAGE : TransferCommand.IMPORT_USAGE));
      return 2;
    }
    // The command's own line is the report; the pool's and Flyway's start-up lines would bury it.
    Logger.getLogger("").setLevel(Level.WARNING);
    return transfer.run();
  }

  private static void run(ServerOptions options) throws StartupFailure, IOException, InterruptedException {
    // What needs no store fails first: the ports, then the data path.
    List<ReservedPort> reserved = new ArrayList<>();
    ReservedPort grpcPort;
    ReservedPort httpPort = null;
    ReservedPort metricsPort = null;
    UserStore store;
    try {
      grpcPort = reserve(reserved, options.port(), "--port");
      if (options.httpPort().isPresent()) {
        httpPort = reserve(reserved, options.httpPort().get(), "--http-port");
      }
      if (options.metricsPort().isPresent()) {
        metricsPort = reserve(reserved, options.metricsPort().get(), "--metrics-port");
      }
      if (options.store().startsWith("h2:")) {
        H2DataPath.check(options.store().substring(3));
      } else if (options.store().startsWith("sqlite:")) {
        H2DataPath.checkSqlite(sqliteFile(options.store().substring(7)));
      }
      store = openStore(options);
    } catch (StartupFailure | RuntimeException e) {
      reserved.forEach(ReservedPort::release);
      throw e;
    }
    @Nullable ServerMetrics metrics = options.servesMetrics() ? new ServerMetrics() : null;
    OtlpTracing otlp = options.otlpEndpoint().map(endpoint -> OtlpTracing.start(endpoint, "user-server")).orElse(null);
    ServerTracing tracing = otlp == null ? null : otlp.tracing();
    UserStore users = store instanceof JetStreamUserStore jetStream ? jetStream.users() : store;
    if (metrics != null && users instanceof JdbcUserStore jdbc) {
      metrics.observePool(jdbc);
    }
    ExecutorService executor = Executors.newFixedThreadPool(
        Math.max(16, 4 * Runtime.getRuntime().availableProcessors()), namedThreads("user-server-call"));
    String inProcessName = "user-server-" + UUID.randomUUID();
    List<AutoCloseable> endpoints = new ArrayList<>();
    UserServer started = null;
    try {
      UserServer built = newServer(options, grpcPort.port(), store, executor, metrics,
          httpPort != null ? inProcessName : null, tracing);
      grpcPort.release();
      try {
        started = built.start();
      } catch (IOException e) {
        built.shutdownNow();
        throw StartupFailure.listen(grpcPort.port(), grpcPort.option(), e);
      }
      if (httpPort != null) {
        ManagedChannel local = InProcessChannelBuilder.forName(inProcessName).directExecutor().build();
        endpoints.add(local::shutdownNow);
        HttpEdge.Builder http = HttpEdge.newBuilder(started.userService(), local)
            .setAddress(options.bindAddress(httpPort.port()))
            .setMaxConnections(options.httpMaxConnections())
            .setMaxWatches(options.httpMaxWatches())
            .setCorsOrigins(options.httpCorsOrigins())
            // The service leaves the event loop by itself where it may wait (CallThreads).
            .setCallsOnEventLoop(true);
        if (metrics != null) {
          http.addInterceptor(metrics.callMetrics());
        }
        if (tracing != null) {
          http.setTracing(tracing);
        }
        if (options.tlsCert().isPresent()) {
          // The same certificate, and the same client CAs, as the gRPC port: HTTPS only.
          http.setTls(options.tlsCert().get(), options.tlsKey().get());
          options.tlsClientCa().ifPresent(http::setClientCa);
        }
        if (options.metricsOnHttpPort()) {
          http.setMetrics(requireNonNull(metrics)::scrape);
        }
        if (options.authTokens().isEmpty()) {
          // With tokens there is no docs page: it would need a token of its own here.
          http.enableDocs();
        }
        httpPort.release();
        HttpEdge gateway;
        try {
          gateway = http.build().start();
        } catch (IOException e) {
          throw StartupFailure.listen(httpPort.port(), httpPort.option(), e);
        }
        endpoints.add(gateway);
        announce("user-server HTTP/JSON gateway on port " + gateway.port());
      }
      if (metricsPort != null) {
        metricsPort.release();
        ServerMetrics.Endpoint endpoint;
        try {
          // Recorded, since this port serves them (ServerOptions.servesMetrics).
          endpoint = requireNonNull(metrics).serve(new InetSocketAddress(options.metricsHost(), metricsPort.port()));
        } catch (IOException e) {
          throw StartupFailure.listen(metricsPort.port(), metricsPort.option(), e);
        }
        endpoints.add(endpoint);
        announce("user-server metrics on port " + endpoint.port());
      }
    } catch (StartupFailure | IOException | RuntimeException e) {
      reserved.forEach(ReservedPort::release);
      if (started != null) {
        started.shutdownNow();
      }
      closeAll(endpoints);
      if (otlp != null) {
        otlp.close();
      }
      executor.shutdownNow();
      store.close();
      throw e;
    }
    UserServer server = started;
    if (options.localOnly()) {
      announce("user-server: no TLS and no tokens, so listening on the loopback interface only (--host to change)");
    }
    if (otlp != null) {
      announce("user-server sending traces to " + OtlpTracing.tracesUrl(options.otlpEndpoint().get()));
    }
    announce("user-server listening on port " + server.port() + " with store " + options.storeForLog()
        + options.jetStream().map(js -> " and activity on NATS JetStream " + String.join(",", js.servers())
            + " (stream " + js.stream() + ", " + js.replicas() + (js.replicas() == 1 ? " replica)" : " replicas)"))
            .orElse("")
        + (options.tlsClientCa().isPresent() ? " (mutual TLS)" : options.tlsCert().isPresent() ? " (TLS)" : "")
        + (options.authTokens().isPresent() ? " (bearer tokens required)" : ""));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // stderr: the logging system may already be shut down by its own hook.
      System.err.println("user-server: shutting down");
      server.close();
      // Every HTTP request is a call the server has finished by now.
      closeAll(endpoints);
      if (otlp != null) {
        otlp.close();
      }
      if (metrics != null) {
        metrics.close();
      }
      executor.shutdown();
      store.close();
      System.err.println("user-server: stopped");
    }, "user-server-shutdown"));
    server.awaitTermination();
  }

  /** Binds {@code port} for {@code option} and adds it to {@code reserved}, to be released on failure. */
  private static ReservedPort reserve(List<ReservedPort> reserved, int port, String option) throws StartupFailure {
    ReservedPort reservation = ReservedPort.bind(port, option);
    reserved.add(reservation);
    return reservation;
  }

  private static void closeAll(List<AutoCloseable> endpoints) {
    for (AutoCloseable endpoint : endpoints) {
      try {
        endpoint.close();
      } catch (Exception e) {
        System.err.println("user-server: " + e);
      }
    }
  }

  private static void announce(String line) {
    logger.info(line);
    System.out.println(line);
  }

  /**
   * Returns the server that {@code options} describe, not started: Netty on the port with the TLS, token
   * and limit options applied.
   *
   * @param options the options
   * @param store the store, which the caller closes
   * @param executor runs the calls that may wait for the store (not those of the memory store, which run on
   *     the event loop); the caller shuts it down
   * @return the server
   * @throws IOException if a TLS or token file cannot be read
   */
  static UserServer newServer(ServerOptions options, UserStore store, Executor executor) throws IOException {
    return newServer(options, options.port(), store, executor, null, null, null);
  }

  /**
   * Returns the server that {@code options} describe, as {@link #newServer(ServerOptions, UserStore, Executor)},
   * on {@code port} (the one reserved for {@code --port}), recording into {@code metrics}, served
   * in-process under {@code inProcessName} and traced into {@code tracing} when they are given.
   */
  static UserServer newServer(ServerOptions options, int port, UserStore store, Executor executor,
      @Nullable ServerMetrics metrics, @Nullable String inProcessName, @Nullable ServerTracing tracing)
      throws IOException {
    ServerOptions.Limits limits = options.limits();
    NettyServerBuilder transport = NettyServerBuilder.forAddress(options.bindAddress(port), credentials(options))
        // No hand-off from the event loop: what may wait for the store leaves it for the bounded pool of
        // CallThreads (a hand-off costs more than a whole call on the memory store). Never gRPC's default
        // unbounded cached pool: a burst of slow calls would create a thread each.
        .directExecutor()
        .maxInboundMessageSize(limits.maxMessageBytes())
        .maxConcurrentCallsPerConnection(limits.maxCallsPerConnection())
        .keepAliveTime(60, TimeUnit.SECONDS)
        .keepAliveTimeout(20, TimeUnit.SECONDS)
        .permitKeepAliveTime(limits.permitKeepAliveTime().toNanos(), TimeUnit.NANOSECONDS)
        .permitKeepAliveWithoutCalls(true);
    UserServer.Builder server = UserServer.newBuilder(transport)
        .setStore(store)
        // With tracing, the pool runs each call's events in the OpenTelemetry context current when they are
        // handed over: the call's SERVER span (ServerTracing), so that store spans stay its children.
        .setCallThreads(CallThreads.forStore(store,
            tracing == null ? executor : io.opentelemetry.context.Context.taskWrapping(executor)))
        .setMaxWatches(limits.maxWatches())
        .setMaxWatchesPerUser(limits.maxWatchesPerUser())
        .setDefaultDeadline(limits.defaultDeadline())
        .setWatchPollInterval(options.watchPollInterval());
    if (options.authTokens().isPresent()) {
      server.setAccessTokens(AccessTokens.load(options.authTokens().get()));
    }
    if (metrics != null) {
      server.setMetrics(metrics);
    }
    if (inProcessName != null) {
      server.setInProcessName(inProcessName);
    }
    if (tracing != null) {
      server.setTracing(tracing);
    }
    return server.build();
  }

  /** Returns plaintext, TLS, or TLS requiring client certificates signed by {@code --tls-client-ca}. */
  private static ServerCredentials credentials(ServerOptions options) throws IOException {
    if (options.tlsCert().isEmpty()) {
      return InsecureServerCredentials.create();
    }
    TlsServerCredentials.Builder tls = TlsServerCredentials.newBuilder()
        .keyManager(options.tlsCert().get().toFile(), options.tlsKey().get().toFile());
    if (options.tlsClientCa().isPresent()) {
      tls.trustManager(options.tlsClientCa().get().toFile())
          .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
    }
    return tls.build();
  }

  /**
   * Reads one token from {@code in} (a trailing line break is not part of it) and returns its token-file
   * hash.
   *
   * @throws IllegalArgumentException if the input is not one token of printable ASCII without spaces,
   *     which is what an {@code authorization} header can carry
   */
  static String hashToken(InputStream in) throws IOException {
    String token = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    if (token.endsWith("\n")) {
      token = token.substring(0, token.length() - (token.endsWith("\r\n") ? 2 : 1));
    }
    if (!token.matches("[\\x21-\\x7e]+")) {
      throw new IllegalArgumentException("expected one token on standard input: printable ASCII without spaces");
    }
    return AccessTokens.hash(token);
  }

  /**
   * Opens the store the options name: in memory, or a database; with {@code --activity nats://...}, the
   * database store with its activity on JetStream ({@link JetStreamActivity}).
   */
  static UserStore openStore(ServerOptions options) throws StartupFailure {
    String store = options.store();
    if (store.equals("memory")) {
      return new InMemoryUserStore(); // ServerOptions refuses --activity nats:// with it
    }
    String url = store.startsWith("h2:") ? h2FileUrl(store.substring(3))
        : store.startsWith("sqlite:") ? sqliteFileUrl(store.substring(7))
        : store;
    JdbcSettings.Builder builder = JdbcSettings.newBuilder().setJdbcUrl(url)
        .setActivityRetention(options.activityRetention())
        .setActivityOutbox(options.jetStream().isPresent())
        .setActivityNotifications(options.dbNotify());
    options.dbUser().ifPresent(builder::setUser);
    options.dbPassword().ifPresent(builder::setPassword);
    JdbcSettings settings = builder.build();
    JdbcUserStore database;
    try {
      database = JdbcUserStore.open(settings);
    } catch (RuntimeException e) {
      throw StartupFailure.openStore(e, options);
    }
    if (options.jetStream().isEmpty()) {
      return database;
    }
    try {
      return JetStreamActivity.open(options.jetStream().get(), options.activityRetention(), database, settings);
    } catch (StartupFailure | RuntimeException e) {
      database.close();
      throw e;
    }
  }

  /**
   * Returns the H2 URL of a database file. H2 refuses a path that is only implicitly relative to the working
   * directory ({@code data/users}) and asks for {@code ./data/users}, which is what a user meant anyway.
   */
  static String h2FileUrl(String path) {
    boolean explicit = path.startsWith("/") || path.startsWith("~") || path.startsWith("./")
        || path.startsWith(".\\") || path.matches("[A-Za-z]:[\\\\/].*");
    return "jdbc:h2:file:" + (explicit ? path : "./" + path);
  }

  /**
   * Returns the SQLite URL of {@code sqlite:<file>[?pragma=value&...]}, in which {@code ~} is the home
   * directory, as in H2's; the pragmas are passed on (JdbcSettings adds those the store relies on).
   */
  static String sqliteFileUrl(String fileAndPragmas) {
    int query = fileAndPragmas.indexOf('?');
    return "jdbc:sqlite:" + H2DataPath.resolve(sqliteFile(fileAndPragmas))
        + (query < 0 ? "" : fileAndPragmas.substring(query));
  }

  /** Returns the file of {@code <file>[?pragma=value&...]}. */
  static String sqliteFile(String fileAndPragmas) {
    int query = fileAndPragmas.indexOf('?');
    return query < 0 ? fileAndPragmas : fileAndPragmas.substring(0, query);
  }

  private static java.util.concurrent.ThreadFactory namedThreads(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
