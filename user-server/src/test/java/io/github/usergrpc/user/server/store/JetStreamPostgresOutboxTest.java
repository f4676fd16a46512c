package io.github.usergrpc.user.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.server.activity.jetstream.JetStreamActivitySettings;
import io.github.usergrpc.user.server.activity.jetstream.JetStreamUserStore;
import io.github.usergrpc.user.server.activity.jetstream.LocalNats;
import io.github.usergrpc.user.server.activity.jetstream.RelayLease;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.NewUser;
import io.github.usergrpc.user.service.store.UserChanges;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The JetStream store's outbox on PostgreSQL, where UpdateUser and DeleteUser read their user's pending rows in
 * the statement that writes their own: the rows that another server committed and left behind go to the stream
 * at once, before the change's own, in the order of their commits.
 */
class JetStreamPostgresOutboxTest {

  private static final long T0 = 1_700_000_000_000L;

  @RegisterExtension
  final PostgresTestDatabase postgres = new PostgresTestDatabase();

  @RegisterExtension
  final LocalNats nats = new LocalNats();

  @Test
  void update_afterChangesLeftInTheOutbox_publishesThemFirst_atOnce() {
    JdbcSettings database = postgres.settings().toBuilder().setActivityOutbox(true).build();
    JetStreamActivitySettings stream = nats.freshSettings();
    JdbcUserStore users = JdbcUserStore.open(database);
    try (JetStreamUserStore jetStream = JetStreamUserStore.open(users, users.outbox(), RelayLease.singleProcess(),
            stream);
        JdbcUserStore other = JdbcUserStore.open(database)) {
      jetStream.create(new NewUser("u1", "a@example.com", "A", "viewer", T0), Optional.empty());
      // Another server committed two changes and died before it published their events: the rows wait.
      other.update("u1", rename("B"), Optional.empty(), T0 + 1);
      other.update("u1", rename("C"), Optional.empty(), T0 + 2);

      jetStream.update("u1", rename("D"), Optional.empty(), T0 + 3);
      // At once: the relay would take the rows left behind only after its grace period.
      assertThat(jetStream.userActivityAfter("u1", 0, 10)).extracting(ActivityRecord::occurredAtMillis)
          .containsExactly(T0, T0 + 1, T0 + 2, T0 + 3);

      other.update("u1", rename("E"), Optional.empty(), T0 + 4);
      jetStream.delete("u1", Optional.empty(), T0 + 5);
      assertThat(jetStream.userActivityAfter("u1", 0, 10)).extracting(ActivityRecord::action).containsExactly(
          ActivityRecord.USER_CREATED, ActivityRecord.USER_UPDATED, ActivityRecord.USER_UPDATED,
          ActivityRecord.USER_UPDATED, ActivityRecord.USER_UPDATED, ActivityRecord.USER_DELETED);
      assertThat(other.outbox().pending(10)).isEmpty();
    }
  }

  private static UserChanges rename(String name) {
    return new UserChanges(Optional.empty(), Optional.of(name), Optional.empty());
  }
}
