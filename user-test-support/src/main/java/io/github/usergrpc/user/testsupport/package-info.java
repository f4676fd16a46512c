/**
 * What every module's tests share through the build, not through a published artifact: {@link
 * io.github.usergrpc.user.testsupport.SkippedTestsSummary}, which ends each module's test run with the tests
 * that were skipped and why, and {@link io.github.usergrpc.user.testsupport.GrpcCleanup}, which closes what a
 * test started (servers, channels, clients) and fails a test that leaks one, and {@link
 * io.github.usergrpc.user.testsupport.LoopbackHttp}, the HTTP client of the tests that call an HTTP port
 * without TLS.
 *
 * <p><b>Internal.</b> Not published; used only by this repository's own builds.
 */
package io.github.usergrpc.user.testsupport;
