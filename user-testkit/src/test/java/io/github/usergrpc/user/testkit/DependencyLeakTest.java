package io.github.usergrpc.user.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks that no JDBC driver, connection pool, Flyway, Netty, Armeria, OpenTelemetry (beyond its API) or the
 * deployable server itself (user-server: JDBC store, HTTP port, command line) reaches a consumer's test classpath
 * through user-testkit, which depends on the service core (user-service) only; nor, through it or user-client
 * (which it depends on), any class in {@code io.grpc.override}, which gRPC installs by name in whatever JVM has
 * it: OpenTelemetry's gRPC instrumentation ships {@code ContextStorageOverride} there, which grows gRPC's
 * {@code Context} with every call issued from another call's callback.
 *
 * <p>It reads the verbose dependency tree that the build writes before the tests (maven-dependency-plugin
 * {@code tree} with {@code verbose}, see the pom). Not {@code dependency:list}: this module declares Netty, H2,
 * PostgreSQL, HikariCP and Flyway in test scope for its own tests, and Maven then shows them in test scope
 * only, even when a compile dependency (user-service, say) brings them too, which a consumer would get. The
 * verbose tree keeps such a node, in its own scope, with "omitted for duplicate", and marks the direct one
 * "scope not updated to compile": both are caught here.
 */
class DependencyLeakTest {

  /**
   * groupId:artifactId prefixes that must not reach a consumer. The OpenTelemetry API does, through user-client
   * (a client can be traced; the API is a no-op until the application installs an SDK); the SDK, its
   * exporters and the instrumentation libraries (opentelemetry-grpc-1.6 and what it brings) must not.
   */
  static final List<String> BANNED = List.of(
      "com.h2database:", "org.xerial:sqlite-jdbc:", "org.postgresql:", "com.zaxxer:", "org.flywaydb:",
      "io.grpc:grpc-netty:", "io.grpc:grpc-netty-shaded:", "io.netty:", "org.slf4j:slf4j-jdk14:",
      "com.linecorp.armeria:", "io.opentelemetry:opentelemetry-sdk", "io.opentelemetry:opentelemetry-exporter",
      "io.opentelemetry.instrumentation:", "io.grpc:grpc-opentelemetry:", "io.github.usergrpc:user-server:");

  /** The package whose classes gRPC loads by name when they are on the class path (its context storage). */
  static final String GRPC_OVERRIDE = "io/grpc/override/";

  /** groupId:artifactId:type[:classifier]:version:scope, as the tree prints a node. */
  private static final Pattern NODE = Pattern.compile(
      "([\\w.\\-]+:[\\w.\\-]+):[\\w.\\-]+(?::[\\w.\\-]+)?:[\\w.\\-]+:(compile|runtime|provided|test|system)");

  @Test
  void testkit_bringsNoDriverPoolFlywayOrNettyToConsumers() throws IOException {
    List<String> lines = Files.readAllLines(writtenByTheBuild("user-testkit.dependencyTree"));

    assertThat(lines).as("the tree of user-testkit")
        .anyMatch(line -> line.contains("io.github.usergrpc:user-service:jar:") && line.endsWith(":compile"));
    assertThat(lines).as("the tree lists the test-scoped server, so a leak of it would show")
        .anyMatch(line -> line.contains("io.github.usergrpc:user-server:jar:"));
    assertThat(lines).as("the tree lists the test-scoped drivers, so it is the verbose one")
        .anyMatch(line -> line.contains("com.h2database:h2:jar"));
    assertThat(leaks(lines)).isEmpty();
  }

  @Test
  void testkitAndClient_putNoGrpcOverrideOnConsumersClassPath() throws IOException {
    String written = Files.readString(writtenByTheBuild("user-testkit.runtimeClasspath"));
    List<Path> classPath = Arrays.stream(written.trim().split(File.pathSeparator))
        .filter(entry -> !entry.isEmpty()).map(Path::of).toList();

    assertThat(classPath).as("the runtime class path of user-testkit, with user-client's")
        .anyMatch(entry -> entry.toString().contains("user-client"))
        .anyMatch(entry -> entry.toString().contains("opentelemetry-api"));
    assertThat(grpcOverrides(classPath)).isEmpty();
  }

  @Test
  void grpcOverrides_aJarWithContextStorageOverride_isFound(@TempDir Path dir) throws IOException {
    Path jar = dir.resolve("opentelemetry-grpc-1.6.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      out.putNextEntry(new JarEntry("io/opentelemetry/instrumentation/grpc/v1_6/GrpcTelemetry.class"));
      out.putNextEntry(new JarEntry(GRPC_OVERRIDE + "ContextStorageOverride.class"));
    }
    Path classes = dir.resolve("classes");
    Files.createDirectories(classes.resolve(GRPC_OVERRIDE));
    Files.createFile(classes.resolve(GRPC_OVERRIDE + "ContextStorageOverride.class"));
    Path clean = dir.resolve("clean");
    Files.createDirectories(clean.resolve("io/grpc"));

    assertThat(grpcOverrides(List.of(clean, jar, classes, dir.resolve("absent.jar")))).containsExactly(
        jar + "!" + GRPC_OVERRIDE + "ContextStorageOverride.class", classes.resolve(GRPC_OVERRIDE).toString());
  }

  @Test
  void leaks_grpcInstrumentationThroughTheClient_isFound() {
    List<String> tree = List.of(
        "io.github.usergrpc:user-testkit:jar:0.1.0-SNAPSHOT",
        "+- io.github.usergrpc:user-client:jar:0.1.0-SNAPSHOT:compile",
        "|  +- io.opentelemetry:opentelemetry-api:jar:1.65.0:compile",
        "|  \\- io.opentelemetry.instrumentation:opentelemetry-grpc-1.6:jar:2.31.1-alpha:compile");

    assertThat(leaks(tree)).containsExactly(tree.get(3).trim());
  }

  @Test
  void leaks_maskedTransitiveCompileDependency_isFound() {
    List<String> masked = List.of(
        "io.github.usergrpc:user-testkit:jar:0.1.0-SNAPSHOT",
        "+- io.github.usergrpc:user-service:jar:0.1.0-SNAPSHOT:compile",
        "|  +- (com.zaxxer:HikariCP:jar:7.1.0:compile - omitted for duplicate)",
        "|  \\- io.grpc:grpc-api:jar:1.85.1:compile",
        "+- com.zaxxer:HikariCP:jar:7.1.0:test (scope not updated to compile)",
        "\\- org.postgresql:postgresql:jar:42.7.14:test");

    assertThat(leaks(masked)).containsExactly(masked.get(2).trim(), masked.get(4));
  }

  @Test
  void leaks_serverInCompileScope_isFound() {
    List<String> tree = List.of(
        "io.github.usergrpc:user-testkit:jar:0.1.0-SNAPSHOT",
        "+- io.github.usergrpc:user-server:jar:0.1.0-SNAPSHOT:compile",
        "|  \\- io.github.usergrpc:user-service:jar:0.1.0-SNAPSHOT:compile");

    assertThat(leaks(tree)).containsExactly(tree.get(1).trim());
  }

  @Test
  void leaks_testScopedOrAllowedDependencies_areNotLeaks() {
    List<String> clean = List.of(
        "+- io.github.usergrpc:user-service:jar:0.1.0-SNAPSHOT:compile",
        "|  \\- io.grpc:grpc-inprocess:jar:1.85.1:compile",
        "+- io.github.usergrpc:user-server:jar:0.1.0-SNAPSHOT:test",
        "+- io.grpc:grpc-netty:jar:1.85.1:test",
        "|  \\- io.netty:netty-codec-http2:jar:4.1.127.Final:test",
        "\\- org.flywaydb:flyway-core:jar:13.12.0:test");

    assertThat(leaks(clean)).isEmpty();
  }

  /**
   * Returns the file that maven-dependency-plugin writes at generate-test-resources (see the pom), named by the
   * system property {@code property}; skips the test when run outside Maven (an IDE), which sets no property.
   */
  private static Path writtenByTheBuild(String property) {
    String location = System.getProperty(property);
    assumeTrue(location != null, "the file is written by the Maven build; run the tests with Maven");
    Path file = Path.of(location);
    assertThat(file).as("written by maven-dependency-plugin at generate-test-resources").exists();
    return file;
  }

  /**
   * Returns what of {@code classPath} (jars and class directories) is in {@link #GRPC_OVERRIDE}: the jar's
   * entries as {@code jar!entry}, a directory's package folder as its path. Entries that do not exist are
   * skipped, as a JVM skips them.
   */
  static List<String> grpcOverrides(List<Path> classPath) throws IOException {
    List<String> found = new ArrayList<>();
    for (Path entry : classPath) {
      if (Files.isDirectory(entry)) {
        Path overrides = entry.resolve(GRPC_OVERRIDE);
        if (Files.isDirectory(overrides)) {
          found.add(overrides.toString());
        }
      } else if (Files.isRegularFile(entry)) {
        try (JarFile jar = new JarFile(entry.toFile())) {
          jar.stream().map(JarEntry::getName).filter(name -> name.startsWith(GRPC_OVERRIDE) && !name.endsWith("/"))
              .forEach(name -> found.add(entry + "!" + name));
        }
      }
    }
    return found;
  }

  /** Returns the tree lines through which a banned artifact reaches compile or runtime scope. */
  static List<String> leaks(List<String> tree) {
    return tree.stream()
        .filter(line -> {
          Matcher node = NODE.matcher(line);
          if (!node.find() || BANNED.stream().noneMatch(node.group(1).concat(":")::startsWith)) {
            return false;
          }
          boolean reachesConsumers = node.group(2).equals("compile") || node.group(2).equals("runtime");
          return reachesConsumers || line.contains("scope not updated to compile")
              || line.contains("scope not updated to runtime");
        })
        .map(String::trim)
        .toList();
  }
}
