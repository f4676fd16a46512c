package io.github.usergrpc.user.service.store;

import java.util.function.Function;

/**
 * A store that can hand over everything it holds, to move it to another store ({@code user-server export}):
 * users, remembered CreateUser request ids, and the retained activity log with its sequences and its
 * positions. Not the page-token secret ({@link UserStore#secretKey()}): page tokens are opaque and
 * short-lived, and the target store keeps its own.
 *
 * <p>Kept apart from {@link UserStore}, which is what the service needs; {@link InMemoryUserStore} and
 * {@code JdbcUserStore} implement both.
 */
public interface StoreExport {

  /**
   * Reads the whole store as one consistent snapshot, with writers left running: first its summary, given
   * to {@code begin}, then every record, given to the sink {@code begin} returned, in the order
   * {@link ContentsSink} describes. Memory is bounded: records are read and handed over as they come.
   *
   * @param begin receives the summary and returns where the records go
   * @throws StoreUnavailableException if the store cannot be reached
   */
  void exportTo(Function<StoreSummary, ContentsSink> begin);
}
