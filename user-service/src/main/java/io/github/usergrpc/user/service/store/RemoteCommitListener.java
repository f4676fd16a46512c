package io.github.usergrpc.user.service.store;

import java.util.Set;

/**
 * Hears that other server processes on the same database committed activity: what a store that is told of
 * such commits (PostgreSQL, through LISTEN/NOTIFY) passes to {@link UserStore#addRemoteCommitListener}. It is a
 * wake-up only: the events themselves are read from the store, as after a local commit.
 *
 * <p>Methods are called by one thread of the store at a time; they must return quickly, must not block and
 * must not throw.
 */
public interface RemoteCommitListener {

  /**
   * Another process committed events of these users.
   *
   * @param userIds the users, at least one
   */
  void onCommitted(Set<String> userIds);

  /**
   * Other processes may have committed events of any user, and the store cannot name them: after it lost and
   * regained its connection to the database (wake-ups sent meanwhile are lost), or when one wake-up would have
   * named too many users. A reader then looks at every user it follows.
   */
  void onAnyCommitted();
}
