package io.github.usergrpc.user.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.inprocess.InProcessChannelBuilder;
import java.io.File;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * A consumer that issues each call from the completion of the one before must not grow gRPC's
 * {@link io.grpc.Context} with every call. gRPC replaces its context storage with any class named
 * {@code io.grpc.override.ContextStorageOverride} on the class path; OpenTelemetry's gRPC instrumentation
 * ships one, which adds a context level per chained call until gRPC logs "Context ancestry chain length is
 * abnormally long" (SEVERE, at 1000 levels) and the chain keeps growing.
 *
 * <p>This module's own tests have that jar on their class path (the server's tracing needs it), so the calls
 * run in a class loader that holds user-client's runtime class path as Maven resolves it for a consumer
 * ({@code dependency:build-classpath}, see the pom), the in-process transport, and this module's test classes
 * ({@link ChainedCalls}, {@link TracedCallback}).
 */
class ChainedCallsTest {

  /**
   * Enough chained calls to pass gRPC's warning threshold (1000 levels) with the override: 3,000 such calls
   * reached 1,846 to 2,251 levels in three runs (a level for most calls, not every one).
   */
  private static final int CALLS = 3_000;

  private final Logger contextLog = Logger.getLogger("io.grpc.Context");
  private final List<LogRecord> severe = new CopyOnWriteArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord record) {
      if (record.getLevel().intValue() >= Level.SEVERE.intValue()) {
        severe.add(record);
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  @Test
  void chainedCalls_onAConsumersClassPath_doNotGrowTheGrpcContext() throws Exception {
    contextLog.addHandler(capture);
    try (URLClassLoader consumer = consumerClassLoader()) {
      try {
        consumer.loadClass(ChainedCalls.class.getName()).getMethod("run", int.class).invoke(null, CALLS);
      } catch (InvocationTargetException e) {
        throw new AssertionError("the chain of calls failed", e.getCause());
      }
      assertThat(severe).as("SEVERE records of io.grpc.Context").extracting(LogRecord::getMessage).isEmpty();
      assertThat(consumer.getResource("io/grpc/override/ContextStorageOverride.class"))
          .as("gRPC's context storage override on user-client's runtime class path").isNull();
    } finally {
      contextLog.removeHandler(capture);
    }
  }

  /**
   * Without the override, nothing carries OpenTelemetry's context along with gRPC's: the client itself sends
   * the caller's trace and runs the call's callbacks in the caller's context. (This module's own JVM has the
   * override, which would do both for it.)
   */
  @Test
  void tracedCall_onAConsumersClassPath_sendsTheCallersTrace_andCallsBackInItsContext() throws Exception {
    List<?> seen;
    try (URLClassLoader consumer = consumerClassLoader()) {
      try {
        seen = (List<?>) consumer.loadClass(TracedCallback.class.getName()).getMethod("run").invoke(null);
      } catch (InvocationTargetException e) {
        throw new AssertionError("the traced call failed", e.getCause());
      }
    }

    assertThat(seen.get(0)).as("the traceparent the server received")
        .isEqualTo("00-" + TracedCallback.TRACE_ID + "-" + TracedCallback.SPAN_ID + "-01");
    assertThat(seen.get(1)).as("the span current in the callback").isEqualTo(TracedCallback.SPAN_ID);
  }

  private static URLClassLoader consumerClassLoader() throws IOException, ClassNotFoundException {
    String location = System.getProperty("user-client.runtimeClasspath");
    assumeTrue(location != null, "the runtime class path is written by the Maven build; run the tests with Maven");
    return new URLClassLoader(consumerClassPath(Path.of(location)), ClassLoader.getPlatformClassLoader());
  }

  /**
   * user-client's classes and runtime dependencies, the in-process transport (a consumer brings a transport:
   * grpc-inprocess, grpc-core and what grpc-core needs at run time) and this module's test classes.
   */
  private static URL[] consumerClassPath(Path runtimeClasspath) throws IOException, ClassNotFoundException {
    assertThat(runtimeClasspath).as("written by maven-dependency-plugin at generate-test-resources").exists();
    Set<URL> urls = new LinkedHashSet<>();
    urls.add(codeSource(UserClient.class));
    urls.add(codeSource(ChainedCalls.class));
    for (String entry : Files.readString(runtimeClasspath).trim().split(File.pathSeparator)) {
      if (!entry.isEmpty()) {
        urls.add(Path.of(entry).toUri().toURL());
      }
    }
    List<String> transport = List.of(InProcessChannelBuilder.class.getName(),
        "io.grpc.internal.ManagedChannelImplBuilder", "io.perfmark.PerfMark", "com.google.gson.Gson");
    for (String className : transport) {
      urls.add(codeSource(Class.forName(className)));
    }
    return new ArrayList<>(urls).toArray(URL[]::new);
  }

  private static URL codeSource(Class<?> type) {
    return type.getProtectionDomain().getCodeSource().getLocation();
  }
}
