package io.github.usergrpc.user.server.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.server.UserServer;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a scrape exposes after a fixed set of calls, line by line: every metric's name, help, type, unit and
 * label set, and every value that does not depend on timing (call counts, message sizes, store operation
 * counts but the health service's pings). Any change that drops a metric, a label or a series, or changes a count, fails it; the expected
 * scrape was taken before the per-call cost of the metrics was cut (issue 17). Durations' buckets and sums
 * depend on the machine's speed and are compared as present only; so are the library versions in the labels.
 */
class ServerMetricsTest {

  /**
   * Sample lines whose values depend on timing: durations, and how often the health service has pinged the
   * store by then.
   */
  private static final Pattern TIMED = Pattern.compile(
      "^([a-z_]*_duration_seconds_(bucket|sum)\\{|user_store_operation_duration_seconds_count\\{operation=\"ping\")");
  private static final Pattern VERSION_LABEL = Pattern.compile("((otel_scope_version|telemetry_sdk_version)=\")[^\"]*\"");
  private static final Pattern SAMPLE = Pattern.compile("^(\\S+\\{.*}|\\S+) (\\S+)$");

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();

  @Test
  void scrape_afterAFixedSetOfCalls_isTheSameMetricsLabelsAndCountsAsBefore() throws IOException {
    ServerMetrics metrics = cleanup.register(new ServerMetrics());
    String name = InProcessServerBuilder.generateName();
    cleanup.register(UserServer.newBuilder(InProcessServerBuilder.forName(name).directExecutor())
        .setStore(new InMemoryUserStore()).setMetrics(metrics).build().start());
    ManagedChannel channel = cleanup.register(InProcessChannelBuilder.forName(name).directExecutor().build());
    UserServiceGrpc.UserServiceBlockingStub users = UserServiceGrpc.newBlockingStub(channel);

    UserResponse created = users.createUser(CreateUserRequest.newBuilder().setEmail("m@example.com").setName("M").build());
    for (int i = 0; i < 3; i++) {
      users.getUser(GetUserRequest.newBuilder().setId(created.getId()).build());
    }
    assertThatThrownBy(() -> users.getUser(GetUserRequest.newBuilder()
        .setId("00000000-0000-0000-0000-000000000000").build())).isInstanceOf(StatusRuntimeException.class);
    assertThatThrownBy(() -> users.createUser(CreateUserRequest.newBuilder().setEmail("m@example.com")
        .setName("M").build())).isInstanceOf(StatusRuntimeException.class);

    assertThat(normalized(metrics.scrape())).containsExactlyElementsOf(expected());
  }

  private static List<String> expected() throws IOException {
    try (InputStream in = Objects.requireNonNull(
        ServerMetricsTest.class.getResourceAsStream("ServerMetricsTest.scrape.txt"), "the expected scrape")) {
      return List.of(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n"));
    }
  }

  /** The scrape's lines, with timed values and library versions replaced by {@code *}. */
  static List<String> normalized(String scrape) {
    List<String> lines = new ArrayList<>();
    for (String line : scrape.split("\n")) {
      String kept = VERSION_LABEL.matcher(line).replaceAll("$1*\"");
      Matcher sample = SAMPLE.matcher(kept);
      if (!kept.startsWith("#") && TIMED.matcher(kept).find() && sample.matches()) {
        kept = sample.group(1) + " *";
      }
      lines.add(kept);
    }
    return lines;
  }
}
