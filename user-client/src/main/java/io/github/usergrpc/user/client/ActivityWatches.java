package io.github.usergrpc.user.client;

import static java.util.Objects.requireNonNull;

import io.github.usergrpc.user.v1.ActivityEvent;
import io.grpc.CallOptions;
import java.util.concurrent.Flow;

/**
 * Opens the {@link ResumableWatch resumable watches} of a client, for its two shapes: an
 * {@link ActivityListener} that gets every event as soon as it arrives, and a {@link Flow.Publisher} whose
 * subscribers ask for events as they go. Each watch is registered with the client's {@link ClientChannels}
 * while it runs, so that closing the client stops it.
 */
final class ActivityWatches {

  private final ClientChannels resources;

  ActivityWatches(ClientChannels resources) {
    this.resources = resources;
  }

  /** Starts a watch that delivers to {@code listener} with unbounded demand; see {@link UserClient#watchActivity}. */
  WatchHandle watch(String userId, long resumeAfter, ActivityListener listener) {
    ResumableWatch watch = open(userId, resumeAfter, requireNonNull(listener, "listener"));
    watch.request(Long.MAX_VALUE);
    return watch;
  }

  /** Returns a publisher that opens a watch per subscriber; see {@link UserClient#activityPublisher}. */
  Flow.Publisher<ActivityEvent> publisher(String userId, long resumeAfter) {
    requireNonNull(userId, "userId");
    return subscriber -> {
      requireNonNull(subscriber, "subscriber");
      ResumableWatch watch = open(userId, resumeAfter, new ActivityListener() {
        @Override
        public void onEvent(ActivityEvent event) {
          subscriber.onNext(event);
        }

        @Override
        public void onCompleted() {
          subscriber.onComplete();
        }

        @Override
        public void onError(UserServiceException error) {
          subscriber.onError(error);
        }
      });
      subscriber.onSubscribe(new Flow.Subscription() {
        @Override
        public void request(long n) {
          if (n <= 0) {
            watch.cancel();
            subscriber.onError(new IllegalArgumentException("n: " + n + " (expected: > 0, rule 3.9)"));
            return;
          }
          watch.request(n);
        }

        @Override
        public void cancel() {
          watch.cancel();
        }
      });
    };
  }

  /** Creates a watch, not yet started, that leaves the client's set of watches when it ends. */
  private ResumableWatch open(String userId, long resumeAfter, ActivityListener sink) {
    requireNonNull(userId, "userId");
    if (resumeAfter < 0) {
      throw new IllegalArgumentException("resumeAfter: " + resumeAfter + " (expected: >= 0)");
    }
    resources.checkOpen();
    ResumableWatch[] self = new ResumableWatch[1];
    CallOptions options = resources.callOptions(CallOptions.DEFAULT);
    if (resources.settings.waitForReady()) {
      options = options.withWaitForReady();
    }
    ResumableWatch watch = new ResumableWatch(resources.retrying, options, resources.scheduler,
        resources.settings.watchInitialBackoff(), resources.settings.watchMaxBackoff(), userId, resumeAfter,
        new ActivityListener() {
          @Override
          public void onEvent(ActivityEvent event) {
            sink.onEvent(event);
          }

          @Override
          public void onCompleted() {
            resources.watches.remove(self[0]);
            sink.onCompleted();
          }

          @Override
          public void onError(UserServiceException error) {
            resources.watches.remove(self[0]);
            sink.onError(error);
          }
        }, resources.settings.validateRequests());
    self[0] = watch;
    resources.watches.add(watch);
    return watch;
  }
}
