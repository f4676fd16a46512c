package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.server.activity.jetstream.JetStreamActivitySettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the command line configures the stream: {@link JetStreamActivity#settings}. */
class JetStreamActivityTest {

  @Test
  void settings_streamFromTheOptions_maxAgeIsTheActivityRetention() {
    ServerOptions options = ServerOptions.parse(List.of("--activity", "nats://n1:4222,nats://n2:4222",
        "--activity-stream", "Users", "--activity-replicas", "3", "--activity-retention", "12h"), Map.of());

    JetStreamActivitySettings settings =
        JetStreamActivity.settings(options.jetStream().orElseThrow(), options.activityRetention());

    assertThat(settings.servers()).containsExactly("nats://n1:4222", "nats://n2:4222");
    assertThat(settings.streamName()).isEqualTo("Users");
    assertThat(settings.subjectPrefix()).isEqualTo("users");
    assertThat(settings.replicas()).isEqualTo(3);
    assertThat(settings.maxAge()).isEqualTo(Duration.ofHours(12));
    assertThat(settings.duplicateWindow()).isEqualTo(JetStreamActivitySettings.DEFAULT_DUPLICATE_WINDOW);
  }

  @Test
  void settings_retentionShorterThanTheDuplicateWindow_shortensTheWindow() {
    ServerOptions options = ServerOptions.parse(List.of("--activity", "nats://n1:4222", "--activity-retention",
        "30s"), Map.of());

    JetStreamActivitySettings settings =
        JetStreamActivity.settings(options.jetStream().orElseThrow(), options.activityRetention());

    assertThat(settings.maxAge()).isEqualTo(Duration.ofSeconds(30));
    assertThat(settings.duplicateWindow()).isEqualTo(Duration.ofSeconds(30));
  }
}
