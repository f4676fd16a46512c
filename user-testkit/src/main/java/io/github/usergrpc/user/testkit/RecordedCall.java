package io.github.usergrpc.user.testkit;

import static java.util.Objects.requireNonNull;

import io.grpc.Metadata;
import io.grpc.Status;
import java.time.Duration;
import java.util.Optional;
import javax.annotation.Nullable;

/**
 * One call that reached a {@link FakeUserService}, as it stood when it was read: the request, its headers, its
 * deadline, which attempt it was, and how it ended so far. Immutable: read the fake again to see later
 * changes (a call that is still waiting, then cancelled).
 *
 * <p>Each attempt of a call that gRPC retries is a call of its own here, with {@link #previousAttempts()}
 * telling which attempt it was.
 *
 * @param <ReqT> the request message type
 */
public final class RecordedCall<ReqT> {

  private static final Metadata.Key<String> PREVIOUS_ATTEMPTS =
      Metadata.Key.of("grpc-previous-rpc-attempts", Metadata.ASCII_STRING_MARSHALLER);

  private final String methodName;
  private final ReqT request;
  private final Metadata headers;
  @Nullable
  private final Duration timeout;
  private final boolean cancelled;
  @Nullable
  private final Status status;

  RecordedCall(String methodName, ReqT request, Metadata headers, @Nullable Duration timeout, boolean cancelled,
      @Nullable Status status) {
    this.methodName = requireNonNull(methodName, "methodName");
    this.request = requireNonNull(request, "request");
    this.headers = copy(headers);
    this.timeout = timeout;
    this.cancelled = cancelled;
    this.status = status;
  }

  /** Returns the bare name of the method, such as {@code GetUser}. */
  public String methodName() {
    return methodName;
  }

  /** Returns the request message as the server received it, before validation. */
  public ReqT request() {
    return request;
  }

  /** Returns a copy of the request headers; changing it changes nothing here. */
  public Metadata headers() {
    return copy(headers);
  }

  /**
   * Returns the last value of an ASCII request header, such as {@code authorization}.
   *
   * @param name the header name, not ending in {@code -bin}
   * @return the value, or empty when the call did not carry the header
   */
  public Optional<String> header(String name) {
    requireNonNull(name, "name");
    return Optional.ofNullable(headers.get(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER)));
  }

  /**
   * Returns how much time the call's deadline left when the server received it; empty for a call without a
   * deadline.
   */
  public Optional<Duration> timeout() {
    return Optional.ofNullable(timeout);
  }

  /**
   * Returns how many attempts of the same call came before this one: 0 for a first attempt, 1 for the first
   * retry, and so on (gRPC's {@code grpc-previous-rpc-attempts} header).
   */
  public int previousAttempts() {
    String value = headers.get(PREVIOUS_ATTEMPTS);
    if (value == null) {
      return 0;
    }
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /**
   * Tells whether the server saw the call cancelled: by the client, by its deadline, or by a broken
   * connection.
   */
  public boolean cancelled() {
    return cancelled;
  }

  /**
   * Returns the status the server ended the call with (its code and description; details are in the
   * trailers the client got); empty while the call is running, and for a call cancelled before the server
   * answered.
   */
  public Optional<Status> status() {
    return Optional.ofNullable(status);
  }

  /** Returns the status code the server ended the call with; empty as for {@link #status()}. */
  public Optional<Status.Code> code() {
    return status().map(Status::getCode);
  }

  @Override
  public String toString() {
    StringBuilder text = new StringBuilder(methodName).append('{');
    text.append("attempt=").append(previousAttempts() + 1);
    if (timeout != null) {
      text.append(", timeout=").append(timeout.toMillis()).append("ms");
    }
    text.append(", status=").append(status == null ? "none" : status.getCode());
    if (cancelled) {
      text.append(", cancelled");
    }
    text.append(", request=").append(request.toString().replace('\n', ' ').trim()).append('}');
    return text.toString();
  }

  private static Metadata copy(Metadata headers) {
    Metadata copy = new Metadata();
    copy.merge(headers);
    return copy;
  }
}
