/**
 * What every module's tests share through the build, not through a published artifact: {@link
 * io.github.usergrpc.user.testsupport.SkippedTestsSummary}, which ends each module's test run with the tests
 * that were skipped and why.
 *
 * <p><b>Internal.</b> Not published; used only by this repository's own builds.
 */
package io.github.usergrpc.user.testsupport;
