package io.github.usergrpc.user.testsupport;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestSource;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Prints, when a module's tests have run, which tests were skipped and why: one line per reason, such as
 *
 * <pre>
 * [skipped] user-server: 43 tests (MultiServerPostgresTest 1, PostgresUserStoreTest 40, ...): PostgreSQL is
 * not reachable at jdbc:postgresql://127.0.0.1:1/test as postgres (...). Skipping; set REQUIRE_POSTGRES=true ...
 * </pre>
 *
 * <p>The reason is the message of the {@code Assumptions} call that aborted the test (or its class), or the
 * reason JUnit gives for a disabled one. Nothing is printed when nothing was skipped.
 *
 * <p>Registered with {@code META-INF/services}, so every module whose tests have this jar on their class path
 * gets it. It writes to the JVM's own standard error, not {@link System#err}: surefire captures
 * {@code System.out} and {@code System.err} of its test JVM into the report files, and prints that JVM's
 * standard error on the console.
 */
public final class SkippedTestsSummary implements TestExecutionListener {

  /** Reason, then test class (simple name), then how many of its tests were skipped for it; in order seen. */
  private final Map<String, Map<String, Integer>> skipped = new LinkedHashMap<>();
  /** Where the summary goes; null for the JVM's standard error. */
  private final PrintStream out;
  private final String module;
  private TestPlan plan;

  /** Creates the listener; the JUnit Platform does, through {@code ServiceLoader}. */
  public SkippedTestsSummary() {
    this(null, moduleDirectory());
  }

  /** Creates a listener that prints to {@code out}, naming the tests' module {@code module}. */
  SkippedTestsSummary(PrintStream out, String module) {
    this.out = out;
    this.module = module;
  }

  @Override
  public void testPlanExecutionStarted(TestPlan testPlan) {
    plan = testPlan;
    skipped.clear();
  }

  @Override
  public void executionSkipped(TestIdentifier identifier, String reason) {
    record(identifier, reason);
  }

  @Override
  public void executionFinished(TestIdentifier identifier, TestExecutionResult result) {
    if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
      record(identifier, result.getThrowable().map(Throwable::getMessage).orElse(null));
    }
  }

  @Override
  public void testPlanExecutionFinished(TestPlan testPlan) {
    if (skipped.isEmpty()) {
      return;
    }
    // Not closed: closing it would close the JVM's standard error.
    PrintStream console = out != null
        ? out
        : new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
    for (String line : lines()) {
      console.println(line);
    }
    console.flush();
  }

  /** Returns the summary, one line per reason. */
  private List<String> lines() {
    List<String> lines = new ArrayList<>();
    skipped.forEach((reason, classes) -> {
      int tests = classes.values().stream().mapToInt(Integer::intValue).sum();
      List<String> counts = new ArrayList<>();
      classes.forEach((name, count) -> counts.add(name + " " + count));
      lines.add("[skipped] " + module + ": " + tests + (tests == 1 ? " test" : " tests") + " ("
          + String.join(", ", counts) + "): " + reason);
    });
    return lines;
  }

  /**
   * Counts the tests under {@code identifier} (itself if it is a test; the tests of a class whose set-up
   * aborted) as skipped for {@code reason}.
   */
  private void record(TestIdentifier identifier, String reason) {
    String why = reason == null || reason.isBlank() ? "(no reason given)" : reason.strip().replaceAll("\\s+", " ");
    long tests = identifier.isTest() || plan == null
        ? 1
        : plan.getDescendants(identifier).stream().filter(TestIdentifier::isTest).count();
    skipped.computeIfAbsent(why, r -> new TreeMap<>())
        .merge(className(identifier), (int) Math.max(1, tests), Integer::sum);
  }

  private static String className(TestIdentifier identifier) {
    Optional<TestSource> source = identifier.getSource();
    String name = source.filter(MethodSource.class::isInstance).map(s -> ((MethodSource) s).getClassName())
        .or(() -> source.filter(ClassSource.class::isInstance).map(s -> ((ClassSource) s).getClassName()))
        .orElse(identifier.getDisplayName());
    return name.substring(name.lastIndexOf('.') + 1);
  }

  /** Returns the module's directory name: surefire runs the tests in the module's directory. */
  private static String moduleDirectory() {
    Path dir = Path.of(System.getProperty("user.dir")).getFileName();
    return dir == null ? "tests" : dir.toString();
  }
}
