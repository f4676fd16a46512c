package io.github.usergrpc.user.server.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.testsupport.GrpcCleanup;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

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

  /** The tests bound their own waits; this only guards against a hung process. */
  private static final Duration TEST_TIMEOUT = Duration.ofMinutes(2);

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();

  @Test
  void typedClientTestsPassAgainstServer() throws Exception {
    String neededBy = "the TypeScript client test";
    Path npm = NodeTools.requireTool("npm", neededBy);
    NodeTools.requireTool("node", neededBy);
    Path dir = NodeTools.buildTypeScriptClient(npm);
    String url = "http://127.0.0.1:" + NodeTools.loopbackServer(cleanup, server -> server).port();

    NodeTools.Result result = NodeTools.run(dir, TEST_TIMEOUT, Map.of("USER_SERVER_URL", url),
        npm.toString(), "test");

    // Shown in target/surefire-reports/*-output.txt on success too.
    System.out.println(result.output());
    result.assertSucceeded("npm test (USER_SERVER_URL=" + url + ")", TEST_TIMEOUT);
    // node:test exits 0 when everything was skipped, too.
    assertThat(result.output()).containsPattern("# pass [1-9]").doesNotContain("# SKIP");
  }
}
