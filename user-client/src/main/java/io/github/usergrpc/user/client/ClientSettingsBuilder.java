package io.github.usergrpc.user.client;

import static java.util.Objects.requireNonNull;

import io.github.usergrpc.user.client.UserClient.Method;
import io.grpc.Channel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * The setters of a {@link UserClientSettings}, shared by {@link UserClientSettings.Builder} (which builds the
 * settings) and {@link UserClient.Builder} (which builds a client from them), so that both read the same and
 * check the same. Give it exactly one of a target ({@link #setTarget}), a channel builder
 * ({@link #setChannelBuilder}) or a channel ({@link #setChannel}); every other setting has a default, stated
 * on its setter. Not thread-safe.
 *
 * <p>Only this package extends it (the constructor is package-private), like grpc-java's self-typed
 * {@code ManagedChannelBuilder<T>}.
 *
 * @param <B> the concrete builder, which every setter returns
 */
public abstract class ClientSettingsBuilder<B extends ClientSettingsBuilder<B>> {

  /** The default of {@link #setWatchBackoff}: the first reconnect waits up to this long. */
  public static final Duration DEFAULT_WATCH_INITIAL_BACKOFF = Duration.ofMillis(100);
  /** The default of {@link #setWatchBackoff}: no reconnect waits longer than this. */
  public static final Duration DEFAULT_WATCH_MAX_BACKOFF = Duration.ofSeconds(5);

  // Package-private: UserClientSettings copies them.
  String target;
  ManagedChannelBuilder<?> channelBuilder;
  Channel channel;
  boolean plaintext;
  Path trustedCertificates;
  Path clientCertificateChain;
  Path clientPrivateKey;
  String authorityOverride;
  String loadBalancingPolicy;
  Supplier<String> bearerToken;
  Supplier<Metadata> headers;
  final Map<Method, Duration> timeouts = new EnumMap<>(Method.class);
  RetrySettings retry = RetrySettings.defaults();
  OpenTelemetry openTelemetry;
  HedgingSettings hedging;
  boolean automaticRequestIds = true;
  boolean validateRequests = true;
  boolean waitForReady = true;
  Duration watchInitialBackoff = DEFAULT_WATCH_INITIAL_BACKOFF;
  Duration watchMaxBackoff = DEFAULT_WATCH_MAX_BACKOFF;
  Executor callbackExecutor;
  ScheduledExecutorService scheduler;

  ClientSettingsBuilder() {
    for (Method method : Method.values()) {
      timeouts.put(method, method.defaultTimeout());
    }
  }

  ClientSettingsBuilder(UserClientSettings settings) {
    target = settings.target().orElse(null);
    channelBuilder = settings.channelBuilder().orElse(null);
    channel = settings.channel().orElse(null);
    plaintext = settings.plaintext();
    trustedCertificates = settings.trustedCertificates().orElse(null);
    clientCertificateChain = settings.clientCertificateChain().orElse(null);
    clientPrivateKey = settings.clientPrivateKey().orElse(null);
    authorityOverride = settings.authorityOverride().orElse(null);
    loadBalancingPolicy = settings.loadBalancingPolicy().orElse(null);
    bearerToken = settings.bearerToken().orElse(null);
    headers = settings.headers().orElse(null);
    timeouts.putAll(settings.timeouts());
    retry = settings.retrySettings();
    openTelemetry = settings.openTelemetry().orElse(null);
    hedging = settings.hedging().orElse(null);
    automaticRequestIds = settings.automaticRequestIds();
    validateRequests = settings.validateRequests();
    waitForReady = settings.waitForReady();
    watchInitialBackoff = settings.watchInitialBackoff();
    watchMaxBackoff = settings.watchMaxBackoff();
    callbackExecutor = settings.callbackExecutor().orElse(null);
    scheduler = settings.scheduler().orElse(null);
  }

  /**
   * Sets the server to call: any gRPC target string, such as {@code localhost:50051} or
   * {@code dns:///users.internal:50051} (with {@link #setLoadBalancingPolicy} to spread calls over every
   * address). The client creates and owns the channel. TLS with the system's trusted roots unless
   * {@link #usePlaintext()}.
   *
   * @param target the target
   * @return this
   */
  public final B setTarget(String target) {
    this.target = requireNonNull(target, "target");
    return self();
  }

  /**
   * Sets a channel builder to create the channels from, such as an {@code InProcessChannelBuilder} or a
   * {@code NettyChannelBuilder} the caller has configured. The client adds its service config, builds two
   * channels (with and without retries) and owns them. Each client created from the same settings builds its
   * own channels from this builder.
   *
   * @param channelBuilder the builder; the client changes its retry settings
   * @return this
   */
  public final B setChannelBuilder(ManagedChannelBuilder<?> channelBuilder) {
    this.channelBuilder = requireNonNull(channelBuilder, "channelBuilder");
    return self();
  }

  /**
   * Sets an existing channel to call through. The client does not own it and never shuts it down; retries
   * are whatever that channel's service config says (the client's {@link RetrySettings} need a target or
   * channel builder).
   *
   * @param channel the channel
   * @return this
   */
  public final B setChannel(Channel channel) {
    this.channel = requireNonNull(channel, "channel");
    return self();
  }

  /**
   * Talks plaintext HTTP/2 to a target: for local development only.
   *
   * @return this
   */
  public final B usePlaintext() {
    this.plaintext = true;
    return self();
  }

  /**
   * Trusts the certificate authorities in a PEM file instead of the system's, for a server with a private CA.
   *
   * @param caCertificates PEM file with one or more CA certificates
   * @return this
   */
  public final B setTrustedCertificates(Path caCertificates) {
    this.trustedCertificates = requireNonNull(caCertificates, "caCertificates");
    return self();
  }

  /**
   * Presents a client certificate (mutual TLS).
   *
   * @param certificateChain PEM certificate chain
   * @param privateKey PEM private key (PKCS#8)
   * @return this
   */
  public final B setClientCertificate(Path certificateChain, Path privateKey) {
    this.clientCertificateChain = requireNonNull(certificateChain, "certificateChain");
    this.clientPrivateKey = requireNonNull(privateKey, "privateKey");
    return self();
  }

  /**
   * Sets the authority that calls carry ({@code :authority}) and that TLS checks the server's certificate
   * against, instead of the target's host: for a target whose certificate names another host, such as a
   * server reached by IP address, through a tunnel, or with a test certificate. Use only names the server
   * really serves: this changes which certificate is accepted. Applies to {@link #setTarget} only. If not
   * called, the authority is the target's host and port.
   *
   * @param authority a host name, optionally with {@code :port}, such as {@code users.internal}
   * @return this
   */
  public final B setAuthorityOverride(String authority) {
    this.authorityOverride = requireNonNull(authority, "authority");
    return self();
  }

  /**
   * Sets the load-balancing policy of a target's channel, such as {@code round_robin} to spread calls over
   * every address a DNS name resolves to. If not called, gRPC's default ({@code pick_first}).
   *
   * @param policy the policy name
   * @return this
   */
  public final B setLoadBalancingPolicy(String policy) {
    this.loadBalancingPolicy = requireNonNull(policy, "policy");
    return self();
  }

  /**
   * Sends {@code authorization: Bearer <token>} with every call, asking the supplier each time so that a
   * token can be refreshed. Calls over a plaintext connection fail with UNAUTHENTICATED instead of sending
   * the token in the clear (in-process channels count as private).
   *
   * @param token returns the current token
   * @return this
   */
  public final B setBearerToken(Supplier<String> token) {
    this.bearerToken = requireNonNull(token, "token");
    return self();
  }

  /**
   * Adds the headers the supplier returns to every call.
   *
   * @param headers returns the headers for one call
   * @return this
   */
  public final B setHeaders(Supplier<Metadata> headers) {
    this.headers = requireNonNull(headers, "headers");
    return self();
  }

  /**
   * Sets the timeout of every method's calls. If not called, each method has its
   * {@link Method#defaultTimeout()}.
   *
   * @param timeout positive
   * @return this
   */
  public final B setTimeout(Duration timeout) {
    RetrySettings.positive(timeout, "timeout");
    for (Method method : Method.values()) {
      timeouts.put(method, timeout);
    }
    return self();
  }

  /**
   * Sets the timeout of one method's calls. If not called, {@link Method#defaultTimeout()}.
   *
   * @param method the method
   * @param timeout positive
   * @return this
   */
  public final B setTimeout(Method method, Duration timeout) {
    timeouts.put(requireNonNull(method, "method"), RetrySettings.positive(timeout, "timeout"));
    return self();
  }

  /**
   * Traces every call into {@code openTelemetry}: a CLIENT span per call ({@code user.UserService/GetUser},
   * with {@code rpc.*} attributes and the gRPC status), under it an {@code Attempt} span per attempt, retries
   * and hedges included, and the attempt's W3C {@code traceparent} sent to the server (with the
   * propagators of {@code openTelemetry}). A call is a child of the span current when it is made. If not
   * called, nothing is traced and no {@code traceparent} is sent.
   *
   * @param openTelemetry the OpenTelemetry (an SDK the application configures; the client needs only the
   *     API)
   * @return this
   */
  public final B setOpenTelemetry(OpenTelemetry openTelemetry) {
    this.openTelemetry = requireNonNull(openTelemetry, "openTelemetry");
    return self();
  }

  /**
   * Sets the retry policy. If not called, {@link RetrySettings#defaults()}.
   *
   * @param retry the settings; {@link RetrySettings#disabled()} never retries
   * @return this
   */
  public final B setRetrySettings(RetrySettings retry) {
    this.retry = requireNonNull(retry, "retry");
    return self();
  }

  /**
   * Turns on hedging for getUser and listUsers (off if not called). Hedged methods are not retried.
   *
   * @param hedging the settings
   * @return this
   */
  public final B setHedging(HedgingSettings hedging) {
    this.hedging = requireNonNull(hedging, "hedging");
    return self();
  }

  /**
   * Sets whether createUser and recordActivity requests without a request id get a random one, which
   * makes them safe to retry. If not called, true.
   *
   * @param enabled whether to add request ids
   * @return this
   */
  public final B setAutomaticRequestIds(boolean enabled) {
    this.automaticRequestIds = enabled;
    return self();
  }

  /**
   * Sets whether requests are checked against the contract's validation rules before sending, failing
   * with the {@link InvalidArgumentException} the server would give, without a network call. If not
   * called, true.
   *
   * @param enabled whether to validate
   * @return this
   */
  public final B setValidateRequests(boolean enabled) {
    this.validateRequests = enabled;
    return self();
  }

  /**
   * Sets whether calls that are safe to retry, and watches, wait for the channel to be ready (gRPC's
   * {@code waitForReady}) within their deadline: while the channel reconnects after a server restart they
   * wait instead of failing at once with UNAVAILABLE; against a server that stays down they end with
   * DEADLINE_EXCEEDED at their deadline. Calls that are not safe to retry always fail fast. If not called,
   * true.
   *
   * @param enabled whether to wait
   * @return this
   */
  public final B setWaitForReady(boolean enabled) {
    this.waitForReady = enabled;
    return self();
  }

  /**
   * Sets the backoff between reconnects of a broken watch: the first waits up to {@code initial}, each
   * next one up to twice as long, never more than {@code max}; each wait is random in its upper half. If
   * not called, 100 ms and 5 s.
   *
   * @param initial positive
   * @param max at least {@code initial}
   * @return this
   */
  public final B setWatchBackoff(Duration initial, Duration max) {
    RetrySettings.positive(initial, "initial");
    RetrySettings.positive(max, "max");
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("max: " + max + " (expected: >= initial " + initial + ")");
    }
    this.watchInitialBackoff = initial;
    this.watchMaxBackoff = max;
    return self();
  }

  /**
   * Sets the executor that completes futures and runs listeners. The client does not own it. If not
   * called, gRPC's channel executor.
   *
   * @param executor the executor
   * @return this
   */
  public final B setCallbackExecutor(Executor executor) {
    this.callbackExecutor = requireNonNull(executor, "executor");
    return self();
  }

  /**
   * Sets the scheduler for watch reconnects. The client does not own it. If not called, the client
   * creates a single daemon thread and stops it on close.
   *
   * @param scheduler the scheduler
   * @return this
   */
  public final B setScheduler(ScheduledExecutorService scheduler) {
    this.scheduler = requireNonNull(scheduler, "scheduler");
    return self();
  }

  /**
   * Checks the settings and returns them as a value.
   *
   * @throws IllegalStateException if not exactly one of target, channel builder and channel was set, or
   *     TLS files or an authority override were given without a target
   */
  final UserClientSettings buildSettings() {
    int sources = (target != null ? 1 : 0) + (channelBuilder != null ? 1 : 0) + (channel != null ? 1 : 0);
    if (sources != 1) {
      throw new IllegalStateException("set exactly one of setTarget(), setChannelBuilder() and setChannel()"
          + " (set: " + sources + ")");
    }
    boolean tlsFiles = trustedCertificates != null || clientCertificateChain != null;
    if ((tlsFiles || plaintext || authorityOverride != null) && target == null) {
      throw new IllegalStateException(
          "usePlaintext(), TLS files and setAuthorityOverride() apply to setTarget() only");
    }
    if (tlsFiles && plaintext) {
      throw new IllegalStateException("usePlaintext() and TLS files exclude each other");
    }
    return new UserClientSettings(this);
  }

  @SuppressWarnings("unchecked") // B is this class's own type: only this package's final subclasses exist
  private B self() {
    return (B) this;
  }
}
