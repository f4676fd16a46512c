/**
 * The Java client of the UserService: {@link io.github.usergrpc.user.client.UserClient}, a facade that
 * returns every RPC as a {@code CompletableFuture}, with its settings ({@link
 * io.github.usergrpc.user.client.UserClientSettings} and the setters they share with {@code UserClient.Builder},
 * {@link io.github.usergrpc.user.client.ClientSettingsBuilder}; {@link
 * io.github.usergrpc.user.client.RetrySettings}, {@link io.github.usergrpc.user.client.HedgingSettings}), the
 * paged ListUsers results ({@link io.github.usergrpc.user.client.ListUsersPagedResponse}, {@link
 * io.github.usergrpc.user.client.ListUsersPage}), the watch types ({@link
 * io.github.usergrpc.user.client.ActivityListener}, {@link io.github.usergrpc.user.client.WatchHandle}) and the
 * exceptions a call fails with, rooted at {@link io.github.usergrpc.user.client.UserServiceException}.
 *
 * <p><b>Public API.</b> Every public type here is kept backward compatible. The package-private types (request
 * validation, the service config, the resumable watch and the watches' adapters, the page iterator, the call
 * and credentials plumbing) are the implementation and may change in any release.
 */
package io.github.usergrpc.user.client;
