/**
 * Where the server keeps users and their activity log: the {@link io.github.usergrpc.user.service.store.UserStore}
 * interface with its value types ({@link io.github.usergrpc.user.service.store.User}, {@link
 * io.github.usergrpc.user.service.store.NewUser}, {@link io.github.usergrpc.user.service.store.UserChanges},
 * {@link io.github.usergrpc.user.service.store.PageCursor}, {@link
 * io.github.usergrpc.user.service.store.ActivityRecord}), the outcomes a store reports as subclasses of
 * {@link io.github.usergrpc.user.service.store.StoreException}, the {@link
 * io.github.usergrpc.user.service.store.InMemoryUserStore} and the {@link
 * io.github.usergrpc.user.service.store.ForwardingUserStore} base for decorators. The JDBC store is in the
 * {@code jdbc} subpackage.
 *
 * <p><b>Public API.</b> A {@code UserStore} is what {@code UserServer.Builder.setStore} takes; the types here are
 * kept backward compatible.
 */
package io.github.usergrpc.user.service.store;
