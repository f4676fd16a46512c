package io.github.usergrpc.user.service.store;

import static java.util.Objects.requireNonNull;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A {@link UserStore} that forwards every call to another, after {@link #beforeCall(String)}: the base for
 * decorators such as a store that fails on demand (the testkit's "store unavailable" fault) or one that
 * counts calls.
 */
public abstract class ForwardingUserStore implements UserStore {

  private final UserStore delegate;

  /**
   * Creates the decorator.
   *
   * @param delegate the store that does the work
   */
  protected ForwardingUserStore(UserStore delegate) {
    this.delegate = requireNonNull(delegate, "delegate");
  }

  /** Returns the store that does the work. */
  protected final UserStore delegate() {
    return delegate;
  }

  /**
   * Runs before every data call (not before {@code addCommitListener}, {@code addRemoteCommitListener},
   * {@code liveActivity}, {@code secretKey}, {@code close}); throwing here makes that call fail. Does nothing by
   * default.
   *
   * @param method the name of the {@link UserStore} method about to run
   */
  protected void beforeCall(String method) {}

  /**
   * Wraps every data call, {@link #beforeCall} included: override to time or count calls. Must run
   * {@code call} once and return its result. Runs it by default.
   *
   * @param method the name of the {@link UserStore} method
   * @param call the call
   * @param <T> its result type
   * @return the result of {@code call}
   */
  protected <T> T around(String method, Supplier<T> call) {
    return call.get();
  }

  @Override
  public User create(NewUser user, Optional<String> requestId) {
    return around("create", () -> {
      beforeCall("create");
      return delegate.create(user, requestId);
    });
  }

  @Override
  public Optional<User> find(String id) {
    return around("find", () -> {
      beforeCall("find");
      return delegate.find(id);
    });
  }

  @Override
  public User update(String id, UserChanges changes, Optional<String> expectedEtag, long nowMillis) {
    return around("update", () -> {
      beforeCall("update");
      return delegate.update(id, changes, expectedEtag, nowMillis);
    });
  }

  @Override
  public void delete(String id, Optional<String> expectedEtag, long nowMillis) {
    around("delete", () -> {
      beforeCall("delete");
      delegate.delete(id, expectedEtag, nowMillis);
      return null;
    });
  }

  @Override
  public long count(Optional<String> role) {
    return around("count", () -> {
      beforeCall("count");
      return delegate.count(role);
    });
  }

  @Override
  public List<User> listByOffset(Optional<String> role, long offset, int limit) {
    return around("listByOffset", () -> {
      beforeCall("listByOffset");
      return delegate.listByOffset(role, offset, limit);
    });
  }

  @Override
  public List<User> listAfter(Optional<String> role, Optional<PageCursor> after, int limit) {
    return around("listAfter", () -> {
      beforeCall("listAfter");
      return delegate.listAfter(role, after, limit);
    });
  }

  @Override
  public ActivityRecord recordActivity(String userId, String action, String details, long nowMillis,
      Optional<String> requestId) {
    return around("recordActivity", () -> {
      beforeCall("recordActivity");
      return delegate.recordActivity(userId, action, details, nowMillis, requestId);
    });
  }

  @Override
  public List<ActivityRecord> userActivityAfter(String userId, long afterSequence, int max) {
    return around("userActivityAfter", () -> {
      beforeCall("userActivityAfter");
      return delegate.userActivityAfter(userId, afterSequence, max);
    });
  }

  @Override
  public long lastSequence(String userId) {
    return around("lastSequence", () -> {
      beforeCall("lastSequence");
      return delegate.lastSequence(userId);
    });
  }

  @Override
  public Map<String, Long> lastSequences(Collection<String> userIds) {
    return around("lastSequences", () -> {
      beforeCall("lastSequences");
      return delegate.lastSequences(userIds);
    });
  }

  @Override
  public byte[] secretKey() {
    return delegate.secretKey();
  }

  @Override
  public void ping() {
    around("ping", () -> {
      beforeCall("ping");
      delegate.ping();
      return null;
    });
  }

  @Override
  public Optional<LiveActivity> liveActivity() {
    return delegate.liveActivity();
  }

  @Override
  public void addCommitListener(Consumer<ActivityRecord> listener) {
    delegate.addCommitListener(listener);
  }

  @Override
  public void addRemoteCommitListener(RemoteCommitListener listener) {
    delegate.addRemoteCommitListener(listener);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
