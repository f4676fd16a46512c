package io.github.usergrpc.user.client;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Message;
import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The channel and credentials plumbing that a {@link UserClient} and its {@link UserClient#withTimeout} views
 * share, built from its {@link UserClientSettings}: the two channels (one with gRPC's retry policy, one
 * without, for calls that must not be repeated), the interceptors and call credentials every call gets, how
 * a unary call starts on them, the watch scheduler, and who owns and closes what.
 */
final class ClientChannels {
  final UserClientSettings settings;
  final Channel retrying;
  final Channel once;
  final List<ManagedChannel> owned;
  final ScheduledExecutorService scheduler;
  final boolean ownsScheduler;
  final CallCredentials credentials;
  final Map<String, Object> serviceConfig;
  final Set<ResumableWatch> watches = ConcurrentHashMap.newKeySet();
  final AtomicBoolean closed = new AtomicBoolean();

  ClientChannels(UserClientSettings settings) {
    this.settings = settings;
    serviceConfig = ServiceConfigs.retrying(settings.retrySettings(), settings.hedging());
    List<ClientInterceptor> interceptors = new ArrayList<>();
    settings.headers().ifPresent(headers -> interceptors.add(headerInterceptor(headers)));
    settings.openTelemetry().ifPresent(otel -> interceptors.addAll(ClientTracing.interceptors(otel)));
    owned = new ArrayList<>();
    if (settings.channel().isPresent()) {
      Channel channel = ClientInterceptors.intercept(settings.channel().get(), interceptors);
      retrying = channel;
      once = channel;
    } else {
      ManagedChannelBuilder<?> channelBuilder = settings.channelBuilder().isPresent()
          ? settings.channelBuilder().get()
          : Grpc.newChannelBuilder(settings.target().orElseThrow(), channelCredentials(settings));
      settings.loadBalancingPolicy().ifPresent(channelBuilder::defaultLoadBalancingPolicy);
      settings.authorityOverride().ifPresent(channelBuilder::overrideAuthority);
      ManagedChannel withRetries = channelBuilder.defaultServiceConfig(serviceConfig).enableRetry().build();
      // Calls that must not be repeated use a second channel: gRPC's retry policy is per method, not per
      // request, and an update without an etag is the same method as one with.
      ManagedChannel withoutRetries = channelBuilder.disableRetry().build();
      owned.add(withRetries);
      owned.add(withoutRetries);
      retrying = ClientInterceptors.intercept(withRetries, interceptors);
      once = ClientInterceptors.intercept(withoutRetries, interceptors);
    }
    ownsScheduler = settings.scheduler().isEmpty();
    scheduler = settings.scheduler().orElseGet(() -> Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "user-client-watch");
      thread.setDaemon(true);
      return thread;
    }));
    credentials = settings.bearerToken().map(BearerTokenCredentials::new).orElse(null);
    if (settings.validateRequests()) {
      LocalValidation.compileRules();
    }
  }

  /** Returns the credentials of a target's channel: plaintext, or TLS with the settings' files. */
  static ChannelCredentials channelCredentials(UserClientSettings settings) {
    if (settings.plaintext()) {
      return InsecureChannelCredentials.create();
    }
    try {
      TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder();
      if (settings.trustedCertificates().isPresent()) {
        tls.trustManager(settings.trustedCertificates().get().toFile());
      }
      if (settings.clientCertificateChain().isPresent()) {
        tls.keyManager(settings.clientCertificateChain().get().toFile(),
            settings.clientPrivateKey().orElseThrow().toFile());
      }
      return tls.build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the TLS files", e);
    }
  }

  CallOptions callOptions(CallOptions options) {
    if (settings.callbackExecutor().isPresent()) {
      options = options.withExecutor(settings.callbackExecutor().get());
    }
    if (credentials != null) {
      options = options.withCallCredentials(credentials);
    }
    return options;
  }

  /**
   * Starts a unary call: validates the request locally (if on), fixes the deadline now, when the call starts
   * (never on a stub kept across calls), and sends it on the channel with retries only when it is safe to
   * repeat.
   */
  <ReqT extends Message, RespT> CompletableFuture<RespT> unary(MethodDescriptor<ReqT, RespT> method,
      Duration timeout, ReqT request, boolean safeToRetry) {
    requireNonNull(request, "request");
    if (settings.validateRequests()) {
      Optional<InvalidArgumentException> invalid = LocalValidation.check(request);
      if (invalid.isPresent()) {
        return CompletableFuture.failedFuture(invalid.get());
      }
    }
    checkOpen();
    CallOptions options = callOptions(CallOptions.DEFAULT.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS));
    if (safeToRetry && settings.waitForReady()) {
      // While the channel reconnects (a server restart), wait for it within the deadline instead of failing.
      options = options.withWaitForReady();
    }
    return UnaryCall.start(safeToRetry ? retrying : once, method, options, request);
  }

  void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("the client is closed");
    }
  }

  void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (ResumableWatch watch : watches) {
      watch.cancel();
    }
    owned.forEach(ManagedChannel::shutdown);
    try {
      // One grace period for all channels, as close() promises, not one per channel.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      for (ManagedChannel channel : owned) {
        if (!channel.awaitTermination(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
          channel.shutdownNow();
        }
      }
    } catch (InterruptedException e) {
      owned.forEach(ManagedChannel::shutdownNow);
      Thread.currentThread().interrupt();
    }
    if (ownsScheduler) {
      scheduler.shutdownNow();
    }
  }

  private static ClientInterceptor headerInterceptor(Supplier<Metadata> headers) {
    return new ClientInterceptor() {
      @Override
      public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
          CallOptions callOptions, Channel next) {
        return new SimpleForwardingClientCall<>(next.newCall(method, callOptions)) {
          @Override
          public void start(Listener<RespT> responseListener, Metadata requestHeaders) {
            requestHeaders.merge(headers.get());
            super.start(responseListener, requestHeaders);
          }
        };
      }
    };
  }
}
