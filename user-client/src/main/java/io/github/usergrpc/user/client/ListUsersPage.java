package io.github.usergrpc.user.client;

import io.github.usergrpc.user.v1.ListUsersRequest;
import io.github.usergrpc.user.v1.ListUsersResponse;
import io.github.usergrpc.user.v1.UserResponse;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * One page of a ListUsers listing: the request that fetched it, the server's response, and the way to the
 * next page through {@code next_page_token} (AIP-158), synchronously ({@link #getNextPage()}) or
 * asynchronously ({@link #getNextPageAsync()}). Modelled on gax-java's {@code Page}. Immutable and
 * thread-safe; the iterators it returns are not thread-safe.
 *
 * <p>The next page's request is this page's request with {@code page_token} set to the next page token and
 * {@code page} cleared, so it keeps {@code limit} (the page size) and {@code role_filter}. Each page is
 * fetched with the deadline, retries and validation of {@link UserClient#listUsers(ListUsersRequest)}.
 */
public final class ListUsersPage {

  /** What the client's iterators and streams report: users come newest first, each once. */
  static final int CHARACTERISTICS = Spliterator.ORDERED | Spliterator.NONNULL | Spliterator.DISTINCT;

  private final ListUsersRequest request;
  private final ListUsersResponse response;
  private final Function<ListUsersRequest, CompletableFuture<ListUsersResponse>> listUsers;

  private ListUsersPage(ListUsersRequest request, ListUsersResponse response,
      Function<ListUsersRequest, CompletableFuture<ListUsersResponse>> listUsers) {
    this.request = request;
    this.response = response;
    this.listUsers = listUsers;
  }

  /**
   * Fetches the page that {@code request} asks for and turns it into {@code T}. Cancelling the returned
   * future cancels the call on the wire, as cancelling {@link UserClient#listUsers}'s future does.
   */
  static <T> CompletableFuture<T> fetch(ListUsersRequest request,
      Function<ListUsersRequest, CompletableFuture<ListUsersResponse>> listUsers, Function<ListUsersPage, T> as) {
    CompletableFuture<ListUsersResponse> call = listUsers.apply(request);
    CompletableFuture<T> result = new CompletableFuture<>() {
      @Override
      public boolean cancel(boolean mayInterruptIfRunning) {
        boolean cancelled = super.cancel(mayInterruptIfRunning);
        if (cancelled) {
          call.cancel(mayInterruptIfRunning);
        }
        return cancelled;
      }
    };
    // The callback completes result whatever happens, its own failure included: the future whenComplete
    // returns has nothing to add.
    var unused = call.whenComplete((response, failure) -> {
      if (failure != null) {
        result.completeExceptionally(
            failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure);
      } else {
        try {
          result.complete(as.apply(new ListUsersPage(request, response, listUsers)));
        } catch (RuntimeException e) {
          result.completeExceptionally(e);
        }
      }
    });
    return result;
  }

  /** Waits for a page future and returns its value, throwing what it failed with (not wrapped). */
  static <T> T join(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException cause ? cause : e;
    }
  }

  /** Returns the request that fetched this page. */
  public ListUsersRequest getRequest() {
    return request;
  }

  /** Returns the server's response: the users of this page, {@code next_page_token}, and {@code total}. */
  public ListUsersResponse getResponse() {
    return response;
  }

  /** Returns the users of this page, newest first; possibly fewer than the page size, or none. */
  public List<UserResponse> getValues() {
    return response.getUsersList();
  }

  /** Returns the token of the next page, or an empty string if this is the last page. */
  public String getNextPageToken() {
    return response.getNextPageToken();
  }

  /** Tells whether there is a page after this one (its {@code next_page_token} is not empty). */
  public boolean hasNextPage() {
    return !response.getNextPageToken().isEmpty();
  }

  /**
   * Fetches the next page, blocking until it arrives. Check {@link #hasNextPage()} first.
   *
   * @return the next page
   * @throws NoSuchElementException if this is the last page
   * @throws UserServiceException (a subclass of it) if the call fails
   */
  public ListUsersPage getNextPage() {
    return join(getNextPageAsync());
  }

  /**
   * Fetches the next page without blocking. Check {@link #hasNextPage()} first. The future fails with the
   * {@link UserServiceException} the call fails with; cancelling it cancels the call.
   *
   * @return the next page, when it arrives
   * @throws NoSuchElementException if this is the last page
   */
  public CompletableFuture<ListUsersPage> getNextPageAsync() {
    if (!hasNextPage()) {
      throw new NoSuchElementException("this is the last page (next_page_token is empty)");
    }
    return fetch(nextRequest(), listUsers, Function.identity());
  }

  /**
   * Returns the users of this page and of every page after it, fetched lazily: the next page is fetched
   * (blocking) when an iterator has used up the one before, so an iteration that stops early costs only the
   * pages it read. Each iterator starts again at this page. A failed page throws its
   * {@link UserServiceException} from {@code hasNext()}.
   *
   * @return the users, newest first
   */
  public Iterable<UserResponse> iterateAll() {
    return new Iterable<>() {
      @Override
      public Iterator<UserResponse> iterator() {
        return new PageIterator(ListUsersPage.this);
      }

      @Override
      public Spliterator<UserResponse> spliterator() {
        return Spliterators.spliteratorUnknownSize(iterator(), CHARACTERISTICS);
      }
    };
  }

  /**
   * Returns the users of this page and every page after it as a sequential stream, fetched lazily as
   * {@link #iterateAll()} does.
   *
   * @return the users, newest first
   */
  public Stream<UserResponse> streamAll() {
    return StreamSupport.stream(iterateAll().spliterator(), false);
  }

  private ListUsersRequest nextRequest() {
    return request.toBuilder().setPage(0).setPageToken(response.getNextPageToken()).build();
  }

  @Override
  public String toString() {
    return "ListUsersPage{users=" + response.getUsersCount() + ", nextPageToken="
        + (hasNextPage() ? "present" : "none") + "}";
  }
}
