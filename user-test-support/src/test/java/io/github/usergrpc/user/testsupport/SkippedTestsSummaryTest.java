package io.github.usergrpc.user.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/** The summary of a real JUnit run over the fixture classes below (nested, so that surefire does not run them). */
class SkippedTestsSummaryTest {

  @Test
  void skippedTests_areCountedPerReasonAndClass_andPassingOnesAreNot() {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    SkippedTestsSummary summary =
        new SkippedTestsSummary(new PrintStream(printed, true, StandardCharsets.UTF_8), "some-module");
    // Without the listeners registered through META-INF/services, this one included: only `summary` listens.
    LauncherFactory.create(LauncherConfig.builder().enableTestExecutionListenerAutoRegistration(false).build())
        .execute(LauncherDiscoveryRequestBuilder.request()
            .selectors(selectClass(AbortsTwoOfThree.class), selectClass(AbortsTheClass.class),
                selectClass(DisablesOne.class))
            .build(), summary);

    assertThat(printed.toString(StandardCharsets.UTF_8).lines()).containsExactly(
        "[skipped] some-module: 4 tests (SkippedTestsSummaryTest$AbortsTheClass 2,"
            + " SkippedTestsSummaryTest$AbortsTwoOfThree 2): no database here; set DB_URL",
        "[skipped] some-module: 1 test (SkippedTestsSummaryTest$DisablesOne 1): not on Tuesdays");
  }

  @Test
  void nothingSkipped_printsNothing() {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    SkippedTestsSummary summary =
        new SkippedTestsSummary(new PrintStream(printed, true, StandardCharsets.UTF_8), "some-module");
    LauncherFactory.create(LauncherConfig.builder().enableTestExecutionListenerAutoRegistration(false).build())
        .execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(Passes.class)).build(), summary);

    assertThat(printed.toString(StandardCharsets.UTF_8)).isEmpty();
  }

  static class AbortsTwoOfThree {
    @Test
    void first() {
      Assumptions.abort("no database here;\n set DB_URL");
    }

    @Test
    void second() {
      Assumptions.abort("no database here; set DB_URL");
    }

    @Test
    void third() {}
  }

  static class AbortsTheClass {
    @BeforeAll
    static void connect() {
      Assumptions.abort("no database here; set DB_URL");
    }

    @Test
    void first() {}

    @Test
    void second() {}
  }

  static class DisablesOne {
    @Test
    @Disabled("not on Tuesdays")
    void disabled() {}

    @Test
    void enabled() {}
  }

  static class Passes {
    @Test
    void passes() {}
  }
}
