package io.github.usergrpc.user.v1;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every package of main code, in every module of the repository, has a {@code package-info.java} that says what
 * it holds and marks it either {@value #PUBLIC} or {@value #INTERNAL} (the convention the README describes under
 * "Public API and internal packages"). It sits in user-api, the first module built, beside the other tests that
 * read the repository's files.
 */
class PackageDocsTest {

  private static final String PUBLIC = "<b>Public API.</b>";
  private static final String INTERNAL = "<b>Internal.</b>";

  @Test
  void everyMainPackage_hasPackageInfo_markedPublicOrInternal() throws IOException {
    Path root = RepositoryRoot.find();
    List<Path> packages = mainPackages(root);
    assertThat(packages).as("main packages found under %s", root).isNotEmpty();

    List<String> problems = new ArrayList<>();
    for (Path dir : packages) {
      String name = root.relativize(dir).toString().replace('\\', '/');
      Path info = dir.resolve("package-info.java");
      if (!Files.isRegularFile(info)) {
        problems.add(name + ": no package-info.java");
        continue;
      }
      String text = Files.readString(info);
      boolean isPublic = text.contains(PUBLIC);
      boolean isInternal = text.contains(INTERNAL);
      if (isPublic == isInternal) {
        problems.add(name + "/package-info.java: marks the package neither or both " + PUBLIC + " and " + INTERNAL);
      }
      if (!text.contains("/**")) {
        problems.add(name + "/package-info.java: no javadoc saying what the package holds");
      }
    }
    assertThat(problems).as("package docs").isEmpty();
  }

  /** Directories under {@code <module>/src/main/java} that hold a {@code .java} file, for every module. */
  private static List<Path> mainPackages(Path root) throws IOException {
    TreeSet<Path> packages = new TreeSet<>();
    try (Stream<Path> modules = Files.list(root)) {
      for (Path module : modules.filter(m -> Files.isRegularFile(m.resolve("pom.xml"))).toList()) {
        Path sources = module.resolve("src/main/java");
        if (!Files.isDirectory(sources)) {
          continue;
        }
        try (Stream<Path> files = Files.walk(sources)) {
          files.filter(f -> f.toString().endsWith(".java")).forEach(f -> packages.add(f.getParent()));
        }
      }
    }
    return List.copyOf(packages);
  }
}
