package io.github.usergrpc.user.service.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class UserTest {

  @Test
  void etag_isTheFirst8BytesOfSha256OfIdAndVersion_quoted_asClientsHoldThemAcrossUpgrades() {
    // printf 'u1\n3' | sha256sum, and the same for a UUID id: etags handed out by earlier versions of the
    // server must still match after an upgrade.
    assertThat(user("u1", 3).etag()).isEqualTo("\"677c7af36f1d13b1\"");
    assertThat(user("0b5f2ed4-3f2a-4c35-9a8e-6f1d2c3b4a59", 12).etag()).isEqualTo("\"1e68a91f30168318\"");
  }

  @Test
  void etag_changesWithTheVersion_andIsTheSameFromManyThreadsAtOnce() throws Exception {
    Set<String> distinct = new HashSet<>();
    for (long version = 1; version <= 100; version++) {
      distinct.add(user("u1", version).etag());
    }
    assertThat(distinct).hasSize(100);

    ExecutorService threads = Executors.newFixedThreadPool(4);
    try {
      Set<String> seen = ConcurrentHashMap.newKeySet();
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        futures.add(threads.submit(() -> {
          for (int n = 0; n < 10_000; n++) {
            seen.add(user("u1", 3).etag());
          }
        }));
      }
      for (Future<?> future : futures) {
        future.get(30, TimeUnit.SECONDS);
      }
      assertThat(seen).containsExactly("\"677c7af36f1d13b1\"");
    } finally {
      threads.shutdownNow();
    }
  }

  private static User user(String id, long version) {
    return new User(id, "ada@example.com", "Ada", "viewer", 0, 0, version);
  }
}
