package io.github.usergrpc.user.server;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/** What a failed future failed with, for tests of asynchronous APIs. */
public final class Futures {

  private Futures() {}

  /**
   * Waits for {@code future} and returns the exception it failed with; fails the test if it succeeded.
   *
   * @param future the future expected to fail
   * @return its cause of failure, unwrapped from the {@link CompletionException}
   */
  public static Throwable failureOf(CompletableFuture<?> future) {
    try {
      future.join();
    } catch (CompletionException e) {
      return e.getCause();
    }
    throw new AssertionError("expected the future to fail, it completed");
  }

  /**
   * Makes a call that returns a future, or waits for one inside, and returns what it failed with.
   *
   * @param call makes the call, and may join its future itself
   * @return its cause of failure, unwrapped from the {@link CompletionException}
   */
  public static Throwable failureOf(Supplier<?> call) {
    try {
      Object result = call.get();
      if (result instanceof CompletableFuture<?> future) {
        return failureOf(future);
      }
    } catch (CompletionException e) {
      return e.getCause();
    }
    throw new AssertionError("expected the call to fail, it succeeded");
  }
}
