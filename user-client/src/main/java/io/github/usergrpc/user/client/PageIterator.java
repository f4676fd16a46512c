package io.github.usergrpc.user.client;

import io.github.usergrpc.user.v1.ListUsersRequest;
import io.github.usergrpc.user.v1.ListUsersResponse;
import io.github.usergrpc.user.v1.UserResponse;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/** Walks next_page_token lazily: fetches the next page when the current one is used up. */
final class PageIterator implements Iterator<UserResponse> {
  private ListUsersRequest next;
  private Iterator<UserResponse> page = List.<UserResponse>of().iterator();
  private final Function<ListUsersRequest, CompletableFuture<ListUsersResponse>> listUsers;

  PageIterator(ListUsersRequest first,
      Function<ListUsersRequest, CompletableFuture<ListUsersResponse>> listUsers) {
    this.next = first.toBuilder().setPage(0).build();
    this.listUsers = listUsers;
  }

  @Override
  public boolean hasNext() {
    while (!page.hasNext() && next != null) {
      ListUsersResponse response;
      try {
        response = listUsers.apply(next).join();
      } catch (CompletionException e) {
        throw e.getCause() instanceof RuntimeException cause ? cause : e;
      }
      page = response.getUsersList().iterator();
      next = response.getNextPageToken().isEmpty() ? null
          : next.toBuilder().setPageToken(response.getNextPageToken()).build();
    }
    return page.hasNext();
  }

  @Override
  public UserResponse next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return page.next();
  }
}
