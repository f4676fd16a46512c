package io.github.usergrpc.user.server.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class JdbcSettingsTest {

  @Test
  void newBuilder_nothingSet_hasDocumentedDefaults() {
    JdbcSettings settings = JdbcSettings.newBuilder().build();

    assertThat(settings.jdbcUrl()).isEqualTo("jdbc:h2:file:./data/users");
    assertThat(settings.user()).isEqualTo("sa");
    assertThat(settings.password()).isEmpty();
    assertThat(settings.maximumPoolSize()).isEqualTo(10);
    assertThat(settings.connectionTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(settings.activityNotifications()).isTrue();
  }

  @Test
  void toBuilder_changedCopy_leavesOriginalAsItWas() {
    JdbcSettings original = JdbcSettings.newBuilder()
        .setJdbcUrl("jdbc:postgresql://db:5432/users")
        .setUser("users")
        .setPassword("secret")
        .setMaximumPoolSize(3)
        .setConnectionTimeout(Duration.ofMillis(250))
        .build();

    JdbcSettings changed = original.toBuilder().setMaximumPoolSize(7).setActivityNotifications(false).build();

    assertThat(changed.maximumPoolSize()).isEqualTo(7);
    assertThat(changed.jdbcUrl()).isEqualTo("jdbc:postgresql://db:5432/users");
    assertThat(changed.password()).isEqualTo("secret");
    assertThat(changed.connectionTimeout()).isEqualTo(Duration.ofMillis(250));
    assertThat(original.maximumPoolSize()).isEqualTo(3);
    assertThat(changed.activityNotifications()).isFalse();
    assertThat(original.activityNotifications()).isTrue();
  }

  @Test
  void toString_withPassword_neverShowsIt() {
    JdbcSettings settings = JdbcSettings.newBuilder().setPassword("hunter2").build();

    assertThat(settings.toString()).doesNotContain("hunter2").contains("jdbc:h2:file:./data/users");
  }

  @Test
  void setJdbcUrl_otherDatabase_throwsIllegalArgument() {
    assertThatThrownBy(() -> JdbcSettings.newBuilder().setJdbcUrl("jdbc:mysql://db/users"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(
            "jdbcUrl: jdbc:mysql://db/users (expected: jdbc:sqlite:..., jdbc:h2:... or jdbc:postgresql:...)");
  }

  @Test
  void setJdbcUrl_sqliteInMemory_throwsIllegalArgument() {
    for (String url : new String[] {"jdbc:sqlite::memory:", "jdbc:sqlite:file:x?mode=memory", "jdbc:sqlite:"}) {
      assertThatThrownBy(() -> JdbcSettings.newBuilder().setJdbcUrl(url))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("jdbcUrl: " + url + " (expected: a SQLite database file)");
    }
  }

  @Test
  void setMaximumPoolSize_zero_throwsIllegalArgument() {
    assertThatThrownBy(() -> JdbcSettings.newBuilder().setMaximumPoolSize(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maximumPoolSize: 0 (expected: >= 1)");
  }

  @Test
  void setConnectionTimeout_belowHikariMinimum_throwsIllegalArgument() {
    assertThatThrownBy(() -> JdbcSettings.newBuilder().setConnectionTimeout(Duration.ofMillis(249)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("connectionTimeout: PT0.249S (expected: >= PT0.25S)");
  }
}
