package io.github.usergrpc.user.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The load generator issues each call from the previous one's completion. With a class named
 * {@code io.grpc.override.ContextStorageOverride} on the class path (OpenTelemetry's gRPC instrumentation has
 * one), gRPC's Context grows a level per such call and logs "Context ancestry chain length is abnormally long"
 * by the thousand. The benchmarks run on this module's runtime class path (target/classpath.txt), which tests
 * share; the servers they measure run apart, from user-server.jar, which may have it.
 */
class BenchClassPathTest {

  @Test
  void classPath_hasNoGrpcContextStorageOverride() {
    assertThat(BenchClassPathTest.class.getClassLoader().getResource("io/grpc/override/ContextStorageOverride.class"))
        .isNull();
  }
}
