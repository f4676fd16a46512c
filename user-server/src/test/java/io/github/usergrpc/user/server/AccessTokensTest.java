package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessTokensTest {

  @Test
  void hash_isTheSha256sumOfTheToken() {
    // printf '%s' 's3cr3t-read' | sha256sum
    assertThat(AccessTokens.hash("s3cr3t-read"))
        .isEqualTo("sha256:9bfa530f3fcce1c29f428dd5259fe224e52d6b5600f2375964898ae0d3ef1d19");
  }

  @Test
  void parse_validFile_authenticatesEachTokenAsItsPrincipal() {
    AccessTokens tokens = AccessTokens.parse("""
        # reader
        %s billing-svc users:read

        %s admin@ops users:read,users:write
        """.formatted(AccessTokens.hash("s3cr3t-read"), AccessTokens.hash("s3cr3t-admin")));

    assertThat(tokens.size()).isEqualTo(2);
    assertThat(tokens.authenticate("s3cr3t-read"))
        .contains(new Principal("billing-svc", Set.of(AccessTokens.READ_SCOPE)));
    assertThat(tokens.authenticate("s3cr3t-admin"))
        .contains(new Principal("admin@ops", Set.of(AccessTokens.READ_SCOPE, AccessTokens.WRITE_SCOPE)));
    assertThat(tokens.authenticate("s3cr3t-rea")).isEmpty();
    assertThat(tokens.authenticate("")).isEmpty();
  }

  @Test
  void parse_uppercaseHex_isAccepted() {
    AccessTokens tokens = AccessTokens.parse(AccessTokens.hash("rotate-me").toUpperCase().replace("SHA256", "sha256")
        + " ci users:write");

    assertThat(tokens.authenticate("rotate-me")).map(Principal::name).contains("ci");
  }

  @Test
  void parse_plaintextToken_isRefusedWithoutEchoingIt() {
    assertThatThrownBy(() -> AccessTokens.parse("my-plain-token svc users:read"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("line 1: the first field must be sha256:")
        .hasMessageNotContaining("my-plain-token");
  }

  @Test
  void parse_malformedLines_failNamingTheLine() {
    String hash = AccessTokens.hash("t");
    assertThatThrownBy(() -> AccessTokens.parse("\n" + hash + " svc"))
        .hasMessage("line 2: expected 3 fields, sha256:<hex> <principal> <scope>[,<scope>] (found 2)");
    assertThatThrownBy(() -> AccessTokens.parse(hash + " svc users:admin"))
        .hasMessageStartingWith("line 1: unknown scope 'users:admin' (expected:");
    assertThatThrownBy(() -> AccessTokens.parse(hash + " svc users:read,"))
        .hasMessageStartingWith("line 1: unknown scope '' (expected:");
    assertThatThrownBy(() -> AccessTokens.parse(hash + " svc\u0007 users:read"))
        .hasMessageStartingWith("line 1: the principal must be");
    assertThatThrownBy(() -> AccessTokens.parse(hash + " a users:read\n" + hash + " b users:write"))
        .hasMessage("line 2: the same token as line 1");
    assertThatThrownBy(() -> AccessTokens.parse("# nothing here\n\n"))
        .hasMessageStartingWith("no tokens");
  }

  @Test
  void load_namesTheFileInErrors(@TempDir Path dir) throws Exception {
    Path good = Files.writeString(dir.resolve("tokens"), AccessTokens.hash("t") + " svc users:read\n");
    Path bad = Files.writeString(dir.resolve("bad-tokens"), "svc users:read\n");

    assertThat(AccessTokens.load(good).authenticate("t")).isPresent();
    assertThatThrownBy(() -> AccessTokens.load(bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(bad + ": line 1: expected 3 fields");
  }
}
