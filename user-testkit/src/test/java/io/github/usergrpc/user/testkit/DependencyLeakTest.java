package io.github.usergrpc.user.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Checks that no JDBC driver, connection pool, Flyway, Netty, Armeria, OpenTelemetry or the deployable
 * server itself (user-server: JDBC store, HTTP port, command line) reaches a consumer's test classpath through
 * user-testkit, which depends on the service core (user-service) only.
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
   * (a client can be traced; the API is a no-op until the application installs an SDK); the SDK and its
   * exporters must not.
   */
  static final List<String> BANNED = List.of(
      "com.h2database:", "org.xerial:sqlite-jdbc:", "org.postgresql:", "com.zaxxer:", "org.flywaydb:",
      "io.grpc:grpc-netty:", "io.grpc:grpc-netty-shaded:", "io.netty:", "org.slf4j:slf4j-jdk14:",
      "com.linecorp.armeria:", "io.opentelemetry:opentelemetry-sdk", "io.opentelemetry:opentelemetry-exporter",
      "io.grpc:grpc-opentelemetry:", "io.github.usergrpc:user-server:");

  /** groupId:artifactId:type[:classifier]:version:scope, as the tree prints a node. */
  private static final Pattern NODE = Pattern.compile(
      "([\\w.\\-]+:[\\w.\\-]+):[\\w.\\-]+(?::[\\w.\\-]+)?:[\\w.\\-]+:(compile|runtime|provided|test|system)");

  @Test
  void testkit_bringsNoDriverPoolFlywayOrNettyToConsumers() throws IOException {
    String location = System.getProperty("user-testkit.dependencyTree");
    assumeTrue(location != null, "the dependency tree is written by the Maven build; run the tests with Maven");
    Path tree = Path.of(location);
    assertThat(tree).as("written by maven-dependency-plugin at generate-test-resources").exists();
    List<String> lines = Files.readAllLines(tree);

    assertThat(lines).as("the tree of user-testkit")
        .anyMatch(line -> line.contains("io.github.usergrpc:user-service:jar:") && line.endsWith(":compile"));
    assertThat(lines).as("the tree lists the test-scoped server, so a leak of it would show")
        .anyMatch(line -> line.contains("io.github.usergrpc:user-server:jar:"));
    assertThat(lines).as("the tree lists the test-scoped drivers, so it is the verbose one")
        .anyMatch(line -> line.contains("com.h2database:h2:jar"));
    assertThat(leaks(lines)).isEmpty();
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
