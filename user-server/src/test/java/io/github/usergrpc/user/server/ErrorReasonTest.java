package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

// The deprecated enum is what this tests: it stays for compatibility, and must keep matching the contract.
@SuppressWarnings("deprecation")
class ErrorReasonTest {

  @Test
  void everyReason_isInTheTableOfUserProtoWithItsCode() throws IOException {
    // The repository's file, which clients read (the surefire configuration names the repository root).
    String proto = Files.readString(Path.of(System.getProperty("maven.multiModuleProjectDirectory"),
        "user-api", "src", "main", "proto", "user.proto"), StandardCharsets.UTF_8);

    for (ErrorReason reason : ErrorReason.values()) {
      assertThat(proto).as(reason.name()).containsPattern(
          Pattern.compile("(?m)^//\\s+" + reason.name() + "\\s+" + reason.code().name() + "\\s"));
    }
  }
}
