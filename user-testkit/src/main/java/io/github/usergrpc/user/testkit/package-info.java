/**
 * Testing code that calls the UserService: {@link io.github.usergrpc.user.testkit.FakeUserService}, the real
 * service in-process on an in-memory store with faults to script and a record of the calls it received
 * ({@link io.github.usergrpc.user.testkit.RecordedCalls}, each a
 * {@link io.github.usergrpc.user.testkit.RecordedCall}); {@link io.github.usergrpc.user.testkit.FakeUserServiceExtension}
 * to run one in JUnit 5 tests; and {@link io.github.usergrpc.user.testkit.UserServiceContractTest}, the
 * behaviour suite any implementation of the service can run.
 *
 * <p><b>Public API.</b> The public types here are kept backward compatible; the package-private types (call
 * log, faults, the fake's store) are the implementation.
 */
package io.github.usergrpc.user.testkit;
