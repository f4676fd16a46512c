package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/** The runnable jar as the README runs it: {@code java -jar user-server/target/user-server.jar}. */
class UserServerJarIT {

  @Test
  void jar_startsServesAndStopsOnSigterm() throws Exception {
    Path jar = ServerJar.path();
    assertThat(jar).exists();
    try (ServerJar server = ServerJar.start("--store", "memory")) {
      assertThat(server.startLine()).contains("with store memory");
      ManagedChannel channel = server.channel();
      try {
        assertThat(HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);
        UserResponse user = UserServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
            .createUser(CreateUserRequest.newBuilder().setEmail("jar@example.com").setName("Jar").build());
        assertThat(user.getRole()).isEqualTo("viewer");
      } finally {
        channel.shutdownNow();
      }

      assertThat(server.stop()).contains("user-server: stopped");
    }
    assertThat(Files.size(jar)).isGreaterThan(1_000_000);
  }

  @Test
  void jar_hasTheGrpcInstrumentation_withoutItsContextBridge() throws Exception {
    // gRPC would pick the bridge up by its name alone (see ServerTracing); the test run without it is
    // tracing-without-context-bridge.
    try (JarFile jar = new JarFile(ServerJar.path().toFile())) {
      assertThat(jar.getEntry("io/opentelemetry/instrumentation/grpc/v1_6/GrpcTelemetry.class")).isNotNull();
      assertThat(jar.stream().map(JarEntry::getName)).noneMatch(name -> name.startsWith("io/grpc/override/"));
    }
  }
}
