/**
 * The service's implementation: the handlers ({@link io.github.usergrpc.user.service.internal.UserService}),
 * the watch fan-out ({@link io.github.usergrpc.user.service.internal.ActivityFeed}, {@link
 * io.github.usergrpc.user.service.internal.Watch}), the interceptors around them (request parsing, validation,
 * error details, watch headers), the mapping of store outcomes to AIP-193 statuses ({@link
 * io.github.usergrpc.user.service.internal.ErrorMapper}), page tokens, and the {@link
 * io.github.usergrpc.user.service.internal.LogThrottle} that the service and {@code user-server} log repeated
 * failures through.
 *
 * <p><b>Internal.</b> Public only so that {@code user-server} and {@code user-testkit} can assemble the service;
 * not part of the API and may change or go away in any release. Embed the service through {@code UserServer}
 * (or fake it with {@code FakeUserService}), not these classes.
 */
package io.github.usergrpc.user.service.internal;
