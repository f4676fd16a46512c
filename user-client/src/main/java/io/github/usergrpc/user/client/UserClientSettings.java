package io.github.usergrpc.user.client;

import io.github.usergrpc.user.client.UserClient.Method;
import io.grpc.Channel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * Everything a {@link UserClient} is configured with: where it connects and how (target, channel builder or
 * channel; TLS, authority, load balancing, credentials, headers), the deadline of each method, the retry and
 * hedging policies, request ids, local validation, wait-for-ready, the watch backoff, tracing and the
 * executors. Immutable and thread-safe; create with {@link #newBuilder()}, change a copy with
 * {@link #toBuilder()}, and create clients with {@link UserClient#create(UserClientSettings)}.
 *
 * <pre>{@code
 * UserClientSettings settings = UserClientSettings.newBuilder()
 *     .setTarget("dns:///users.internal:50051")
 *     .setTimeout(UserClient.Method.LIST_USERS, Duration.ofSeconds(30))
 *     .build();
 * try (UserClient users = UserClient.create(settings)) { ... }
 * }</pre>
 *
 * <p>The settings hold what they were given: the suppliers, executors and a {@link ManagedChannelBuilder} are
 * shared, not copied, by every client created from them. {@link UserClient#newBuilder()} sets the same
 * values and builds a client in one go.
 */
public final class UserClientSettings {

  private final String target;
  private final ManagedChannelBuilder<?> channelBuilder;
  private final Channel channel;
  private final boolean plaintext;
  private final Path trustedCertificates;
  private final Path clientCertificateChain;
  private final Path clientPrivateKey;
  private final String authorityOverride;
  private final String loadBalancingPolicy;
  private final Supplier<String> bearerToken;
  private final Supplier<Metadata> headers;
  private final Map<Method, Duration> timeouts;
  private final RetrySettings retry;
  private final OpenTelemetry openTelemetry;
  private final HedgingSettings hedging;
  private final boolean automaticRequestIds;
  private final boolean validateRequests;
  private final boolean waitForReady;
  private final Duration watchInitialBackoff;
  private final Duration watchMaxBackoff;
  private final Executor callbackExecutor;
  private final ScheduledExecutorService scheduler;

  UserClientSettings(ClientSettingsBuilder<?> builder) {
    target = builder.target;
    channelBuilder = builder.channelBuilder;
    channel = builder.channel;
    plaintext = builder.plaintext;
    trustedCertificates = builder.trustedCertificates;
    clientCertificateChain = builder.clientCertificateChain;
    clientPrivateKey = builder.clientPrivateKey;
    authorityOverride = builder.authorityOverride;
    loadBalancingPolicy = builder.loadBalancingPolicy;
    bearerToken = builder.bearerToken;
    headers = builder.headers;
    timeouts = Collections.unmodifiableMap(new EnumMap<>(builder.timeouts));
    retry = builder.retry;
    openTelemetry = builder.openTelemetry;
    hedging = builder.hedging;
    automaticRequestIds = builder.automaticRequestIds;
    validateRequests = builder.validateRequests;
    waitForReady = builder.waitForReady;
    watchInitialBackoff = builder.watchInitialBackoff;
    watchMaxBackoff = builder.watchMaxBackoff;
    callbackExecutor = builder.callbackExecutor;
    scheduler = builder.scheduler;
  }

  /** Returns a builder with the defaults; it needs a target, channel builder or channel before it builds. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** Returns a builder with these settings, to build changed settings from. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Returns the gRPC target the client connects to, if one was set; the client owns that channel. */
  public Optional<String> target() {
    return Optional.ofNullable(target);
  }

  /** Returns the channel builder the client builds its channels from, if one was set. */
  public Optional<ManagedChannelBuilder<?>> channelBuilder() {
    return Optional.ofNullable(channelBuilder);
  }

  /** Returns the channel the client calls through without owning it, if one was set. */
  public Optional<Channel> channel() {
    return Optional.ofNullable(channel);
  }

  /** Tells whether the target is reached over plaintext HTTP/2 instead of TLS; false by default. */
  public boolean plaintext() {
    return plaintext;
  }

  /** Returns the PEM file of trusted certificate authorities, if set; else the system's roots are trusted. */
  public Optional<Path> trustedCertificates() {
    return Optional.ofNullable(trustedCertificates);
  }

  /** Returns the PEM certificate chain the client presents (mutual TLS), if set. */
  public Optional<Path> clientCertificateChain() {
    return Optional.ofNullable(clientCertificateChain);
  }

  /** Returns the PEM private key of {@link #clientCertificateChain()}, if set. */
  public Optional<Path> clientPrivateKey() {
    return Optional.ofNullable(clientPrivateKey);
  }

  /** Returns the authority that replaces the target's host in calls and in the TLS check, if set. */
  public Optional<String> authorityOverride() {
    return Optional.ofNullable(authorityOverride);
  }

  /** Returns the load-balancing policy of the target's channel, if set; else gRPC's {@code pick_first}. */
  public Optional<String> loadBalancingPolicy() {
    return Optional.ofNullable(loadBalancingPolicy);
  }

  /** Returns the supplier of the bearer token sent with every call, if set. */
  public Optional<Supplier<String>> bearerToken() {
    return Optional.ofNullable(bearerToken);
  }

  /** Returns the supplier of the headers added to every call, if set. */
  public Optional<Supplier<Metadata>> headers() {
    return Optional.ofNullable(headers);
  }

  /** Returns the timeout of each method's calls; by default each {@link Method#defaultTimeout()}. */
  public Map<Method, Duration> timeouts() {
    return timeouts;
  }

  /** Returns the retry policy; {@link RetrySettings#defaults()} by default. */
  public RetrySettings retrySettings() {
    return retry;
  }

  /** Returns the OpenTelemetry that calls are traced into, if set; by default nothing is traced. */
  public Optional<OpenTelemetry> openTelemetry() {
    return Optional.ofNullable(openTelemetry);
  }

  /** Returns the hedging of getUser and listUsers, if set; off by default. */
  public Optional<HedgingSettings> hedging() {
    return Optional.ofNullable(hedging);
  }

  /** Tells whether createUser and recordActivity requests without a request id get one; true by default. */
  public boolean automaticRequestIds() {
    return automaticRequestIds;
  }

  /** Tells whether requests are validated before they are sent; true by default. */
  public boolean validateRequests() {
    return validateRequests;
  }

  /** Tells whether retryable calls and watches wait for the channel to be ready; true by default. */
  public boolean waitForReady() {
    return waitForReady;
  }

  /**
   * Returns the bound of a broken watch's first reconnect wait;
   * {@link ClientSettingsBuilder#DEFAULT_WATCH_INITIAL_BACKOFF} by default.
   */
  public Duration watchInitialBackoff() {
    return watchInitialBackoff;
  }

  /**
   * Returns the largest bound of a reconnect wait; {@link ClientSettingsBuilder#DEFAULT_WATCH_MAX_BACKOFF} by
   * default.
   */
  public Duration watchMaxBackoff() {
    return watchMaxBackoff;
  }

  /** Returns the executor that completes futures and runs listeners, if set; else gRPC's channel executor. */
  public Optional<Executor> callbackExecutor() {
    return Optional.ofNullable(callbackExecutor);
  }

  /** Returns the scheduler of watch reconnects, if set; else each client creates and stops its own thread. */
  public Optional<ScheduledExecutorService> scheduler() {
    return Optional.ofNullable(scheduler);
  }

  /** Returns the settings without secrets: the bearer token and headers are named, never asked for. */
  @Override
  public String toString() {
    return "UserClientSettings{"
        + (target != null ? "target=" + target : channelBuilder != null ? "channelBuilder=" + channelBuilder
            : "channel=" + channel)
        + (plaintext ? ", plaintext" : "")
        + (authorityOverride != null ? ", authorityOverride=" + authorityOverride : "")
        + (loadBalancingPolicy != null ? ", loadBalancingPolicy=" + loadBalancingPolicy : "")
        + (bearerToken != null ? ", bearerToken" : "") + (headers != null ? ", headers" : "")
        + ", timeouts=" + timeouts + ", retry=" + retry + (hedging != null ? ", hedging=" + hedging : "")
        + ", automaticRequestIds=" + automaticRequestIds + ", validateRequests=" + validateRequests
        + ", waitForReady=" + waitForReady + ", watchBackoff=" + watchInitialBackoff + ".." + watchMaxBackoff
        + "}";
  }

  /**
   * Builds {@link UserClientSettings}; its setters, and the defaults they state, are those of
   * {@link ClientSettingsBuilder}. Not thread-safe.
   */
  public static final class Builder extends ClientSettingsBuilder<Builder> {

    private Builder() {}

    private Builder(UserClientSettings settings) {
      super(settings);
    }

    /**
     * Builds the settings.
     *
     * @return the settings
     * @throws IllegalStateException if not exactly one of target, channel builder and channel was set, or
     *     TLS files or an authority override were given without a target
     */
    public UserClientSettings build() {
      return buildSettings();
    }
  }
}
