package io.github.usergrpc.user.service.store;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * A {@link UserStore} in memory: for tests, the testkit and trying the server out. Nothing survives the
 * process.
 *
 * <p>Reads are lock-free; writes are serialized by one lock, which also makes activity sequences grow in
 * commit order: one counter numbers the events of all users, which makes them per user increasing too
 * (with gaps). The activity log keeps the newest {@code retainedEvents} events; a watch that resumes from
 * before them fails with {@link ResumePointExpiredException}. Request ids are remembered for
 * {@link #REQUEST_ID_RETENTION}, as user.proto promises, and then forgotten: remembering every one grew the
 * heap by every create for the life of the store (the soak benchmark found it). So the store holds its
 * users, the newest events and a day of request ids.
 *
 * <p>{@link #exportTo} copies the store under the write lock and hands the copy over afterwards;
 * {@link #beginImport} collects the records and installs them at {@link Load#commit} under the write lock, keeping
 * the newest {@code retainedEvents} of them. Both are for tests and tools: nothing else survives this store.
 * Heads go out and come in as the JDBC store keeps them, but this store's log is one sequence for all users
 * with one pruned-up-to: an import whose events of two users share a sequence (a JDBC store numbers each
 * user on its own, from 1) is refused with {@link ImportRefusedException}; import such a file into a JDBC
 * store. An imported log is expired up to the greatest pruned-up-to of its heads.
 */
public final class InMemoryUserStore implements UserStore, StoreExport, StoreImport {

  /** How long a request id is remembered after its call: {@link UserStore#REQUEST_ID_RETENTION}. */
  public static final Duration REQUEST_ID_RETENTION = UserStore.REQUEST_ID_RETENTION;

  /** How many activity events {@link #InMemoryUserStore()} keeps. */
  public static final int DEFAULT_RETAINED_EVENTS = 100_000;

  private static final Comparator<PageCursor> NEWEST_FIRST = Comparator
      .comparingLong(PageCursor::createdAtMillis).reversed()
      .thenComparing(PageCursor::id, Comparator.reverseOrder());

  private final int retainedEvents;
  private final byte[] secretKey = new byte[32];
  private final ReentrantLock writeLock = new ReentrantLock();
  private final List<Consumer<ActivityRecord>> commitListeners = new CopyOnWriteArrayList<>();

  private final Map<String, User> usersById = new ConcurrentHashMap<>();
  private final NavigableMap<PageCursor, User> usersNewestFirst = new ConcurrentSkipListMap<>(NEWEST_FIRST);
  private final NavigableMap<Long, ActivityRecord> log = new ConcurrentSkipListMap<>();
  /** Users per role, changed under the write lock, so that count(role) does not walk every user. */
  private final Map<String, Long> usersByRole = new ConcurrentHashMap<>();

  @GuardedBy("writeLock")
  private final Map<String, String> userIdByEmailKey = new HashMap<>();
  @GuardedBy("writeLock")
  private final LinkedHashMap<String, User> usersByCreateRequest = new LinkedHashMap<>();
  @GuardedBy("writeLock")
  private final LinkedHashMap<String, ActivityRecord> eventsByRequest = new LinkedHashMap<>();
  @GuardedBy("writeLock")
  private long lastSequence;
  /**
   * Each user's last sequence, as the JDBC store's heads, so that a poll of the heads finds only the users
   * with new events. A user's entry goes when its last event is discarded and the user is gone: then
   * {@link #discardedUpTo} is as good a head.
   */
  @GuardedBy("writeLock")
  private final Map<String, Long> lastSequenceByUser = new HashMap<>();
  @GuardedBy("writeLock")
  private long discardedUpTo;

  /** Creates an empty store that keeps the newest {@value #DEFAULT_RETAINED_EVENTS} activity events. */
  public InMemoryUserStore() {
    this(DEFAULT_RETAINED_EVENTS);
  }

  /**
   * Creates an empty store.
   *
   * @param retainedEvents how many of the newest activity events to keep for resuming watches
   * @throws IllegalArgumentException if {@code retainedEvents} is less than 1
   */
  public InMemoryUserStore(int retainedEvents) {
    if (retainedEvents < 1) {
      throw new IllegalArgumentException("retainedEvents: " + retainedEvents + " (expected: >= 1)");
    }
    this.retainedEvents = retainedEvents;
    new SecureRandom().nextBytes(secretKey);
  }

  @Override
  public User create(NewUser newUser, Optional<String> requestId) {
    requireNonNull(newUser, "newUser");
    requireNonNull(requestId, "requestId");
    User created;
    ActivityRecord event;
    writeLock.lock();
    try {
      if (requestId.isPresent()) {
        User earlier = usersByCreateRequest.get(requestId.get());
        if (earlier != null) {
          if (!newUser.sameRequestAs(earlier)) {
            throw new RequestIdReusedException(requestId.get());
          }
          return earlier;
        }
      }
      created = newUser.toUser();
      if (userIdByEmailKey.containsKey(created.emailKey())) {
        throw new EmailAlreadyExistsException();
      }
      if (usersById.containsKey(created.id())) {
        throw new IllegalStateException("duplicate user id " + created.id());
      }
      userIdByEmailKey.put(created.emailKey(), created.id());
      put(created);
      addToRoleCount(created.role(), 1);
      if (requestId.isPresent()) {
        usersByCreateRequest.put(requestId.get(), created);
      }
      forgetRequestsBefore(usersByCreateRequest, User::createdAtMillis, created.createdAtMillis());
      event = append(created.id(), ActivityRecord.USER_CREATED, ActivityRecord.ALL_FIELDS, created.createdAtMillis());
    } finally {
      writeLock.unlock();
    }
    notifyCommit(event);
    return created;
  }

  @Override
  public Optional<User> find(String id) {
    return Optional.ofNullable(usersById.get(requireNonNull(id, "id")));
  }

  @Override
  public User update(String id, UserChanges changes, Optional<String> expectedEtag, long nowMillis) {
    requireNonNull(changes, "changes");
    User updated;
    ActivityRecord event;
    writeLock.lock();
    try {
      User current = current(id, expectedEtag);
      updated = changes.applyTo(current, nowMillis);
      if (updated.equals(current)) { // nothing differs: applyTo returned the user as it is
        return current;
      }
      if (!updated.emailKey().equals(current.emailKey())) {
        if (userIdByEmailKey.containsKey(updated.emailKey())) {
          throw new EmailAlreadyExistsException();
        }
        userIdByEmailKey.remove(current.emailKey());
        userIdByEmailKey.put(updated.emailKey(), id);
      }
      put(updated);
      if (!updated.role().equals(current.role())) {
        addToRoleCount(current.role(), -1);
        addToRoleCount(updated.role(), 1);
      }
      event = append(id, ActivityRecord.USER_UPDATED, UserChanges.changedFields(current, updated), nowMillis);
    } finally {
      writeLock.unlock();
    }
    notifyCommit(event);
    return updated;
  }

  @Override
  public void delete(String id, Optional<String> expectedEtag, long nowMillis) {
    ActivityRecord event;
    writeLock.lock();
    try {
      User current = current(id, expectedEtag);
      usersById.remove(id);
      usersNewestFirst.remove(PageCursor.after(current));
      userIdByEmailKey.remove(current.emailKey());
      addToRoleCount(current.role(), -1);
      event = append(id, ActivityRecord.USER_DELETED, "", nowMillis);
    } finally {
      writeLock.unlock();
    }
    notifyCommit(event);
  }

  @Override
  public long count(Optional<String> role) {
    requireNonNull(role, "role");
    if (role.isEmpty()) {
      return usersById.size();
    }
    return usersByRole.getOrDefault(role.get(), 0L);
  }

  @GuardedBy("writeLock")
  private void addToRoleCount(String role, long delta) {
    usersByRole.merge(role, delta, (count, change) -> count + change == 0 ? null : count + change);
  }

  @Override
  public List<User> listByOffset(Optional<String> role, long offset, int limit) {
    requireNonNull(role, "role");
    return usersNewestFirst.values().stream()
        .filter(u -> role.isEmpty() || u.role().equals(role.get()))
        .skip(offset)
        .limit(limit)
        .toList();
  }

  @Override
  public List<User> listAfter(Optional<String> role, Optional<PageCursor> after, int limit) {
    requireNonNull(role, "role");
    requireNonNull(after, "after");
    NavigableMap<PageCursor, User> rest = after.isPresent()
        ? usersNewestFirst.tailMap(after.get(), false)
        : usersNewestFirst;
    return rest.values().stream()
        .filter(u -> role.isEmpty() || u.role().equals(role.get()))
        .limit(limit)
        .toList();
  }

  @Override
  public ActivityRecord recordActivity(String userId, String action, String details, long nowMillis,
      Optional<String> requestId) {
    requireNonNull(action, "action");
    requireNonNull(details, "details");
    requireNonNull(requestId, "requestId");
    ActivityRecord recorded;
    writeLock.lock();
    try {
      if (requestId.isPresent()) {
        ActivityRecord earlier = eventsByRequest.get(requestId.get());
        if (earlier != null) {
          if (!earlier.userId().equals(userId) || !earlier.action().equals(action)
              || !earlier.details().equals(details)) {
            throw new RequestIdReusedException(requestId.get());
          }
          return earlier;
        }
      }
      if (!usersById.containsKey(userId)) {
        throw new UserNotFoundException(userId);
      }
      recorded = append(userId, action, details, nowMillis);
      if (requestId.isPresent()) {
        eventsByRequest.put(requestId.get(), recorded);
      }
      forgetRequestsBefore(eventsByRequest, ActivityRecord::occurredAtMillis, nowMillis);
    } finally {
      writeLock.unlock();
    }
    notifyCommit(recorded);
    return recorded;
  }

  @Override
  public List<ActivityRecord> userActivityAfter(String userId, long afterSequence, int max) {
    requireNonNull(userId, "userId");
    long discarded;
    writeLock.lock();
    try {
      discarded = discardedUpTo;
    } finally {
      writeLock.unlock();
    }
    if (afterSequence < discarded) {
      throw new ResumePointExpiredException(afterSequence, discarded + 1);
    }
    List<ActivityRecord> events = new ArrayList<>();
    for (ActivityRecord event : log.tailMap(afterSequence, false).values()) {
      if (event.userId().equals(userId)) {
        events.add(event);
        if (events.size() == max) {
          break;
        }
      }
    }
    return events;
  }

  @Override
  public long lastSequence(String userId) {
    requireNonNull(userId, "userId");
    writeLock.lock();
    try {
      return head(userId);
    } finally {
      writeLock.unlock();
    }
  }

  @Override
  public Map<String, Long> lastSequences(Collection<String> userIds) {
    Map<String, Long> heads = new HashMap<>();
    writeLock.lock();
    try {
      userIds.forEach(userId -> heads.put(userId, head(userId)));
    } finally {
      writeLock.unlock();
    }
    return heads;
  }

  @GuardedBy("writeLock")
  private long head(String userId) {
    return lastSequenceByUser.getOrDefault(userId, discardedUpTo);
  }

  @Override
  public byte[] secretKey() {
    return secretKey.clone();
  }

  @Override
  public void ping() {
    // Always reachable.
  }

  @Override
  public void addCommitListener(Consumer<ActivityRecord> listener) {
    commitListeners.add(requireNonNull(listener, "listener"));
  }

  @Override
  public void close() {
    // Nothing to release.
  }

  @Override
  public void exportTo(Function<StoreSummary, ContentsSink> begin) {
    requireNonNull(begin, "begin");
    TreeMap<String, User> users;
    TreeMap<String, User> createRequests;
    List<ActivityRecord> events;
    Map<Long, String> requestIdBySequence = new HashMap<>();
    List<ActivityHead> heads = new ArrayList<>();
    StoreSummary summary;
    writeLock.lock();
    try {
      users = new TreeMap<>(usersById);
      createRequests = new TreeMap<>(usersByCreateRequest);
      events = log.values().stream()
          .sorted(Comparator.comparing(ActivityRecord::userId).thenComparingLong(ActivityRecord::sequence))
          .toList();
      eventsByRequest.forEach((requestId, event) -> requestIdBySequence.put(event.sequence(), requestId));
      TreeSet<String> ids = new TreeSet<>(usersById.keySet());
      ids.addAll(lastSequenceByUser.keySet());
      events.forEach(event -> ids.add(event.userId()));
      for (String id : ids) {
        long head = head(id);
        if (head > 0) {
          heads.add(new ActivityHead(id, head, Math.min(head, discardedUpTo)));
        }
      }
      summary = new StoreSummary(users.size(), createRequests.size(), events.size(), lastSequence, discardedUpTo);
    } finally {
      writeLock.unlock();
    }
    ContentsSink sink = requireNonNull(begin.apply(summary), "sink");
    users.values().forEach(sink::user);
    createRequests.forEach(sink::createRequest);
    for (ActivityRecord event : events) {
      sink.event(event, Optional.ofNullable(requestIdBySequence.get(event.sequence())));
    }
    heads.forEach(sink::head);
  }

  @Override
  public Load beginImport(StoreSummary summary, boolean replace) {
    requireNonNull(summary, "summary");
    writeLock.lock();
    try {
      checkEmptyUnless(replace);
    } finally {
      writeLock.unlock();
    }
    return new MemoryLoad(summary, replace);
  }

  @GuardedBy("writeLock")
  private void checkEmptyUnless(boolean replace) {
    if (!replace && (!usersById.isEmpty() || !usersByCreateRequest.isEmpty() || lastSequence != 0)) {
      throw new ImportRefusedException("the target store is not empty (" + usersById.size() + " users, last sequence "
          + lastSequence + "); import into an empty store, or replace what it holds");
    }
  }

  /** An import into this store: the records, checked and installed all at once by {@link #commit}. */
  private final class MemoryLoad implements Load {
    private final StoreSummary summary;
    private final boolean replace;
    private final Map<String, User> users = new LinkedHashMap<>();
    private final Map<String, String> userIdByEmailKey = new HashMap<>();
    private final LinkedHashMap<String, User> createRequests = new LinkedHashMap<>();
    private final TreeMap<Long, ActivityRecord> events = new TreeMap<>();
    private final LinkedHashMap<String, ActivityRecord> eventsByRequest = new LinkedHashMap<>();
    private final Map<String, ActivityHead> heads = new HashMap<>();
    private boolean done;

    MemoryLoad(StoreSummary summary, boolean replace) {
      this.summary = summary;
      this.replace = replace;
    }

    @Override
    public void user(User user) {
      checkNotDone();
      if (users.putIfAbsent(user.id(), user) != null) {
        throw new ImportRefusedException("two users with the id " + user.id());
      }
      if (userIdByEmailKey.putIfAbsent(user.emailKey(), user.id()) != null) {
        throw new ImportRefusedException("two users with one email: " + userIdByEmailKey.get(user.emailKey())
            + " and " + user.id());
      }
    }

    @Override
    public void createRequest(String requestId, User asCreated) {
      checkNotDone();
      if (createRequests.putIfAbsent(requestId, asCreated) != null) {
        throw new ImportRefusedException("two CreateUser request ids " + requestId);
      }
    }

    @Override
    public void event(ActivityRecord event, Optional<String> requestId) {
      checkNotDone();
      ActivityRecord other = events.putIfAbsent(event.sequence(), event);
      if (other != null && !other.userId().equals(event.userId())) {
        throw new ImportRefusedException("events of users " + other.userId() + " and " + event.userId()
            + " share sequence " + event.sequence() + ", and the memory store numbers all users with one"
            + " sequence; import this file into a JDBC store");
      }
      if (other != null) {
        throw new ImportRefusedException("two events of user " + event.userId() + " with the sequence "
            + event.sequence());
      }
      if (requestId.isPresent() && eventsByRequest.putIfAbsent(requestId.get(), event) != null) {
        throw new ImportRefusedException("two events with the RecordActivity request id " + requestId.get());
      }
    }

    @Override
    public void head(ActivityHead head) {
      checkNotDone();
      if (heads.putIfAbsent(head.userId(), head) != null) {
        throw new ImportRefusedException("two heads of user " + head.userId());
      }
    }

    @Override
    public void commit() {
      checkNotDone();
      StoreSummary received = new StoreSummary(users.size(), createRequests.size(), events.size(),
          summary.lastSequence(), summary.prunedUpTo());
      if (!received.equals(summary)) {
        throw new ImportRefusedException("received " + received + ", announced " + summary);
      }
      for (ActivityRecord event : events.values()) {
        ActivityHead head = heads.get(event.userId());
        if (head == null || event.sequence() <= head.prunedUpTo() || event.sequence() > head.lastSequence()) {
          throw new ImportRefusedException("event " + event.sequence() + " of user " + event.userId()
              + " outside its head " + (head == null ? "(none)" : head.prunedUpTo() + ".." + head.lastSequence()));
        }
      }
      // In the order of the calls' times, which forgetRequestsBefore expects.
      List<Map.Entry<String, User>> requestsByTime = createRequests.entrySet().stream()
          .sorted(Map.Entry.comparingByValue(Comparator.comparingLong(User::createdAtMillis)))
          .toList();
      List<Map.Entry<String, ActivityRecord>> eventRequestsByTime = eventsByRequest.entrySet().stream()
          .sorted(Map.Entry.comparingByValue(Comparator.comparingLong(ActivityRecord::sequence)))
          .toList();
      writeLock.lock();
      try {
        checkEmptyUnless(replace);
        usersById.clear();
        usersNewestFirst.clear();
        usersByRole.clear();
        InMemoryUserStore.this.userIdByEmailKey.clear();
        usersByCreateRequest.clear();
        InMemoryUserStore.this.eventsByRequest.clear();
        log.clear();
        lastSequenceByUser.clear();
        for (User user : users.values()) {
          put(user);
          addToRoleCount(user.role(), 1);
        }
        InMemoryUserStore.this.userIdByEmailKey.putAll(userIdByEmailKey);
        for (Map.Entry<String, User> request : requestsByTime) {
          usersByCreateRequest.put(request.getKey(), request.getValue());
        }
        for (Map.Entry<String, ActivityRecord> request : eventRequestsByTime) {
          InMemoryUserStore.this.eventsByRequest.put(request.getKey(), request.getValue());
        }
        log.putAll(events);
        heads.values().forEach(head -> lastSequenceByUser.put(head.userId(), head.lastSequence()));
        lastSequence = summary.lastSequence();
        discardedUpTo = summary.prunedUpTo();
        while (log.size() > retainedEvents) {
          discardedUpTo = log.pollFirstEntry().getKey();
        }
      } finally {
        writeLock.unlock();
      }
      done = true;
    }

    @Override
    public void close() {
      done = true;
    }

    private void checkNotDone() {
      if (done) {
        throw new IllegalStateException("the import was committed or closed");
      }
    }
  }

  @GuardedBy("writeLock")
  private User current(String id, Optional<String> expectedEtag) {
    requireNonNull(id, "id");
    requireNonNull(expectedEtag, "expectedEtag");
    User current = usersById.get(id);
    if (current == null) {
      throw new UserNotFoundException(id);
    }
    if (expectedEtag.isPresent() && !expectedEtag.get().equals(current.etag())) {
      throw new EtagMismatchException(id);
    }
    return current;
  }

  @GuardedBy("writeLock")
  private void put(User user) {
    usersById.put(user.id(), user);
    usersNewestFirst.put(PageCursor.after(user), user);
  }

  @GuardedBy("writeLock")
  private ActivityRecord append(String userId, String action, String details, long nowMillis) {
    ActivityRecord event = new ActivityRecord(++lastSequence, userId, action, details, nowMillis);
    log.put(event.sequence(), event);
    lastSequenceByUser.put(userId, event.sequence());
    while (log.size() > retainedEvents) {
      ActivityRecord discarded = log.pollFirstEntry().getValue();
      discardedUpTo = discarded.sequence();
      if (!usersById.containsKey(discarded.userId())
          && Long.valueOf(discarded.sequence()).equals(lastSequenceByUser.get(discarded.userId()))) {
        lastSequenceByUser.remove(discarded.userId());
      }
    }
    return event;
  }

  private void notifyCommit(ActivityRecord appended) {
    for (Consumer<ActivityRecord> listener : commitListeners) {
      listener.accept(appended);
    }
  }

  /**
   * Forgets the request ids older than {@link #REQUEST_ID_RETENTION} before {@code nowMillis}. The map is in
   * insertion order, which is the order of the calls' times unless the clock went back; then this stops
   * early and forgets later, never sooner. Callers hold the write lock, which guards both maps it is given.
   */
  @SuppressWarnings("NonApiType") // the insertion order of a LinkedHashMap is what this relies on
  private static <V> void forgetRequestsBefore(LinkedHashMap<String, V> requests, ToLongFunction<V> timeMillis,
      long nowMillis) {
    long cutoff = nowMillis - REQUEST_ID_RETENTION.toMillis();
    for (Iterator<V> oldestFirst = requests.values().iterator(); oldestFirst.hasNext(); ) {
      if (timeMillis.applyAsLong(oldestFirst.next()) >= cutoff) {
        return;
      }
      oldestFirst.remove();
    }
  }
}
