package io.github.usergrpc.user.client;

import io.github.usergrpc.user.v1.UserResponse;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.stream.Stream;

/**
 * The result of a paged ListUsers call: its first page ({@link #getPage()}), and every user from there on,
 * fetched lazily page by page ({@link #iterateAll()}, {@link #streamAll()}). Returned by
 * {@link UserClient#listUsersPaged} and {@link UserClient#listUsersPagedAsync}; modelled on gax-java's
 * {@code PagedListResponse}.
 *
 * <pre>{@code
 * ListUsersRequest admins = ListUsersRequest.newBuilder().setRoleFilter("admin").setLimit(100).build();
 * for (UserResponse user : users.listUsersPaged(admins).iterateAll()) { ... }  // blocks per page
 *
 * users.listUsersPagedAsync(admins).thenAccept(response -> show(response.getPage().getValues()));
 * }</pre>
 *
 * <p>Immutable and thread-safe; the iterators it returns are not thread-safe.
 */
public final class ListUsersPagedResponse {

  private final ListUsersPage page;

  ListUsersPagedResponse(ListUsersPage page) {
    this.page = page;
  }

  /** Returns the first page: its users, its response and the way to the next page. */
  public ListUsersPage getPage() {
    return page;
  }

  /**
   * Returns every user, fetched lazily: the first page is already here, each further page is fetched
   * (blocking) when an iterator has used up the one before, so an iteration that stops early costs only the
   * pages it read. Each iterator starts again at the first page. A failed page throws its
   * {@link UserServiceException} from {@code hasNext()}.
   *
   * @return the users, newest first
   */
  public Iterable<UserResponse> iterateAll() {
    return page.iterateAll();
  }

  /**
   * Returns every user as a sequential stream, fetched lazily as {@link #iterateAll()} does.
   *
   * @return the users, newest first
   */
  public Stream<UserResponse> streamAll() {
    return page.streamAll();
  }

  /**
   * Returns the pages, the first and then each next one, fetched lazily: {@code hasNext()} fetches the
   * next page (blocking) once the one before has been returned, and throws its {@link UserServiceException}
   * if that fails. Each iterator starts again at the first page.
   *
   * @return the pages
   */
  public Iterable<ListUsersPage> iteratePages() {
    return () -> new Iterator<>() {
      private ListUsersPage returned;
      private ListUsersPage pending = page;

      @Override
      public boolean hasNext() {
        if (pending == null && returned != null && returned.hasNextPage()) {
          pending = returned.getNextPage();
        }
        return pending != null;
      }

      @Override
      public ListUsersPage next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        returned = pending;
        pending = null;
        return returned;
      }
    };
  }

  /** Returns the token of the page after the first, or an empty string if the first page is the last. */
  public String getNextPageToken() {
    return page.getNextPageToken();
  }

  @Override
  public String toString() {
    return "ListUsersPagedResponse{" + page + "}";
  }
}
