package io.github.usergrpc.user.v1;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the repository for tests that read its files: the {@code repo.root} the build passes, or upwards. */
final class RepositoryRoot {

  private RepositoryRoot() {}

  /** The repository's root directory, recognised by its {@code third_party/proto}. */
  static Path find() {
    String configured = System.getProperty("repo.root");
    Path dir = configured != null ? Path.of(configured) : Path.of("").toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("third_party/proto"))) {
      dir = dir.getParent();
    }
    assertThat(dir).as("repository root with third_party/proto").isNotNull();
    return dir;
  }
}
