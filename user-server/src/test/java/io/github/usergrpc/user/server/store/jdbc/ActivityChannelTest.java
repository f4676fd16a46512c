package io.github.usergrpc.user.server.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ActivityChannelTest {

  private static final byte[] SECRET = new byte[32];

  @Test
  void name_sameForEveryServerOfAStore_otherForAnotherStore() {
    byte[] otherSecret = new byte[32];
    otherSecret[0] = 1;

    assertThat(ActivityChannel.of(SECRET).name()).isEqualTo(ActivityChannel.of(SECRET).name())
        .matches("user_activity_[0-9a-f]{16}");
    assertThat(ActivityChannel.of(otherSecret).name()).isNotEqualTo(ActivityChannel.of(SECRET).name());
  }

  @Test
  void payload_readByAnotherServer_namesTheUsers_andItsSenderSkipsIt() {
    ActivityChannel sender = ActivityChannel.of(SECRET);
    ActivityChannel receiver = ActivityChannel.of(SECRET);
    String payload = sender.payload(List.of("u1", "ü2"));

    ActivityChannel.Wakeup received = new ActivityChannel.Wakeup();
    receiver.read(payload, received);
    ActivityChannel.Wakeup own = new ActivityChannel.Wakeup();
    sender.read(payload, own);

    assertThat(received.any).isFalse();
    assertThat(received.userIds).containsExactly("u1", "ü2");
    assertThat(own.any).isFalse();
    assertThat(own.userIds).isEmpty();
  }

  @Test
  void payload_usersThatDoNotFit_sayAnyUser_withinPostgresLimit() {
    ActivityChannel sender = ActivityChannel.of(SECRET);
    List<String> fits = new ArrayList<>();
    List<String> tooMany = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      String id = String.format("%036d", i); // a UUID's length
      if (i < 200) {
        fits.add(id);
      }
      tooMany.add(id);
    }

    ActivityChannel.Wakeup some = new ActivityChannel.Wakeup();
    ActivityChannel.of(SECRET).read(sender.payload(fits), some);
    ActivityChannel.Wakeup all = new ActivityChannel.Wakeup();
    ActivityChannel.of(SECRET).read(sender.payload(tooMany), all);
    ActivityChannel.Wakeup lineBreak = new ActivityChannel.Wakeup();
    ActivityChannel.of(SECRET).read(sender.payload(List.of("a\nb")), lineBreak);

    assertThat(sender.payload(fits).length()).isLessThanOrEqualTo(ActivityChannel.MAX_PAYLOAD_BYTES);
    assertThat(some.any).isFalse();
    assertThat(some.userIds).containsExactlyElementsOf(fits);
    assertThat(all.any).isTrue();
    assertThat(lineBreak.any).isTrue();
    assertThat(lineBreak.userIds).isEqualTo(Set.of());
  }
}
