package io.github.usergrpc.user.server;

import io.github.usergrpc.user.server.store.InMemoryUserStore;
import io.github.usergrpc.user.server.store.UserStore;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerBuilder;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * Runs the reference server: {@code java -jar user-server.jar [--port 50051] [--store h2:./data/users]}.
 * Exit codes: 0 after a clean shutdown (SIGTERM), 1 when the server cannot start, 2 for bad options.
 */
public final class UserServerMain {

  /** Largest request accepted; the largest valid request is a few kilobytes. */
  static final int MAX_INBOUND_MESSAGE_BYTES = 1024 * 1024;

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
    try {
      run(options);
    } catch (IOException | RuntimeException e) {
      System.err.println("user-server: cannot start: " + e.getMessage());
      System.exit(1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void run(ServerOptions options) throws IOException, InterruptedException {
    UserStore store = openStore(options);
    ExecutorService executor = Executors.newFixedThreadPool(
        Math.max(16, 4 * Runtime.getRuntime().availableProcessors()), namedThreads("user-server-call"));
    UserServer server;
    try {
      ServerCredentials credentials = options.tlsCert().isPresent()
          ? TlsServerCredentials.create(options.tlsCert().get().toFile(), options.tlsKey().get().toFile())
          : InsecureServerCredentials.create();
      ServerBuilder<?> transport = Grpc.newServerBuilderForPort(options.port(), credentials)
          // Never gRPC's default unbounded cached pool: a burst of slow calls would create a thread each.
          .executor(executor)
          .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
          .keepAliveTime(60, TimeUnit.SECONDS)
          .keepAliveTimeout(20, TimeUnit.SECONDS)
          // Watchers sit idle on open streams; let their clients keep the connection alive.
          .permitKeepAliveTime(10, TimeUnit.SECONDS)
          .permitKeepAliveWithoutCalls(true);
      server = UserServer.newBuilder(transport).setStore(store).build().start();
    } catch (IOException | RuntimeException e) {
      executor.shutdownNow();
      store.close();
      throw e;
    }
    String started = "user-server listening on port " + server.port() + " with store " + options.storeForLog()
        + (options.tlsCert().isPresent() ? " (TLS)" : "");
    logger.info(started);
    System.out.println(started);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // stderr: the logging system may already be shut down by its own hook.
      System.err.println("user-server: shutting down");
      server.close();
      executor.shutdown();
      store.close();
      System.err.println("user-server: stopped");
    }, "user-server-shutdown"));
    server.awaitTermination();
  }

  private static UserStore openStore(ServerOptions options) {
    String store = options.store();
    if (store.equals("memory")) {
      return new InMemoryUserStore();
    }
    String url = store.startsWith("h2:") ? "jdbc:h2:file:" + store.substring(3) : store;
    JdbcSettings.Builder settings = JdbcSettings.newBuilder().setJdbcUrl(url);
    options.dbUser().ifPresent(settings::setUser);
    options.dbPassword().ifPresent(settings::setPassword);
    return JdbcUserStore.open(settings.build());
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
