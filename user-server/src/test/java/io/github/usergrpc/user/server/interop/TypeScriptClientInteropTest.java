package io.github.usergrpc.user.server.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.server.UserServer;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.grpc.InsecureServerCredentials;
import io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Runs the tests of the TypeScript package (clients/typescript, {@code npm test}: node:test with the typed
 * client generated from user.proto) against this server over a real loopback port: create, get, list by page
 * token, update with etag, errors with their ErrorInfo reason, protovalidate rules, a resumed watch.
 *
 * <p>Needs {@code node} and {@code npm} on the PATH; runs {@code npm ci} when the package's node_modules is
 * missing, then {@code npm run build} (buf generate and tsc). Without node or npm the test is skipped,
 * unless {@code REQUIRE_NODE=true} is set (as CI does), in which case it fails.
 */
class TypeScriptClientInteropTest {

  private static final Path PACKAGE_DIR = Paths.get("clients", "typescript");
  private static final Duration NPM_CI_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(3);
  /** The tests bound their own waits; this only guards against a hung process. */
  private static final Duration TEST_TIMEOUT = Duration.ofMinutes(2);

  @Test
  void typedClientTestsPassAgainstServer() throws Exception {
    String neededBy = "the TypeScript client test";
    Path npm = NodeTools.requireTool("npm", neededBy);
    NodeTools.requireTool("node", neededBy);
    Path dir = NodeTools.repoRoot(PACKAGE_DIR).resolve(PACKAGE_DIR);

    if (!Files.isDirectory(dir.resolve("node_modules").resolve("@connectrpc").resolve("connect-node"))) {
      NodeTools.run(dir, NPM_CI_TIMEOUT, Map.of(), npm.toString(), "ci", "--no-audit", "--no-fund")
          .assertSucceeded("npm ci in " + dir, NPM_CI_TIMEOUT);
    }
    NodeTools.run(dir, BUILD_TIMEOUT, Map.of(), npm.toString(), "run", "build")
        .assertSucceeded("npm run build in " + dir, BUILD_TIMEOUT);

    try (InMemoryUserStore store = new InMemoryUserStore();
        UserServer server = UserServer.newBuilder(
                NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
                    InsecureServerCredentials.create()))
            .setStore(store)
            .build()
            .start()) {
      String url = "http://127.0.0.1:" + server.port();
      NodeTools.Result result = NodeTools.run(dir, TEST_TIMEOUT, Map.of("USER_SERVER_URL", url),
          npm.toString(), "test");
      // Shown in target/surefire-reports/*-output.txt on success too.
      System.out.println(result.output());
      result.assertSucceeded("npm test (USER_SERVER_URL=" + url + ")", TEST_TIMEOUT);
      // node:test exits 0 when everything was skipped, too.
      assertThat(result.output()).containsPattern("# pass [1-9]").doesNotContain("# SKIP");
    }
  }
}
