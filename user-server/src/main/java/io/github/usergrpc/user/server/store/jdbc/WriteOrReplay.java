package io.github.usergrpc.user.server.store.jdbc;

import static java.util.Objects.requireNonNull;

import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * How CreateUser and RecordActivity keep their request ids: write first, and look the request id up only when
 * a unique index rejects the write, to answer as the earlier call with that id did. A retried call collides on
 * its request id, and the common call, without one or with a new one, costs no read.
 *
 * <p>The request id that collided may be gone when it is looked up: {@link ActivityPruner} deleted it in
 * between, as it is past what user.proto promises to remember. The write then runs once more, as a new call.
 * Without that, the call failed with "duplicate key" (ActivityRetentionTest, in CI).
 */
final class WriteOrReplay {

  /** The first write, and the one after a request id that was gone when looked up. */
  private static final int ATTEMPTS = 2;

  private final Consumer<String> beforeLookUp;

  /**
   * Creates the helper of one store.
   *
   * @param beforeLookUp runs with the request id between a rejected write and its look-up: nothing in the
   *     server; tests delete the request there, as the pruner may
   */
  WriteOrReplay(Consumer<String> beforeLookUp) {
    this.beforeLookUp = requireNonNull(beforeLookUp, "beforeLookUp");
  }

  /**
   * Runs {@code write}; when it throws {@link DuplicateKeyException} and there is a request id, returns what
   * {@code earlier} finds for the id, if anything. Otherwise {@code refuse} sees the exception, to throw what
   * writing again cannot fix (a taken email); if it returns, the write runs once more.
   *
   * @param write the write, which stores the request id, when present, with what it writes
   * @param earlier the answer to the earlier call with the request id, read in a transaction of its own
   *     (throws {@link io.github.usergrpc.user.service.store.RequestIdReusedException} if that call differed);
   *     empty if no call with it is kept
   * @param refuse throws the store's exception for a violation that is not of the request id, if any
   * @throws DuplicateKeyException when neither a look-up nor a second write helped, or there is no request id
   */
  <T> T run(Optional<String> requestId, Supplier<T> write, Function<String, Optional<T>> earlier,
      Consumer<DuplicateKeyException> refuse) {
    for (int attempt = 1; ; attempt++) {
      try {
        return write.get();
      } catch (DuplicateKeyException e) {
        if (requestId.isPresent()) {
          beforeLookUp.accept(requestId.get());
          Optional<T> answer = earlier.apply(requestId.get());
          if (answer.isPresent()) {
            return answer.get();
          }
        }
        refuse.accept(e);
        if (requestId.isEmpty() || attempt == ATTEMPTS) {
          throw e;
        }
      }
    }
  }
}
