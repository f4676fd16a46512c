package io.github.usergrpc.user.server.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * Which class path this run of the tests has: Maven's usual one, with OpenTelemetry's gRPC context bridge
 * ({@code io.grpc.override.ContextStorageOverride}, in the instrumentation's jar), or the one of the
 * {@code tracing-without-context-bridge} run (see pom.xml), without it, as in user-server.jar. The tracing
 * tests show that tracing works in user-server.jar only in the second; this makes sure that it is what its
 * name says, so that a broken set-up cannot pass for it.
 */
class ContextBridgeTest {

  private static final String BRIDGE = "io.grpc.override.ContextStorageOverride";

  @Test
  void theContextBridge_isOnTheClassPath_onlyInTheRunThatSaysSo() throws Exception {
    // An IDE runs the tests on Maven's class path, with no property.
    if (System.getProperty("user-server.contextBridge", "present").equals("absent")) {
      assertThatThrownBy(() -> Class.forName(BRIDGE)).isInstanceOf(ClassNotFoundException.class);
      // The rest of the instrumentation is there, from the unpacked copy.
      assertThat(Class.forName("io.opentelemetry.instrumentation.grpc.v1_6.GrpcTelemetry")).isNotNull();
    } else {
      assertThat(Class.forName(BRIDGE)).isNotNull();
    }
  }
}
