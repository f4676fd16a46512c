package io.github.usergrpc.user.client;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/**
 * How the client retries calls that are safe to retry, through gRPC's own retry support (a service config
 * {@code retryPolicy}, gRFC A6): attempts, exponential backoff with jitter, the status codes that trigger a
 * retry, and retry throttling. Immutable; create with {@link #newBuilder()}.
 *
 * <p>All attempts of a call share its deadline: a retry never outlives the caller's deadline.
 */
public final class RetrySettings {

  /** The default of {@link Builder#setMaxAttempts}: the first attempt and up to three retries. */
  public static final int DEFAULT_MAX_ATTEMPTS = 4;
  /** The default of {@link Builder#setInitialBackoff}. */
  public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(100);
  /** The default of {@link Builder#setMaxBackoff}. */
  public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(2);
  /** The default of {@link Builder#setBackoffMultiplier}. */
  public static final double DEFAULT_BACKOFF_MULTIPLIER = 2.0;
  /** The default of {@link Builder#setThrottling}: 10 tokens. */
  public static final int DEFAULT_THROTTLING_MAX_TOKENS = 10;
  /** The default of {@link Builder#setThrottling}: a success earns back 0.1 token. */
  public static final double DEFAULT_THROTTLING_TOKEN_RATIO = 0.1;

  private static final RetrySettings DEFAULTS = newBuilder().build();
  private static final RetrySettings DISABLED = newBuilder().setMaxAttempts(1).build();

  private final int maxAttempts;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final double backoffMultiplier;
  private final Set<Status.Code> retryableCodes;
  private final int throttlingMaxTokens;
  private final double throttlingTokenRatio;

  private RetrySettings(Builder builder) {
    this.maxAttempts = builder.maxAttempts;
    this.initialBackoff = builder.initialBackoff;
    this.maxBackoff = builder.maxBackoff;
    this.backoffMultiplier = builder.backoffMultiplier;
    this.retryableCodes = Set.copyOf(builder.retryableCodes);
    this.throttlingMaxTokens = builder.throttlingMaxTokens;
    this.throttlingTokenRatio = builder.throttlingTokenRatio;
  }

  /** Returns the defaults: 4 attempts, 100 ms to 2 s backoff, doubling, on UNAVAILABLE only (AIP-194). */
  public static RetrySettings defaults() {
    return DEFAULTS;
  }

  /** Returns settings that never retry. */
  public static RetrySettings disabled() {
    return DISABLED;
  }

  /** Returns a builder with the defaults. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** Returns a builder with these settings. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Returns the most attempts of one call, the first included; 1 means no retries. */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** Returns the upper bound of the first backoff; each backoff is random between 0 and its bound. */
  public Duration initialBackoff() {
    return initialBackoff;
  }

  /** Returns the largest backoff bound. */
  public Duration maxBackoff() {
    return maxBackoff;
  }

  /** Returns the factor by which the backoff bound grows after each attempt. */
  public double backoffMultiplier() {
    return backoffMultiplier;
  }

  /** Returns the status codes that cause a retry. */
  public Set<Status.Code> retryableCodes() {
    return retryableCodes;
  }

  /** Returns the token bucket size of retry throttling, or 0 when throttling is off. */
  public int throttlingMaxTokens() {
    return throttlingMaxTokens;
  }

  /** Returns the tokens a successful call earns back. */
  public double throttlingTokenRatio() {
    return throttlingTokenRatio;
  }

  @Override
  public String toString() {
    return "RetrySettings{maxAttempts=" + maxAttempts + ", initialBackoff=" + initialBackoff
        + ", maxBackoff=" + maxBackoff + ", backoffMultiplier=" + backoffMultiplier
        + ", retryableCodes=" + retryableCodes + ", throttling=" + throttlingMaxTokens + "/"
        + throttlingTokenRatio + "}";
  }

  /** Builds {@link RetrySettings}. Not thread-safe. */
  public static final class Builder {
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
    private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
    private double backoffMultiplier = DEFAULT_BACKOFF_MULTIPLIER;
    private Set<Status.Code> retryableCodes = EnumSet.of(Status.Code.UNAVAILABLE);
    private int throttlingMaxTokens = DEFAULT_THROTTLING_MAX_TOKENS;
    private double throttlingTokenRatio = DEFAULT_THROTTLING_TOKEN_RATIO;

    private Builder() {}

    private Builder(RetrySettings settings) {
      maxAttempts = settings.maxAttempts;
      initialBackoff = settings.initialBackoff;
      maxBackoff = settings.maxBackoff;
      backoffMultiplier = settings.backoffMultiplier;
      retryableCodes = EnumSet.copyOf(settings.retryableCodes);
      throttlingMaxTokens = settings.throttlingMaxTokens;
      throttlingTokenRatio = settings.throttlingTokenRatio;
    }

    /**
     * Sets the most attempts of one call, the first included. gRPC caps it at 5. If not called, defaults to
     * {@value #DEFAULT_MAX_ATTEMPTS}.
     *
     * @param maxAttempts 1 (no retries) to 5
     * @return this
     */
    public Builder setMaxAttempts(int maxAttempts) {
      if (maxAttempts < 1 || maxAttempts > 5) {
        throw new IllegalArgumentException("maxAttempts: " + maxAttempts + " (expected: 1..5)");
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /**
     * Sets the bound of the first backoff. If not called, defaults to 100 ms.
     *
     * @param backoff positive
     * @return this
     */
    public Builder setInitialBackoff(Duration backoff) {
      this.initialBackoff = positive(backoff, "initialBackoff");
      return this;
    }

    /**
     * Sets the largest backoff bound. If not called, defaults to 2 s.
     *
     * @param backoff positive
     * @return this
     */
    public Builder setMaxBackoff(Duration backoff) {
      this.maxBackoff = positive(backoff, "maxBackoff");
      return this;
    }

    /**
     * Sets the factor by which the backoff bound grows. If not called, defaults to 2.0.
     *
     * @param multiplier greater than 0
     * @return this
     */
    public Builder setBackoffMultiplier(double multiplier) {
      if (!(multiplier > 0)) {
        throw new IllegalArgumentException("multiplier: " + multiplier + " (expected: > 0)");
      }
      this.backoffMultiplier = multiplier;
      return this;
    }

    /**
     * Sets the status codes that cause a retry. If not called, defaults to UNAVAILABLE only, as AIP-194
     * advises; DEADLINE_EXCEEDED, CANCELLED and INVALID_ARGUMENT are never safe to retry blindly.
     *
     * @param codes at least one code, not OK
     * @return this
     */
    public Builder setRetryableCodes(Set<Status.Code> codes) {
      requireNonNull(codes, "codes");
      if (codes.isEmpty() || codes.contains(Status.Code.OK)) {
        throw new IllegalArgumentException("codes: " + codes + " (expected: at least one, not OK)");
      }
      this.retryableCodes = EnumSet.copyOf(codes);
      return this;
    }

    /**
     * Sets retry throttling: each failed attempt costs a token, each success earns {@code tokenRatio}, and
     * retries stop while at most half of {@code maxTokens} are left, so that retries cannot multiply the
     * load of a struggling server. If not called, defaults to 10 tokens and 0.1.
     *
     * @param maxTokens 1 to 1000, or 0 to turn throttling off
     * @param tokenRatio greater than 0
     * @return this
     */
    public Builder setThrottling(int maxTokens, double tokenRatio) {
      if (maxTokens < 0 || maxTokens > 1000) {
        throw new IllegalArgumentException("maxTokens: " + maxTokens + " (expected: 0..1000)");
      }
      if (!(tokenRatio > 0)) {
        throw new IllegalArgumentException("tokenRatio: " + tokenRatio + " (expected: > 0)");
      }
      this.throttlingMaxTokens = maxTokens;
      this.throttlingTokenRatio = tokenRatio;
      return this;
    }

    /**
     * Builds the settings.
     *
     * @return the settings
     * @throws IllegalStateException if the largest backoff is shorter than the first
     */
    public RetrySettings build() {
      if (maxBackoff.compareTo(initialBackoff) < 0) {
        throw new IllegalStateException("maxBackoff " + maxBackoff + " must not be shorter than initialBackoff "
            + initialBackoff);
      }
      return new RetrySettings(this);
    }
  }

  static Duration positive(Duration value, String name) {
    requireNonNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
    }
    return value;
  }
}
