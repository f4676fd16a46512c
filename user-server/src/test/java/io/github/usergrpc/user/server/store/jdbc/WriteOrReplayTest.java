package io.github.usergrpc.user.server.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.server.store.PostgresTestDatabase;
import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.NewUser;
import io.github.usergrpc.user.service.store.User;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The race of write first, replay on a duplicate request id ({@link WriteOrReplay}), on each database: a
 * CreateUser or RecordActivity whose request id collides, but which the pruner deletes before the look-up,
 * runs once more as a new call instead of failing with "duplicate key". The test deletes the request where
 * the pruner might, between the rejected write and the look-up.
 */
class WriteOrReplayTest {

  private static final long T0 = 1_700_000_000_000L;

  /** Whether the look-ups of the store delete their request id first, as the pruner may. */
  private volatile boolean pruneBeforeLookUp;
  private final AtomicInteger pruned = new AtomicInteger();

  @Test
  void h2_createUser_requestIdPrunedBeforeItsLookUp_createsAsNew() {
    createUser_requestIdPrunedBeforeItsLookUp_createsAsNew(h2());
  }

  @Test
  void h2_recordActivity_requestIdPrunedBeforeItsLookUp_recordsAsNew() {
    recordActivity_requestIdPrunedBeforeItsLookUp_recordsAsNew(h2());
  }

  @Test
  void sqlite_createUser_requestIdPrunedBeforeItsLookUp_createsAsNew(@TempDir Path directory) {
    createUser_requestIdPrunedBeforeItsLookUp_createsAsNew(sqlite(directory));
  }

  @Test
  void sqlite_recordActivity_requestIdPrunedBeforeItsLookUp_recordsAsNew(@TempDir Path directory) {
    recordActivity_requestIdPrunedBeforeItsLookUp_recordsAsNew(sqlite(directory));
  }

  @Nested
  class OnPostgres {

    @RegisterExtension
    final PostgresTestDatabase postgres = new PostgresTestDatabase();

    @Test
    void postgres_createUser_requestIdPrunedBeforeItsLookUp_createsAsNew() {
      createUser_requestIdPrunedBeforeItsLookUp_createsAsNew(postgres.settings());
    }

    @Test
    void postgres_recordActivity_requestIdPrunedBeforeItsLookUp_recordsAsNew() {
      recordActivity_requestIdPrunedBeforeItsLookUp_recordsAsNew(postgres.settings());
    }
  }

  private void createUser_requestIdPrunedBeforeItsLookUp_createsAsNew(JdbcSettings settings) {
    String requestId = UUID.randomUUID().toString();
    try (JdbcUserStore store = open(settings)) {
      store.create(new NewUser("u1", "a@example.com", "A", "viewer", T0), Optional.of(requestId));

      pruneBeforeLookUp = true;
      User second = store.create(new NewUser("u2", "b@example.com", "B", "viewer", T0 + 1), Optional.of(requestId));
      pruneBeforeLookUp = false;

      assertThat(pruned).hasValue(1);
      assertThat(second.id()).isEqualTo("u2");
      assertThat(store.find("u2")).contains(second);
      // The request id is kept again, for the second create.
      assertThat(store.create(new NewUser("u3", "b@example.com", "B", "viewer", T0 + 2), Optional.of(requestId)))
          .isEqualTo(second);
      assertThat(store.count(Optional.empty())).isEqualTo(2);
    }
  }

  private void recordActivity_requestIdPrunedBeforeItsLookUp_recordsAsNew(JdbcSettings settings) {
    String requestId = UUID.randomUUID().toString();
    try (JdbcUserStore store = open(settings)) {
      store.create(new NewUser("u1", "a@example.com", "A", "viewer", T0), Optional.empty());
      ActivityRecord first = store.recordActivity("u1", "page_view", "/a", T0 + 1, Optional.of(requestId));

      pruneBeforeLookUp = true;
      ActivityRecord second = store.recordActivity("u1", "page_view", "/b", T0 + 2, Optional.of(requestId));
      pruneBeforeLookUp = false;

      assertThat(pruned).hasValue(1);
      assertThat(second).isEqualTo(new ActivityRecord(first.sequence() + 1, "u1", "page_view", "/b", T0 + 2));
      // The request id is kept again, for the second call.
      assertThat(store.recordActivity("u1", "page_view", "/b", T0 + 3, Optional.of(requestId))).isEqualTo(second);
      assertThat(store.lastSequence("u1")).isEqualTo(second.sequence());
    }
  }

  /** Opens a store whose look-ups of request ids first delete the request, while {@link #pruneBeforeLookUp}. */
  private JdbcUserStore open(JdbcSettings settings) {
    return JdbcUserStore.open(settings, Clock.systemUTC(), true, requestId -> {
      if (pruneBeforeLookUp) {
        deleteRequest(settings, requestId);
        pruned.incrementAndGet();
      }
    });
  }

  /** Deletes the request as the pruner does, on a connection of its own, committed before it returns. */
  private static void deleteRequest(JdbcSettings settings, String requestId) {
    try (Connection connection = DriverManager.getConnection(
        settings.dialect().connectionUrl(settings.jdbcUrl()), settings.user(), settings.password())) {
      for (String table : new String[] {"create_requests", "activity"}) {
        try (PreparedStatement delete = connection.prepareStatement(
            "DELETE FROM " + table + " WHERE request_id = ?")) {
          delete.setString(1, requestId);
          delete.executeUpdate();
        }
      }
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  private static JdbcSettings h2() {
    return JdbcSettings.newBuilder().setJdbcUrl("jdbc:h2:mem:replay-" + UUID.randomUUID()).build();
  }

  private static JdbcSettings sqlite(Path directory) {
    return JdbcSettings.newBuilder().setJdbcUrl("jdbc:sqlite:" + directory.resolve("replay.db")).build();
  }
}
