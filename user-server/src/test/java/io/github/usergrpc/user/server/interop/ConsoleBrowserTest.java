package io.github.usergrpc.user.server.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.github.usergrpc.user.server.AccessTokens;
import io.github.usergrpc.user.server.UserServer;
import io.github.usergrpc.user.server.http.HttpEdge;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Runs the console page's end-to-end test (clients/console/test/console.test.mjs) in headless Chromium against
 * this server: users created over gRPC appear on the page, an update shows in the page's activity within a
 * second, and the page's watch resumes after its HTTP connection breaks (the test stops and restarts the HTTP
 * port through a small control endpoint this test serves); and, on a second server that requires tokens, that
 * the page asks for a token, says so when it is wrong, and works with a right one.
 *
 * <p>The page is the committed bundle on the class path, as the server serves it (scripts/console-check.sh
 * checks that it is what clients/console builds). Needs {@code node} and {@code npm} on the PATH and Debian's
 * {@code chromium} at {@value #CHROMIUM}; runs {@code npm ci} where a package's node_modules is missing, and
 * {@code npm run build} of clients/typescript for the test's own gRPC client. Skipped where Node.js or Chromium
 * is missing, unless {@code REQUIRE_NODE=true} or {@code REQUIRE_BROWSER=true} is set (as CI does).
 */
class ConsoleBrowserTest {

  static final String REQUIRE_BROWSER = "REQUIRE_BROWSER";
  static final String CHROMIUM = "/usr/bin/chromium";
  private static final Path CONSOLE_DIR = Paths.get("clients", "console");
  /** The test bounds its own waits; this only guards against a hung browser. */
  private static final Duration TEST_TIMEOUT = Duration.ofMinutes(3);

  /** Tokens of the second server; random, as they are only for this test. */
  private static final String READER_TOKEN = "reader-" + UUID.randomUUID();
  private static final String WRITER_TOKEN = "writer-" + UUID.randomUUID();

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();
  private final AtomicReference<HttpEdge> edge = new AtomicReference<>();

  @Test
  void consoleShowsUsersAndLiveActivityInChromium() throws Exception {
    String neededBy = "the console's browser test";
    Path npm = NodeTools.requireTool("npm", neededBy);
    NodeTools.requireTool("node", neededBy);
    requireChromium();
    NodeTools.buildTypeScriptClient(npm);
    Path console = NodeTools.repoRoot(CONSOLE_DIR).resolve(CONSOLE_DIR);
    NodeTools.installUnlessPresent(npm, console, List.of(Paths.get("playwright-core")));

    UserServer server = NodeTools.loopbackServer(cleanup, plain -> plain);
    UserServer secured = NodeTools.loopbackServer(cleanup, withTokens -> withTokens
        .setAccessTokens(AccessTokens.parse(AccessTokens.hash(READER_TOKEN) + " reader users:read\n"
            + AccessTokens.hash(WRITER_TOKEN) + " writer users:read,users:write\n")));
    ManagedChannel channel = cleanup.register(Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
        InsecureChannelCredentials.create()).build());
    ManagedChannel securedChannel = cleanup.register(Grpc.newChannelBuilderForAddress("127.0.0.1",
        secured.port(), InsecureChannelCredentials.create()).build());
    HttpEdge securedEdge = cleanup.register(startEdge(secured, securedChannel, 0));
    edge.set(startEdge(server, channel, 0));
    // The control endpoint stops and starts this edge: the one running at the end is closed.
    cleanup.register((AutoCloseable) () -> {
      HttpEdge last = edge.getAndSet(null);
      if (last != null) {
        last.close();
      }
    });
    int httpPort = edge.get().port();
    HttpServer control = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    control.createContext("/stop", exchange -> answer(exchange, () -> edge.getAndSet(null).close()));
    control.createContext("/start", exchange ->
        answer(exchange, () -> edge.set(startEdge(server, channel, httpPort))));
    control.start();
    cleanup.register((AutoCloseable) () -> control.stop(0));

    Map<String, String> environment = Map.of(
        "USER_SERVER_URL", "http://127.0.0.1:" + server.port(),
        "CONSOLE_URL", "http://127.0.0.1:" + httpPort + HttpEdge.CONSOLE_ROUTE,
        "CONTROL_URL", "http://127.0.0.1:" + control.getAddress().getPort(),
        "SECURED_SERVER_URL", "http://127.0.0.1:" + secured.port(),
        "SECURED_CONSOLE_URL", "http://127.0.0.1:" + securedEdge.port() + HttpEdge.CONSOLE_ROUTE,
        "READER_TOKEN", READER_TOKEN,
        "WRITER_TOKEN", WRITER_TOKEN,
        "CHROMIUM", CHROMIUM);
    NodeTools.Result result = NodeTools.run(console, TEST_TIMEOUT, environment, npm.toString(), "test");
    // Shown in target/surefire-reports/*-output.txt on success too.
    System.out.println(result.output());
    result.assertSucceeded("npm test in " + console + " (" + environment + ")", TEST_TIMEOUT);
    // node:test exits 0 when everything was skipped, too.
    assertThat(result.output()).contains("# pass 2", "# fail 0").doesNotContain("# SKIP");
  }

  private static HttpEdge startEdge(UserServer server, ManagedChannel channel, int port) throws IOException {
    return HttpEdge.newBuilder(server.userService(), channel)
        .setAddress(new InetSocketAddress("127.0.0.1", port))
        .build()
        .start();
  }

  private interface Action {
    void run() throws IOException;
  }

  /** Runs the action and answers 204, or 500 with the failure. */
  private static void answer(HttpExchange exchange, Action action) throws IOException {
    try (exchange) {
      try {
        action.run();
        exchange.sendResponseHeaders(204, -1);
      } catch (IOException | RuntimeException e) {
        byte[] body = e.toString().getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(500, body.length);
        exchange.getResponseBody().write(body);
      }
    }
  }

  private static void requireChromium() {
    Path chromium = Paths.get(CHROMIUM);
    if (Files.isRegularFile(chromium) && Files.isExecutable(chromium)) {
      return;
    }
    String message = "Chromium is not installed at " + CHROMIUM + " (Debian: apt-get install chromium); the "
        + "console's browser test needs it";
    if ("true".equalsIgnoreCase(System.getenv(REQUIRE_BROWSER))
        || "true".equalsIgnoreCase(System.getProperty(REQUIRE_BROWSER))) {
      fail(message + ", and " + REQUIRE_BROWSER + "=true");
    }
    Assumptions.abort(message + ". Skipped; set " + REQUIRE_BROWSER + "=true to make this a failure.");
  }
}
