package io.github.usergrpc.user.client;

import io.github.usergrpc.user.v1.UserResponse;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Walks the users of a page and the pages after it: fetches the next page (blocking) only when the current
 * one is used up, skipping empty pages. Not thread-safe.
 */
final class PageIterator implements Iterator<UserResponse> {
  private ListUsersPage page;
  private Iterator<UserResponse> users;

  PageIterator(ListUsersPage first) {
    this.page = first;
    this.users = first.getValues().iterator();
  }

  @Override
  public boolean hasNext() {
    while (!users.hasNext() && page.hasNextPage()) {
      page = page.getNextPage();
      users = page.getValues().iterator();
    }
    return users.hasNext();
  }

  @Override
  public UserResponse next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return users.next();
  }
}
