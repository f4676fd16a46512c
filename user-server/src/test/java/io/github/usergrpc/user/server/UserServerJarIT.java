package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The runnable jar as the README runs it: {@code java -jar user-server/target/user-server.jar}. */
class UserServerJarIT {

  @Test
  void jar_startsServesAndStopsOnSigterm() throws Exception {
    Path jar = Path.of(System.getProperty("server.jar", "target/user-server.jar"));
    assertThat(jar).exists();
    Process process = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", jar.toString(), "--port", "0", "--store", "memory")).redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    try {
      Matcher start = Pattern.compile("user-server listening on port (\\d+) with store memory").matcher("");
      String line;
      while ((line = out.readLine()) != null && !start.reset(line).matches()) {
        // Skip log lines.
      }
      assertThat(line).as("start line").isNotNull();
      ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", Integer.parseInt(start.group(1)),
          InsecureChannelCredentials.create()).build();
      try {
        assertThat(HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);
        UserResponse user = UserServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
            .createUser(CreateUserRequest.newBuilder().setEmail("jar@example.com").setName("Jar").build());
        assertThat(user.getRole()).isEqualTo("viewer");
      } finally {
        channel.shutdownNow();
      }

      // SIGTERM through the handle: Process.destroy() would also close our end of the output pipe.
      process.toHandle().destroy();

      assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(out.lines().toList()).contains("user-server: stopped");
    } finally {
      process.destroyForcibly();
    }
    assertThat(Files.size(jar)).isGreaterThan(1_000_000);
  }

  @Test
  void jar_hasTheGrpcInstrumentation_withoutItsContextBridge() throws Exception {
    // gRPC would pick the bridge up by its name alone (see ServerTracing); the test run without it is
    // tracing-without-context-bridge.
    try (JarFile jar = new JarFile(System.getProperty("server.jar", "target/user-server.jar"))) {
      assertThat(jar.getEntry("io/opentelemetry/instrumentation/grpc/v1_6/GrpcTelemetry.class")).isNotNull();
      assertThat(jar.stream().map(JarEntry::getName)).noneMatch(name -> name.startsWith("io/grpc/override/"));
    }
  }
}
