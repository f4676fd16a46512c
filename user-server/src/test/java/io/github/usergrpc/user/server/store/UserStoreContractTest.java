package io.github.usergrpc.user.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.EmailAlreadyExistsException;
import io.github.usergrpc.user.service.store.EtagMismatchException;
import io.github.usergrpc.user.service.store.NewUser;
import io.github.usergrpc.user.service.store.PageCursor;
import io.github.usergrpc.user.service.store.RequestIdReusedException;
import io.github.usergrpc.user.service.store.User;
import io.github.usergrpc.user.service.store.UserChanges;
import io.github.usergrpc.user.service.store.UserNotFoundException;
import io.github.usergrpc.user.service.store.UserStore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The behaviour every {@link UserStore} has, specified once. A subclass supplies a fresh, empty store per
 * test with {@link #newStore()}; the store is closed after the test.
 */
abstract class UserStoreContractTest {

  private static final long T0 = 1_700_000_000_000L;
  private static final Comparator<User> NEWEST_FIRST = Comparator
      .comparingLong(User::createdAtMillis).reversed()
      .thenComparing(User::id, Comparator.reverseOrder());

  /** The store under test, fresh for every test. */
  UserStore store;

  /** Returns a new, empty store; the test closes it. */
  protected abstract UserStore newStore();

  @BeforeEach
  void openStore() {
    store = newStore();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  // Create and find.

  @Test
  void create_newUser_findReturnsItAsVersionOne() {
    User created = store.create(new NewUser("u1", "Ada@Example.com", "Ada", "admin", T0), Optional.empty());

    assertThat(created).isEqualTo(new User("u1", "Ada@Example.com", "Ada", "admin", T0, T0, 1));
    assertThat(store.find("u1")).contains(created);
    assertThat(store.find("nobody")).isEmpty();
  }

  @Test
  void create_emailTakenInOtherCase_throwsEmailAlreadyExists() {
    create("u1", "ada@example.com", T0);

    assertThatThrownBy(() -> create("u2", "ADA@example.COM", T0 + 1))
        .isInstanceOf(EmailAlreadyExistsException.class)
        .hasMessageNotContaining("ada@example.com");
    assertThat(store.find("u2")).isEmpty();
    assertThat(store.count(Optional.empty())).isEqualTo(1);
    assertThat(store.lastSequence("u1")).isEqualTo(1);
  }

  @Test
  void create_sameRequestIdSameValues_returnsFirstUserAndCreatesNothing() {
    User first = store.create(newUser("u1", "ada@example.com", T0), Optional.of("req-1"));

    User again = store.create(newUser("u2", "ADA@example.com", T0 + 5), Optional.of("req-1"));

    assertThat(again).isEqualTo(first);
    assertThat(store.count(Optional.empty())).isEqualTo(1);
    assertThat(eventsOf("u1", "u2")).hasSize(1);
  }

  @Test
  void create_sameRequestIdAfterUpdateAndDelete_returnsUserAsCreated() {
    User first = store.create(newUser("u1", "ada@example.com", T0), Optional.of("req-1"));
    store.update("u1", nameChange("Changed"), Optional.empty(), T0 + 1);

    assertThat(store.create(newUser("u2", "ada@example.com", T0 + 2), Optional.of("req-1"))).isEqualTo(first);
    store.delete("u1", Optional.empty(), T0 + 3);
    assertThat(store.create(newUser("u3", "ada@example.com", T0 + 4), Optional.of("req-1"))).isEqualTo(first);
    assertThat(store.find("u1")).isEmpty();
    assertThat(store.count(Optional.empty())).isZero();
  }

  @Test
  void create_sameRequestIdOtherValues_throwsRequestIdReused() {
    store.create(newUser("u1", "ada@example.com", T0), Optional.of("req-1"));

    assertThatThrownBy(() -> store.create(newUser("u2", "bob@example.com", T0), Optional.of("req-1")))
        .isInstanceOf(RequestIdReusedException.class)
        .satisfies(e -> assertThat(((RequestIdReusedException) e).requestId()).isEqualTo("req-1"));
    assertThatThrownBy(() -> store.create(
        new NewUser("u3", "ada@example.com", "Other name", "viewer", T0), Optional.of("req-1")))
        .isInstanceOf(RequestIdReusedException.class);
    assertThat(store.count(Optional.empty())).isEqualTo(1);
  }

  // Update and delete.

  @Test
  void update_someFieldsPresent_changesOnlyThoseAndBumpsVersion() {
    User created = create("u1", "ada@example.com", T0);

    User updated = store.update("u1", nameChange("Ada L."), Optional.empty(), T0 + 10);

    assertThat(updated).isEqualTo(new User("u1", "ada@example.com", "Ada L.", "viewer", T0, T0 + 10, 2));
    assertThat(updated.etag()).isNotEqualTo(created.etag());
    assertThat(store.find("u1")).contains(updated);
  }

  @Test
  void update_valuesAsTheyAre_writesNothingAndEmitsNoEvent() {
    User created = create("u1", "ada@example.com", T0);
    AtomicInteger commits = new AtomicInteger();
    store.addCommitListener(event -> commits.incrementAndGet());

    User same = store.update("u1", new UserChanges(Optional.of("ada@example.com"), Optional.of(created.name()),
        Optional.empty()), Optional.of(created.etag()), T0 + 10);

    assertThat(same).isEqualTo(created);
    assertThat(store.find("u1")).contains(created);
    assertThat(store.lastSequence("u1")).isEqualTo(1);
    assertThat(commits).hasValue(0);
  }

  @Test
  void update_emailOfAnotherUser_throwsEmailAlreadyExists() {
    create("u1", "ada@example.com", T0);
    create("u2", "bob@example.com", T0);

    assertThatThrownBy(() -> store.update("u2", emailChange("ADA@example.com"), Optional.empty(), T0 + 1))
        .isInstanceOf(EmailAlreadyExistsException.class);
    assertThat(store.find("u2").orElseThrow().email()).isEqualTo("bob@example.com");
    assertThat(store.update("u2", emailChange("Bob@Example.com"), Optional.empty(), T0 + 2).email())
        .isEqualTo("Bob@Example.com");
  }

  @Test
  void update_currentEtag_succeeds() {
    User created = create("u1", "ada@example.com", T0);

    assertThat(store.update("u1", nameChange("New"), Optional.of(created.etag()), T0 + 1).version()).isEqualTo(2);
  }

  @Test
  void update_staleEtag_throwsEtagMismatchAndChangesNothing() {
    User created = create("u1", "ada@example.com", T0);
    User updated = store.update("u1", nameChange("New"), Optional.empty(), T0 + 1);

    assertThatThrownBy(() -> store.update("u1", nameChange("Lost"), Optional.of(created.etag()), T0 + 2))
        .isInstanceOf(EtagMismatchException.class)
        .satisfies(e -> assertThat(((EtagMismatchException) e).userId()).isEqualTo("u1"));
    assertThat(store.find("u1")).contains(updated);
    assertThat(store.lastSequence("u1")).isEqualTo(2);
  }

  @Test
  void delete_staleEtag_throwsEtagMismatchAndKeepsUser() {
    User created = create("u1", "ada@example.com", T0);
    store.update("u1", nameChange("New"), Optional.empty(), T0 + 1);

    assertThatThrownBy(() -> store.delete("u1", Optional.of(created.etag()), T0 + 2))
        .isInstanceOf(EtagMismatchException.class);
    assertThat(store.find("u1")).isPresent();
  }

  @Test
  void delete_currentEtag_deletesAndFreesEmail() {
    User created = create("u1", "ada@example.com", T0);

    store.delete("u1", Optional.of(created.etag()), T0 + 1);

    assertThat(store.find("u1")).isEmpty();
    assertThat(store.count(Optional.empty())).isZero();
    assertThat(create("u2", "ADA@example.com", T0 + 2).id()).isEqualTo("u2");
  }

  @Test
  void mutations_unknownUser_throwUserNotFound() {
    assertThatThrownBy(() -> store.update("nobody", nameChange("X"), Optional.empty(), T0))
        .isInstanceOf(UserNotFoundException.class)
        .satisfies(e -> assertThat(((UserNotFoundException) e).userId()).isEqualTo("nobody"));
    assertThatThrownBy(() -> store.update("nobody", nameChange("X"), Optional.of("\"etag\""), T0))
        .isInstanceOf(UserNotFoundException.class);
    assertThatThrownBy(() -> store.delete("nobody", Optional.empty(), T0))
        .isInstanceOf(UserNotFoundException.class);
    assertThatThrownBy(() -> store.recordActivity("nobody", "page_view", "/", T0, Optional.empty()))
        .isInstanceOf(UserNotFoundException.class);
    assertThat(store.lastSequence("nobody")).isZero();
  }

  // Counting and listing.

  @Test
  void count_withAndWithoutRole_countsMatchingUsers() {
    store.create(new NewUser("u1", "a@example.com", "A", "admin", T0), Optional.empty());
    store.create(new NewUser("u2", "b@example.com", "B", "viewer", T0), Optional.empty());
    store.create(new NewUser("u3", "c@example.com", "C", "viewer", T0), Optional.empty());

    assertThat(store.count(Optional.empty())).isEqualTo(3);
    assertThat(store.count(Optional.of("viewer"))).isEqualTo(2);
    assertThat(store.count(Optional.of("editor"))).isZero();
  }

  @Test
  void count_afterRoleChangesAndDeletes_followsTheUsers() {
    store.create(new NewUser("u1", "a@example.com", "A", "admin", T0), Optional.empty());
    store.create(new NewUser("u2", "b@example.com", "B", "viewer", T0), Optional.empty());
    store.create(new NewUser("u3", "c@example.com", "C", "viewer", T0), Optional.empty());

    store.update("u2", roleChange("editor"), Optional.empty(), T0 + 1);
    store.update("u3", nameChange("C2"), Optional.empty(), T0 + 1);
    store.delete("u1", Optional.empty(), T0 + 2);

    assertThat(store.count(Optional.empty())).isEqualTo(2);
    assertThat(store.count(Optional.of("admin"))).isZero();
    assertThat(store.count(Optional.of("editor"))).isEqualTo(1);
    assertThat(store.count(Optional.of("viewer"))).isEqualTo(1);
  }

  @Test
  void count_failedAndReplayedCreates_countNothing() {
    store.create(new NewUser("u1", "a@example.com", "A", "admin", T0), Optional.of("req-1"));
    store.create(new NewUser("u1", "a@example.com", "A", "admin", T0), Optional.of("req-1"));
    assertThatThrownBy(() -> store.create(new NewUser("u2", "A@example.com", "B", "admin", T0), Optional.empty()))
        .isInstanceOf(EmailAlreadyExistsException.class);

    assertThat(store.count(Optional.of("admin"))).isEqualTo(1);
    assertThat(store.count(Optional.empty())).isEqualTo(1);
  }

  @Test
  @Timeout(60)
  void count_concurrentWritersOfNewRoles_matchesTheUsers() throws Exception {
    int threads = 8;
    int usersPerThread = 30;
    // Every thread creates users of the same new roles at the same time, moves some to another new role
    // and deletes others: the first writer of a role creates its count, the others must add to it.
    concurrently(threads, t -> {
      for (int i = 0; i < usersPerThread; i++) {
        String id = "t" + t + "-" + i;
        store.create(new NewUser(id, id + "@example.com", "N", "role" + (i % 5), T0 + i), Optional.empty());
        if (i % 3 == 1) {
          store.update(id, roleChange("moved" + (i % 4)), Optional.empty(), T0 + i);
        } else if (i % 3 == 2) {
          store.delete(id, Optional.empty(), T0 + i);
        }
      }
      return null;
    });

    List<User> users = pageThrough(Optional.empty(), 1000);
    assertThat(store.count(Optional.empty())).isEqualTo(users.size()).isEqualTo(threads * usersPerThread * 2 / 3);
    for (String role : List.of("role0", "role1", "role2", "role3", "role4", "moved0", "moved1", "moved2", "moved3")) {
      assertThat(store.count(Optional.of(role))).as(role)
          .isEqualTo(users.stream().filter(u -> u.role().equals(role)).count());
    }
  }

  @Test
  void listByOffset_tiesOnCreatedAt_newestFirstThenIdDescendingAsStringCompareTo() {
    // Byte-wise order differs from most locales' collation for these ids: "B" < "Z" < "a" < "a-b" < "ab".
    List<String> ids = List.of("ab", "B", "a-b", "Z", "a", "b");
    for (int i = 0; i < ids.size(); i++) {
      create(ids.get(i), "user" + i + "@example.com", T0);
    }
    create("older", "older@example.com", T0 - 1);
    create("newer", "newer@example.com", T0 + 1);

    assertThat(store.listByOffset(Optional.empty(), 0, 100)).extracting(User::id)
        .containsExactly("newer", "b", "ab", "a-b", "a", "Z", "B", "older");
  }

  @Test
  void listByOffset_roleOffsetAndLimit_returnsThatSliceNewestFirst() {
    for (int i = 0; i < 10; i++) {
      store.create(new NewUser("u" + i, i + "@example.com", "N", i % 2 == 0 ? "viewer" : "admin", T0 + i),
          Optional.empty());
    }

    assertThat(store.listByOffset(Optional.empty(), 2, 3)).extracting(User::id).containsExactly("u7", "u6", "u5");
    assertThat(store.listByOffset(Optional.of("viewer"), 1, 2)).extracting(User::id).containsExactly("u6", "u4");
    assertThat(store.listByOffset(Optional.of("viewer"), 5, 2)).isEmpty();
  }

  @Test
  void listAfter_pageByPage_returnsEveryUserOnceNewestFirst() {
    List<User> created = new ArrayList<>();
    for (int i = 0; i < 23; i++) {
      // Three users per millisecond: pages end in the middle of ties.
      created.add(store.create(new NewUser(String.format("u%02d", i), i + "@example.com", "N",
          i % 3 == 0 ? "admin" : "viewer", T0 + i / 3), Optional.empty()));
    }
    created.sort(NEWEST_FIRST);

    assertThat(pageThrough(Optional.empty(), 4)).containsExactlyElementsOf(created);
    assertThat(pageThrough(Optional.of("admin"), 2))
        .containsExactlyElementsOf(created.stream().filter(u -> u.role().equals("admin")).toList());
    assertThat(store.listAfter(Optional.empty(), Optional.of(PageCursor.after(created.get(22))), 5)).isEmpty();
  }

  @Test
  @Timeout(30)
  void listAfter_usersCreatedWhilePaging_neverSkipsOrRepeats() throws Exception {
    Set<String> before = new HashSet<>();
    for (int i = 0; i < 60; i++) {
      before.add(create("old-" + i, "old" + i + "@example.com", T0 + i / 2).id());
    }
    AtomicBoolean paging = new AtomicBoolean(true);
    CountDownLatch creating = new CountDownLatch(1);
    ExecutorService creator = Executors.newSingleThreadExecutor();
    try {
      Future<Integer> created = creator.submit(() -> {
        int n = 0;
        while (paging.get() && n < 200) {
          // Anywhere in the order: newer, older and tied with existing users.
          create("new-" + n, "new" + n + "@example.com", T0 - 5 + (n * 7) % 45);
          n++;
          creating.countDown();
          Thread.sleep(1);
        }
        return n;
      });
      // Page only once creating has begun, or a fast store could finish before the first create.
      assertThat(creating.await(10, TimeUnit.SECONDS)).isTrue();
      List<User> seen = new ArrayList<>();
      Optional<PageCursor> cursor = Optional.empty();
      List<User> page;
      do {
        page = store.listAfter(Optional.empty(), cursor, 7);
        seen.addAll(page);
        if (!page.isEmpty()) {
          cursor = Optional.of(PageCursor.after(page.get(page.size() - 1)));
        }
        Thread.sleep(2);
      } while (!page.isEmpty());
      paging.set(false);
      assertThat(created.get(10, TimeUnit.SECONDS)).isPositive();

      assertThat(seen).isSortedAccordingTo(NEWEST_FIRST).doesNotHaveDuplicates();
      assertThat(seen).extracting(User::id).containsAll(before);
    } finally {
      paging.set(false);
      creator.shutdownNow();
    }
  }

  // The activity log.

  @Test
  void mutations_eachAppendsOneEventWithActionAndDetails() {
    store.create(newUser("u1", "ada@example.com", T0), Optional.empty());
    store.update("u1", nameChange("Ada L."), Optional.empty(), T0 + 1);
    store.update("u1", new UserChanges(Optional.of("ada@lovelace.org"), Optional.empty(), Optional.of("admin")),
        Optional.empty(), T0 + 2);
    store.update("u1", nameChange("Ada L."), Optional.empty(), T0 + 3);
    store.recordActivity("u1", "page_view", "/home", T0 + 4, Optional.empty());
    store.delete("u1", Optional.empty(), T0 + 5);

    List<ActivityRecord> events = store.userActivityAfter("u1", 0, 100);

    assertThat(events).extracting(ActivityRecord::action, ActivityRecord::details, ActivityRecord::occurredAtMillis)
        .containsExactly(
            tuple(ActivityRecord.USER_CREATED, ActivityRecord.ALL_FIELDS, T0),
            tuple(ActivityRecord.USER_UPDATED, "name", T0 + 1),
            tuple(ActivityRecord.USER_UPDATED, "email,role", T0 + 2),
            tuple("page_view", "/home", T0 + 4),
            tuple(ActivityRecord.USER_DELETED, "", T0 + 5));
    assertThat(events).extracting(ActivityRecord::userId).containsOnly("u1");
    assertThat(events).extracting(ActivityRecord::sequence).isSortedAccordingTo(Comparator.naturalOrder())
        .doesNotHaveDuplicates();
    assertThat(store.lastSequence("u1")).isEqualTo(events.get(4).sequence());
  }

  @Test
  void userActivityAfter_sequenceAndMax_returnsTheNextEventsAscending() {
    assertThat(store.lastSequence("u1")).isZero();
    assertThat(store.userActivityAfter("u1", 0, 10)).isEmpty();
    create("u1", "a@example.com", T0);
    for (int i = 1; i < 5; i++) {
      store.recordActivity("u1", "page_view", "/" + i, T0 + i, Optional.empty());
    }
    List<ActivityRecord> all = store.userActivityAfter("u1", 0, 10);

    assertThat(all).hasSize(5);
    assertThat(store.userActivityAfter("u1", all.get(1).sequence(), 2)).containsExactly(all.get(2), all.get(3));
    assertThat(store.userActivityAfter("u1", all.get(4).sequence(), 10)).isEmpty();
    assertThat(store.lastSequence("u1")).isEqualTo(all.get(4).sequence());
  }

  @Test
  void lastSequences_severalUsers_returnsAHeadAtOrAfterEachUsersLastEvent() {
    create("u1", "a@example.com", T0);
    ActivityRecord last = store.recordActivity("u1", "page_view", "/", T0 + 1, Optional.empty());
    create("u2", "b@example.com", T0);

    Map<String, Long> heads = store.lastSequences(List.of("u1", "u2", "nobody"));

    assertThat(heads.get("u1")).isGreaterThanOrEqualTo(last.sequence());
    assertThat(heads.get("u2")).isEqualTo(store.lastSequence("u2")).isPositive();
    assertThat(heads.getOrDefault("nobody", 0L)).isEqualTo(store.lastSequence("nobody"));
    assertThat(store.lastSequences(List.of())).isEmpty();
  }

  @Test
  void userActivityAfter_severalUsers_returnsOnlyThatUsersEventsAscending() {
    create("u1", "a@example.com", T0);
    create("u2", "b@example.com", T0);
    ActivityRecord view = store.recordActivity("u1", "page_view", "/a", T0 + 1, Optional.empty());
    store.recordActivity("u2", "page_view", "/b", T0 + 2, Optional.empty());
    ActivityRecord deleted = lastEvent("u1", () -> store.delete("u1", Optional.empty(), T0 + 3));

    List<ActivityRecord> events = store.userActivityAfter("u1", 0, 10);

    assertThat(events).extracting(ActivityRecord::action)
        .containsExactly(ActivityRecord.USER_CREATED, "page_view", ActivityRecord.USER_DELETED);
    assertThat(store.userActivityAfter("u1", events.get(0).sequence(), 10)).containsExactly(view, deleted);
    assertThat(store.userActivityAfter("u1", view.sequence(), 1)).containsExactly(deleted);
    assertThat(store.userActivityAfter("nobody", 0, 10)).isEmpty();
  }

  @Test
  void recordActivity_sameRequestId_returnsFirstEventAndRecordsNothing() {
    create("u1", "a@example.com", T0);
    ActivityRecord first = store.recordActivity("u1", "page_view", "/a", T0 + 1, Optional.of("req-1"));

    assertThat(first).isEqualTo(new ActivityRecord(first.sequence(), "u1", "page_view", "/a", T0 + 1));
    assertThat(store.recordActivity("u1", "page_view", "/a", T0 + 9, Optional.of("req-1"))).isEqualTo(first);
    assertThat(store.lastSequence("u1")).isEqualTo(first.sequence());
  }

  @Test
  void recordActivity_sameRequestIdOtherValues_throwsRequestIdReused() {
    create("u1", "a@example.com", T0);
    create("u2", "b@example.com", T0);
    store.recordActivity("u1", "page_view", "/a", T0 + 1, Optional.of("req-1"));

    assertThatThrownBy(() -> store.recordActivity("u1", "page_view", "/b", T0 + 2, Optional.of("req-1")))
        .isInstanceOf(RequestIdReusedException.class);
    assertThatThrownBy(() -> store.recordActivity("u1", "click", "/a", T0 + 2, Optional.of("req-1")))
        .isInstanceOf(RequestIdReusedException.class);
    assertThatThrownBy(() -> store.recordActivity("u2", "page_view", "/a", T0 + 2, Optional.of("req-1")))
        .isInstanceOf(RequestIdReusedException.class);
  }

  @Test
  void addCommitListener_mutations_runsOnceAfterEachCommitThatWrote() {
    AtomicInteger commits = new AtomicInteger();
    store.addCommitListener(event -> commits.incrementAndGet());

    User created = store.create(newUser("u1", "a@example.com", T0), Optional.of("req-1"));
    store.create(newUser("u1", "a@example.com", T0), Optional.of("req-1"));
    store.update("u1", nameChange("New"), Optional.empty(), T0 + 1);
    assertThatThrownBy(() -> store.update("u1", nameChange("X"), Optional.of(created.etag()), T0 + 2))
        .isInstanceOf(EtagMismatchException.class);
    store.recordActivity("u1", "page_view", "/", T0 + 3, Optional.empty());
    store.delete("u1", Optional.empty(), T0 + 4);

    assertThat(commits).hasValue(4);
  }

  // Everything else.

  @Test
  void secretKey_calledTwice_returnsEqualCopiesOfAtLeast32Bytes() {
    byte[] key = store.secretKey();
    key[0]++;

    assertThat(store.secretKey()).hasSizeGreaterThanOrEqualTo(32).isNotEqualTo(key);
    assertThat(store.secretKey()).isEqualTo(store.secretKey());
  }

  @Test
  void ping_reachableStore_returns() {
    store.ping();
  }

  // Races.

  @Test
  @Timeout(30)
  void create_sameEmailFrom50Threads_exactlyOneSucceeds() throws Exception {
    List<Object> outcomes = concurrently(50, i -> {
      try {
        return create("u" + i, (i % 2 == 0 ? "SAME" : "same") + "@example.com", T0);
      } catch (EmailAlreadyExistsException e) {
        return e;
      }
    });

    assertThat(outcomes).filteredOn(User.class::isInstance).hasSize(1);
    assertThat(outcomes).filteredOn(EmailAlreadyExistsException.class::isInstance).hasSize(49);
    assertThat(store.count(Optional.empty())).isEqualTo(1);
    assertThat(eventsOf(userIds("u", 50))).hasSize(1);
  }

  @Test
  @Timeout(30)
  void create_sameRequestIdFromManyThreads_createsOneUser() throws Exception {
    List<Object> outcomes = concurrently(20, i ->
        store.create(newUser("u" + i, "ada@example.com", T0 + i), Optional.of("req-1")));

    assertThat(outcomes).hasSize(20).allSatisfy(user -> assertThat(user).isEqualTo(outcomes.get(0)));
    assertThat(store.count(Optional.empty())).isEqualTo(1);
    assertThat(eventsOf(userIds("u", 20))).hasSize(1);
  }

  @Test
  @Timeout(30)
  void create_sameRequestIdOtherEmailsFromManyThreads_oneWinsOthersRequestIdReused() throws Exception {
    List<Object> outcomes = concurrently(20, i -> {
      try {
        return store.create(newUser("u" + i, i + "@example.com", T0), Optional.of("req-1"));
      } catch (RequestIdReusedException e) {
        return e;
      }
    });

    assertThat(outcomes).filteredOn(User.class::isInstance).hasSize(1);
    assertThat(outcomes).filteredOn(RequestIdReusedException.class::isInstance).hasSize(19);
    assertThat(store.count(Optional.empty())).isEqualTo(1);
  }

  @Test
  @Timeout(30)
  void recordActivity_sameRequestIdFromManyThreads_recordsOneEvent() throws Exception {
    create("u1", "a@example.com", T0);

    List<Object> outcomes = concurrently(20, i ->
        store.recordActivity("u1", "page_view", "/a", T0 + i, Optional.of("req-1")));

    assertThat(outcomes).hasSize(20).allSatisfy(event -> assertThat(event).isEqualTo(outcomes.get(0)));
    assertThat(store.userActivityAfter("u1", 0, 100)).hasSize(2);
  }

  @Test
  @Timeout(60)
  void recordActivity_racingDelete_noEventFollowsUserDeleted() throws Exception {
    for (int round = 0; round < 10; round++) {
      String id = "r" + round;
      create(id, id + "@example.com", T0);
      CountDownLatch recording = new CountDownLatch(4);
      concurrently(5, i -> {
        if (i == 0) {
          recording.await();
          store.delete(id, Optional.empty(), T0 + 2);
          return null;
        }
        recording.countDown();
        try {
          for (int call = 0; call < 2_000; call++) {
            store.recordActivity(id, "tick", "", T0 + 1, Optional.empty());
          }
        } catch (UserNotFoundException deleted) {
          // The delete won: from now on every call fails.
        }
        return null;
      });

      List<ActivityRecord> events = store.userActivityAfter(id, 0, 10_000);
      assertThat(events.get(events.size() - 1).action()).as("the last event of " + id)
          .isEqualTo(ActivityRecord.USER_DELETED);
      assertThat(events).extracting(ActivityRecord::action).containsOnlyOnce(ActivityRecord.USER_DELETED);
    }
  }

  @Test
  @Timeout(60)
  void update_concurrentIncrementsWithEtags_loseNoUpdate() throws Exception {
    int threads = 8;
    int incrementsPerThread = 50;
    store.create(new NewUser("u1", "a@example.com", "0", "viewer", T0), Optional.empty());

    concurrently(threads, i -> {
      for (int done = 0; done < incrementsPerThread; ) {
        User current = store.find("u1").orElseThrow();
        String next = Integer.toString(Integer.parseInt(current.name()) + 1);
        try {
          store.update("u1", nameChange(next), Optional.of(current.etag()), T0 + 1);
          done++;
        } catch (EtagMismatchException e) {
          // Someone else incremented first: read again.
        }
      }
      return null;
    });

    User last = store.find("u1").orElseThrow();
    assertThat(last.name()).isEqualTo(Integer.toString(threads * incrementsPerThread));
    assertThat(last.version()).isEqualTo(threads * incrementsPerThread + 1);
    assertThat(store.userActivityAfter("u1", 0, 1000)).hasSize(threads * incrementsPerThread + 1);
  }

  @Test
  @Timeout(60)
  void userActivityAfter_tailedWhileWritersCommit_seesEveryEventOnceInOrder() throws Exception {
    int writers = 8;
    int changesPerWriter = 30;
    List<String> users = userIds("w", writers);
    AtomicBoolean writing = new AtomicBoolean(true);
    List<ActivityRecord> seen = Collections.synchronizedList(new ArrayList<>());
    ExecutorService tailer = Executors.newSingleThreadExecutor();
    try {
      Future<?> tailing = tailer.submit(() -> {
        Map<String, Long> cursors = new HashMap<>();
        boolean caughtUp = false;
        while (!caughtUp) {
          // Read the heads before the batches: once the writers are done, they are final.
          boolean done = !writing.get();
          Map<String, Long> heads = store.lastSequences(users);
          caughtUp = done;
          for (String user : users) {
            long cursor = cursors.getOrDefault(user, 0L);
            List<ActivityRecord> batch = store.userActivityAfter(user, cursor, 5);
            for (ActivityRecord event : batch) {
              seen.add(event);
              cursor = event.sequence();
            }
            if (batch.size() < 5) {
              // Everything up to the head read before was committed, and this read found all of it.
              cursor = Math.max(cursor, heads.getOrDefault(user, 0L));
            }
            cursors.put(user, cursor);
            caughtUp &= batch.isEmpty() && cursor >= heads.getOrDefault(user, 0L);
          }
        }
        return null;
      });
      concurrently(writers, w -> {
        create("w" + w, "w" + w + "@example.com", T0);
        for (int i = 0; i < changesPerWriter; i++) {
          if (i % 3 == 0) {
            store.recordActivity("w" + w, "tick", Integer.toString(i), T0 + i, Optional.empty());
          } else {
            store.update("w" + w, nameChange("n" + i), Optional.empty(), T0 + i);
          }
        }
        return null;
      });
      writing.set(false);
      tailing.get(30, TimeUnit.SECONDS);
    } finally {
      writing.set(false);
      tailer.shutdownNow();
    }

    for (String user : users) {
      List<ActivityRecord> log = store.userActivityAfter(user, 0, 10_000);
      assertThat(log).hasSize(1 + changesPerWriter);
      assertThat(log).extracting(ActivityRecord::sequence).isSortedAccordingTo(Comparator.naturalOrder())
          .doesNotHaveDuplicates();
      assertThat(seen).filteredOn(event -> event.userId().equals(user)).containsExactlyElementsOf(log);
    }
    assertThat(seen).hasSize(writers * (1 + changesPerWriter));
  }

  // Helpers.

  private User create(String id, String email, long createdAtMillis) {
    return store.create(newUser(id, email, createdAtMillis), Optional.empty());
  }

  private static NewUser newUser(String id, String email, long createdAtMillis) {
    return new NewUser(id, email, "Name", "viewer", createdAtMillis);
  }

  private static UserChanges nameChange(String name) {
    return new UserChanges(Optional.empty(), Optional.of(name), Optional.empty());
  }

  private static UserChanges roleChange(String role) {
    return new UserChanges(Optional.empty(), Optional.empty(), Optional.of(role));
  }

  private static UserChanges emailChange(String email) {
    return new UserChanges(Optional.of(email), Optional.empty(), Optional.empty());
  }

  private ActivityRecord lastEvent(String userId, Runnable mutation) {
    mutation.run();
    List<ActivityRecord> events = store.userActivityAfter(userId, 0, 10_000);
    assertThat(events).isNotEmpty();
    return events.get(events.size() - 1);
  }

  /** Returns the events of the users, user by user. */
  private List<ActivityRecord> eventsOf(String... userIds) {
    return eventsOf(List.of(userIds));
  }

  private List<ActivityRecord> eventsOf(List<String> userIds) {
    List<ActivityRecord> events = new ArrayList<>();
    userIds.forEach(userId -> events.addAll(store.userActivityAfter(userId, 0, 10_000)));
    return events;
  }

  private static List<String> userIds(String prefix, int count) {
    return IntStream.range(0, count).mapToObj(i -> prefix + i).toList();
  }

  private List<User> pageThrough(Optional<String> role, int pageSize) {
    List<User> all = new ArrayList<>();
    Optional<PageCursor> cursor = Optional.empty();
    List<User> page;
    do {
      page = store.listAfter(role, cursor, pageSize);
      assertThat(page).hasSizeLessThanOrEqualTo(pageSize);
      all.addAll(page);
      if (!page.isEmpty()) {
        cursor = Optional.of(PageCursor.after(page.get(page.size() - 1)));
      }
    } while (page.size() == pageSize);
    return all;
  }

  /** A task run by one of several threads; {@code index} tells them apart. */
  @FunctionalInterface
  interface IndexedTask {
    Object run(int index) throws Exception;
  }

  /**
   * Runs {@code task} on {@code threads} threads at once, released together, and returns what each
   * returned, by index. Fails if any of them throws.
   */
  static List<Object> concurrently(int threads, IndexedTask task) throws Exception {
    ExecutorService executor = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Object>> futures = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        int index = i;
        futures.add(executor.submit(() -> {
          start.await();
          return task.run(index);
        }));
      }
      start.countDown();
      List<Object> results = new ArrayList<>();
      for (Future<Object> future : futures) {
        results.add(future.get(30, TimeUnit.SECONDS));
      }
      return results;
    } finally {
      executor.shutdownNow();
    }
  }
}
