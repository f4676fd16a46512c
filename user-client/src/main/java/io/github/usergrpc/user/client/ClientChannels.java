package io.github.usergrpc.user.client;

import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The channel and credentials plumbing that a {@link UserClient} and its {@link UserClient#withTimeout} views
 * share: the two channels (one with gRPC's retry policy, one without, for calls that must not be repeated),
 * the interceptors and call credentials every call gets, the watch scheduler, and who owns and closes what.
 */
final class ClientChannels {
  final Channel retrying;
  final Channel once;
  final List<ManagedChannel> owned;
  final ScheduledExecutorService scheduler;
  final boolean ownsScheduler;
  final Executor callbackExecutor;
  final CallCredentials credentials;
  final boolean validateRequests;
  final boolean automaticRequestIds;
  final boolean waitForReady;
  final Duration watchInitialBackoff;
  final Duration watchMaxBackoff;
  final Map<String, Object> serviceConfig;
  final Set<ResumableWatch> watches = ConcurrentHashMap.newKeySet();
  final AtomicBoolean closed = new AtomicBoolean();

  ClientChannels(UserClient.Builder builder) {
    serviceConfig = ServiceConfigs.retrying(builder.retry, Optional.ofNullable(builder.hedging));
    List<ClientInterceptor> interceptors = new ArrayList<>();
    if (builder.headers != null) {
      interceptors.add(headerInterceptor(builder.headers));
    }
    if (builder.openTelemetry != null) {
      interceptors.addAll(ClientTracing.interceptors(builder.openTelemetry));
    }
    owned = new ArrayList<>();
    if (builder.channel != null) {
      Channel channel = ClientInterceptors.intercept(builder.channel, interceptors);
      retrying = channel;
      once = channel;
    } else {
      ManagedChannelBuilder<?> channelBuilder = builder.channelBuilder != null
          ? builder.channelBuilder
          : Grpc.newChannelBuilder(builder.target, builder.credentials());
      if (builder.loadBalancingPolicy != null) {
        channelBuilder.defaultLoadBalancingPolicy(builder.loadBalancingPolicy);
      }
      if (builder.authorityOverride != null) {
        channelBuilder.overrideAuthority(builder.authorityOverride);
      }
      ManagedChannel withRetries = channelBuilder.defaultServiceConfig(serviceConfig).enableRetry().build();
      // Calls that must not be repeated use a second channel: gRPC's retry policy is per method, not per
      // request, and an update without an etag is the same method as one with.
      ManagedChannel withoutRetries = channelBuilder.disableRetry().build();
      owned.add(withRetries);
      owned.add(withoutRetries);
      retrying = ClientInterceptors.intercept(withRetries, interceptors);
      once = ClientInterceptors.intercept(withoutRetries, interceptors);
    }
    ownsScheduler = builder.scheduler == null;
    scheduler = ownsScheduler ? Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "user-client-watch");
      thread.setDaemon(true);
      return thread;
    }) : builder.scheduler;
    callbackExecutor = builder.callbackExecutor;
    credentials = builder.bearerToken == null ? null : new BearerTokenCredentials(builder.bearerToken);
    validateRequests = builder.validateRequests;
    if (validateRequests) {
      LocalValidation.compileRules();
    }
    automaticRequestIds = builder.automaticRequestIds;
    waitForReady = builder.waitForReady;
    watchInitialBackoff = builder.watchInitialBackoff;
    watchMaxBackoff = builder.watchMaxBackoff;
  }

  CallOptions callOptions(CallOptions options) {
    if (callbackExecutor != null) {
      options = options.withExecutor(callbackExecutor);
    }
    if (credentials != null) {
      options = options.withCallCredentials(credentials);
    }
    return options;
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
