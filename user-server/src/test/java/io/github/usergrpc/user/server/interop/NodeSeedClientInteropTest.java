package io.github.usergrpc.user.server.interop;

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
 * Runs {@code interop/node/seed-client.js}, a Node.js client written the way the original tutorial writes
 * it (@grpc/grpc-js + @grpc/proto-loader) and loading the untouched original contract
 * {@code user-api/src/test/seed/user.proto}, against this server over a real loopback port. It checks that
 * our user.proto stays a wire-compatible superset of the seed for an existing client in another language.
 *
 * <p>Needs {@code node} and {@code npm} on the PATH; {@code npm ci} runs in interop/node when its
 * node_modules is missing. Without them the test is skipped, unless the environment variable or system
 * property {@code REQUIRE_NODE=true} is set (as CI should), in which case it fails.
 */
class NodeSeedClientInteropTest {

  private static final Path NODE_DIR = Paths.get("interop", "node");
  private static final Path SCRIPT = NODE_DIR.resolve("seed-client.js");
  /** The script gives up after 30 s by itself; this only guards against a hung process. */
  private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration NPM_CI_TIMEOUT = Duration.ofMinutes(5);

  @Test
  void seedClientPassesAgainstServer() throws Exception {
    String neededBy = "the Node.js seed-client interop test";
    Path node = NodeTools.requireTool("node", neededBy);
    Path npm = NodeTools.requireTool("npm", neededBy);
    Path root = NodeTools.repoRoot(NODE_DIR);
    installDependenciesIfMissing(npm, root.resolve(NODE_DIR));

    try (InMemoryUserStore store = new InMemoryUserStore();
        UserServer server = UserServer.newBuilder(
                NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
                    InsecureServerCredentials.create()))
            .setStore(store)
            .build()
            .start()) {
      String address = "127.0.0.1:" + server.port();

      NodeTools.Result result = NodeTools.run(root, SCRIPT_TIMEOUT, Map.of(),
          node.toString(), SCRIPT.toString(), address);

      // Shown in target/surefire-reports/*-output.txt on success too.
      System.out.println(result.output());
      result.assertSucceeded("node " + SCRIPT + " " + address, SCRIPT_TIMEOUT);
    }
  }

  /** Runs {@code npm ci} in interop/node unless the client's dependencies are already installed. */
  private static void installDependenciesIfMissing(Path npm, Path nodeDir) throws Exception {
    Path modules = nodeDir.resolve("node_modules");
    if (Files.isDirectory(modules.resolve("@grpc").resolve("grpc-js"))
        && Files.isDirectory(modules.resolve("@grpc").resolve("proto-loader"))) {
      return;
    }
    // --ignore-scripts: the client needs no install scripts (protobufjs only has a version-check one).
    NodeTools.run(nodeDir, NPM_CI_TIMEOUT, Map.of(),
            npm.toString(), "ci", "--ignore-scripts", "--no-audit", "--no-fund")
        .assertSucceeded("npm ci in " + nodeDir, NPM_CI_TIMEOUT);
  }
}
