package io.github.usergrpc.user.service.store;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Where users and their activity log live. Implementations: {@link InMemoryUserStore},
 * {@code io.github.usergrpc.user.server.store.jdbc.JdbcUserStore} (embedded SQLite and H2, PostgreSQL) and
 * {@code io.github.usergrpc.user.server.activity.jetstream.JetStreamUserStore} (users in the JDBC store, the
 * activity log on NATS JetStream).
 *
 * <p>Every mutation and the activity event it causes are one atomic step: an event is never lost and
 * never invented. Sequences are per user: an event's sequence is unique among its user's events and greater
 * than every earlier event of that user, and a user's sequences grow in commit order, so a reader of one
 * user's events that has seen sequence {@code n} never later finds a new event of that user below
 * {@code n}. There may be gaps, and sequences of different users are not comparable (an implementation may
 * number all events from one counter, which satisfies this too).
 *
 * <p>Implementations are thread-safe. Methods throw the {@link StoreException} subclasses they name, and
 * {@link StoreUnavailableException} when the store cannot be reached; any other exception is a bug.
 */
public interface UserStore extends AutoCloseable {

  /**
   * How long a CreateUser request id is remembered after its call, by the clock of the calls: user.proto
   * promises at least 24 hours (AIP-155).
   */
  Duration REQUEST_ID_RETENTION = Duration.ofHours(24);

  /**
   * Creates a user and appends its {@code user.created} event.
   *
   * <p>With a request id (AIP-155): the first call creates the user and remembers the id with that user;
   * a later call with the same id and the same values ({@link NewUser#sameRequestAs}) returns the user as
   * created then (also when it was changed or deleted since) and creates nothing. Concurrent calls with
   * one id create one user.
   *
   * @param user the user to create
   * @param requestId the idempotency key, if any
   * @return the created user, or the one created by the earlier call with this request id
   * @throws EmailAlreadyExistsException if another user has the email (case-insensitively)
   * @throws RequestIdReusedException if the request id was used with other values
   */
  User create(NewUser user, Optional<String> requestId);

  /**
   * Returns the user with the id.
   *
   * @param id a user id
   * @return the user, or empty
   */
  Optional<User> find(String id);

  /**
   * Changes a user. When the changes leave every field as it is, nothing is written and the user is
   * returned as it is; otherwise the user gets the next version and a {@code user.updated} event whose
   * details are {@link UserChanges#changedFields}.
   *
   * @param id the user to change
   * @param changes the fields to set
   * @param expectedEtag if present, the change happens only if it is the user's current etag
   * @param nowMillis the time of the change
   * @return the user after the change
   * @throws UserNotFoundException if no user has the id
   * @throws EtagMismatchException if the etag does not match
   * @throws EmailAlreadyExistsException if the new email belongs to another user
   */
  User update(String id, UserChanges changes, Optional<String> expectedEtag, long nowMillis);

  /**
   * Deletes a user and appends its {@code user.deleted} event; the email is free again afterwards.
   *
   * @param id the user to delete
   * @param expectedEtag if present, the delete happens only if it is the user's current etag
   * @param nowMillis the time of the delete
   * @throws UserNotFoundException if no user has the id
   * @throws EtagMismatchException if the etag does not match
   */
  void delete(String id, Optional<String> expectedEtag, long nowMillis);

  /**
   * Counts users. ListUsers asks on every page requested without a page token, the first page of token
   * paging included, so an implementation keeps the counts as it writes instead of walking every user.
   *
   * @param role only users with this role, if present
   * @return the number of matching users
   */
  long count(Optional<String> role);

  /**
   * Returns users newest first (created_at descending, then id descending), skipping {@code offset}.
   * Costs grow with the offset; this serves the original page/limit paging.
   *
   * @param role only users with this role, if present
   * @param offset how many matching users to skip
   * @param limit the most users to return, at least 1
   * @return at most {@code limit} users
   */
  List<User> listByOffset(Optional<String> role, long offset, int limit);

  /**
   * Returns users newest first (created_at descending, then id descending) that come strictly after a
   * cursor: a keyset query, as cheap at any depth as on the first page.
   *
   * @param role only users with this role, if present
   * @param after the last user of the previous page; empty for the first page
   * @param limit the most users to return, at least 1
   * @return at most {@code limit} users
   */
  List<User> listAfter(Optional<String> role, Optional<PageCursor> after, int limit);

  /**
   * Appends an event published by another service (RecordActivity).
   *
   * <p>With a request id: a later call with the same id and the same user, action and details returns
   * the event recorded then and records nothing.
   *
   * @param userId the user the event is about; must exist
   * @param action the action, such as {@code page_view}
   * @param details free-form detail
   * @param nowMillis when it happened
   * @param requestId the idempotency key, if any
   * @return the event as stored, with its sequence
   * @throws UserNotFoundException if no user has the id
   * @throws RequestIdReusedException if the request id was used with other values
   */
  ActivityRecord recordActivity(String userId, String action, String details, long nowMillis,
      Optional<String> requestId);

  /**
   * Returns one user's events after a sequence, in sequence order: how a watch that resumes replays what
   * it missed, and how a server reads the new events of the users it has watches of.
   *
   * @param userId the user
   * @param afterSequence return events with a greater sequence
   * @param max the most events to return
   * @return at most {@code max} events, ascending
   * @throws ResumePointExpiredException if events after {@code afterSequence} may have been discarded
   */
  List<ActivityRecord> userActivityAfter(String userId, long afterSequence, int max);

  /**
   * Returns a user's head: every event of the user committed so far has a sequence at or below it, and
   * every later one a greater sequence. How a watch fixes where its live events start.
   *
   * @param userId the user
   * @return the head; 0 when the user never had an event
   */
  long lastSequence(String userId);

  /**
   * Returns the heads ({@link #lastSequence(String)}) of several users at once: how a server polls for events
   * that other server processes on the same database committed for the users it has watches of.
   *
   * @param userIds the users
   * @return the head of every user in {@code userIds} that has one; users that never had an event may be
   *     missing
   */
  Map<String, Long> lastSequences(Collection<String> userIds);

  /**
   * Returns a secret of at least 32 bytes that is the same for every server on this store and survives
   * restarts where the store does: it signs and encrypts page tokens.
   *
   * @return the key bytes; callers must not change them
   */
  byte[] secretKey();

  /**
   * Checks that the store can be reached, within about a second.
   *
   * @throws StoreUnavailableException if it cannot
   */
  void ping();

  /**
   * Returns the live delivery of the activity log, for a store whose log hands new events to subscribers
   * itself (such as one on NATS JetStream): a server's watch feed then subscribes to each watched user instead
   * of polling {@link #lastSequences} and following {@link #addCommitListener}. Empty for a log that is read
   * by polling, which is the default.
   *
   * @return the live delivery, or empty
   */
  default Optional<LiveActivity> liveActivity() {
    return Optional.empty();
  }

  /**
   * Registers a callback for activity that other server processes on the same database commit, for a store
   * that is told of it (PostgreSQL through LISTEN/NOTIFY, unless switched off): a server's watch feed then
   * reads those users' new events at once instead of at its next poll of {@link #lastSequences}, which stays
   * the backstop. Does nothing by default: the store is not told, and readers find such commits by polling.
   *
   * @param listener the callback, called on the store's own thread
   */
  default void addRemoteCommitListener(RemoteCommitListener listener) {}

  /**
   * Registers a callback that runs after every mutation this store instance commits, on the committing
   * thread, with the event the mutation appended. It must be quick and must not throw: it only wakes up
   * readers of {@link #userActivityAfter}.
   *
   * @param listener the callback
   */
  void addCommitListener(Consumer<ActivityRecord> listener);

  /** Releases connections and threads. Idempotent. */
  @Override
  void close();
}
