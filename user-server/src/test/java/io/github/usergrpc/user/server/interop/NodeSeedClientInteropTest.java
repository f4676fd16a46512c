package io.github.usergrpc.user.server.interop;

import io.github.usergrpc.user.testsupport.GrpcCleanup;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

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

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();

  @Test
  void seedClientPassesAgainstServer() throws Exception {
    String neededBy = "the Node.js seed-client interop test";
    Path node = NodeTools.requireTool("node", neededBy);
    Path npm = NodeTools.requireTool("npm", neededBy);
    Path root = NodeTools.repoRoot(NODE_DIR);
    // --ignore-scripts: the client needs no install scripts (protobufjs only has a version-check one).
    NodeTools.installUnlessPresent(npm, root.resolve(NODE_DIR),
        List.of(Paths.get("@grpc", "grpc-js"), Paths.get("@grpc", "proto-loader")), "--ignore-scripts");
    String address = "127.0.0.1:" + NodeTools.loopbackServer(cleanup, server -> server).port();

    NodeTools.Result result = NodeTools.run(root, SCRIPT_TIMEOUT, Map.of(), node.toString(), SCRIPT.toString(),
        address);

    // Shown in target/surefire-reports/*-output.txt on success too.
    System.out.println(result.output());
    result.assertSucceeded("node " + SCRIPT + " " + address, SCRIPT_TIMEOUT);
  }
}
