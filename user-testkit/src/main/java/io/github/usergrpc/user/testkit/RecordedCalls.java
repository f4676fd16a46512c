package io.github.usergrpc.user.testkit;

import static java.util.Objects.requireNonNull;

import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.MethodDescriptor;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/**
 * The calls a {@link FakeUserService} received, to verify what the code under test sent: per method in order
 * of arrival, every retry attempt as a call of its own, each a {@link RecordedCall} snapshot with the
 * request, its headers, its deadline and how the call ended; and waits for calls that arrive on other threads
 * or that a fault holds. Get it from {@link FakeUserService#calls()} (or {@link FakeUserServiceExtension#calls()}):
 *
 * <pre>{@code
 * RecordedCalls calls = fake.calls();
 * List<RecordedCall<CreateUserRequest>> attempts = calls.requests(UserServiceGrpc.getCreateUserMethod());
 * assertThat(attempts).hasSize(3);
 * RecordedCall<GetUserRequest> gaveUp = calls.awaitCancellation(UserServiceGrpc.getGetUserMethod(),
 *     Duration.ofSeconds(5));
 * }</pre>
 *
 * <p>Methods are named by the generated descriptors ({@code UserServiceGrpc.getXxxMethod()}); a method of
 * another service is refused with {@link IllegalArgumentException}. The fake's own seeding calls
 * ({@link FakeUserService#givenUser}, {@link FakeUserService#emitActivity}) are not recorded, and
 * {@link FakeUserService#reset()} forgets the calls received so far. What this returns are snapshots: read
 * again to see a call that was still running end.
 *
 * <p>Thread-safe.
 */
public final class RecordedCalls {

  /** How many calls {@link #toString()} lists before it only counts the rest. */
  private static final int LISTED = 50;

  private final CallLog log;

  RecordedCalls(CallLog log) {
    this.log = log;
  }

  /**
   * Returns the calls of a method received so far, in order of arrival, each retry attempt as a call of its
   * own.
   *
   * @param method the method, such as {@code UserServiceGrpc.getCreateUserMethod()}
   * @param <ReqT> the request type of the method
   * @return an immutable list of snapshots
   */
  public <ReqT> List<RecordedCall<ReqT>> requests(MethodDescriptor<ReqT, ?> method) {
    return typed(log.snapshot(fullName(method)));
  }

  /** Returns the calls of every method received so far, in order of arrival; an immutable list of snapshots. */
  public List<RecordedCall<?>> allRequests() {
    return log.snapshot(null);
  }

  /**
   * Returns how many calls of a method were received so far.
   *
   * @param method the method
   * @return the number of calls, retry attempts included
   */
  public int requestCount(MethodDescriptor<?, ?> method) {
    return log.snapshot(fullName(method)).size();
  }

  /**
   * Returns the calls of a method that the server saw cancelled (by the client, by their deadline, or by the
   * connection), in order of arrival.
   *
   * @param method the method
   * @param <ReqT> the request type of the method
   * @return an immutable list of snapshots
   */
  public <ReqT> List<RecordedCall<ReqT>> cancellations(MethodDescriptor<ReqT, ?> method) {
    return typed(cancelled(log.snapshot(fullName(method))));
  }

  /**
   * Waits until at least {@code count} calls of a method have arrived: for calls made on other threads, or
   * held by a fault.
   *
   * @param method the method
   * @param count how many calls, at least 0
   * @param timeout the most to wait
   * @param <ReqT> the request type of the method
   * @return the calls received, at least {@code count}
   * @throws AssertionError if fewer arrived within {@code timeout}; its message lists the calls received
   */
  public <ReqT> List<RecordedCall<ReqT>> awaitRequests(MethodDescriptor<ReqT, ?> method, int count,
      Duration timeout) {
    fullName(method);
    if (count < 0) {
      throw new IllegalArgumentException("count: " + count + " (expected: >= 0)");
    }
    return typed(await(method, calls -> calls.size() >= count, timeout,
        "expected at least " + count + " " + method.getBareMethodName() + " call(s)"));
  }

  /**
   * Waits until the server has seen a call of a method cancelled, and returns the first such call.
   *
   * @param method the method
   * @param timeout the most to wait
   * @param <ReqT> the request type of the method
   * @return the first cancelled call
   * @throws AssertionError if none was cancelled within {@code timeout}; its message lists the calls received
   */
  public <ReqT> RecordedCall<ReqT> awaitCancellation(MethodDescriptor<ReqT, ?> method, Duration timeout) {
    fullName(method);
    List<RecordedCall<ReqT>> calls = typed(cancelled(await(method, all -> !cancelled(all).isEmpty(), timeout,
        "expected a cancelled " + method.getBareMethodName() + " call")));
    return calls.get(0);
  }

  /** Returns the number of calls and the first 50 of them, one a line, for test failure messages. */
  @Override
  public String toString() {
    List<RecordedCall<?>> calls = allRequests();
    StringBuilder text = new StringBuilder("requests=").append(calls.size());
    int shown = Math.min(calls.size(), LISTED);
    for (int i = 0; i < shown; i++) {
      text.append("\n  ").append(calls.get(i));
    }
    if (shown < calls.size()) {
      text.append("\n  ... ").append(calls.size() - shown).append(" more");
    }
    return text.toString();
  }

  /**
   * Returns the full name of a UserService method.
   *
   * @throws IllegalArgumentException for a method of another service
   */
  static String fullName(MethodDescriptor<?, ?> method) {
    requireNonNull(method, "method");
    if (!UserServiceGrpc.SERVICE_NAME.equals(method.getServiceName())) {
      throw new IllegalArgumentException("method: " + method.getFullMethodName()
          + " (expected: a UserService method, such as UserServiceGrpc.getGetUserMethod())");
    }
    return method.getFullMethodName();
  }

  private List<RecordedCall<?>> await(MethodDescriptor<?, ?> method, Predicate<List<RecordedCall<?>>> condition,
      Duration timeout, String expectation) {
    requireNonNull(timeout, "timeout");
    String fullName = fullName(method);
    List<RecordedCall<?>> calls;
    try {
      calls = log.await(fullName, condition, timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting: " + expectation, e);
    }
    if (calls == null) {
      throw new AssertionError(expectation + " within " + timeout + ", but got: " + log.snapshot(fullName));
    }
    return calls;
  }

  private static List<RecordedCall<?>> cancelled(List<RecordedCall<?>> calls) {
    return calls.stream().filter(RecordedCall::cancelled).toList();
  }

  @SuppressWarnings("unchecked") // The log keeps the requests of a method, all of the method's request type.
  private static <ReqT> List<RecordedCall<ReqT>> typed(List<RecordedCall<?>> calls) {
    return (List<RecordedCall<ReqT>>) (List<?>) calls;
  }
}
