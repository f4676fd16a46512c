package io.github.usergrpc.user.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.rpc.ErrorInfo;
import io.github.usergrpc.user.v1.ErrorReason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ErrorReasonsTest {

  @Test
  void everyReason_isInTheTablesOfBothProtoFilesWithItsCode() throws IOException {
    String userProto = proto("user.proto");
    String errorReasonProto = proto("error_reason.proto");

    for (ErrorReason reason : reasons()) {
      String code = ErrorReasons.code(reason).name();
      assertThat(userProto).as(reason.name()).containsPattern(
          Pattern.compile("(?m)^//\\s+" + reason.name() + "\\s+" + code + "\\s"));
      // The comment above the value starts with its code: "  // NOT_FOUND: no user has the id. ..."
      assertThat(errorReasonProto).as(reason.name()).containsPattern(Pattern.compile(
          "(?m)^  // " + code + ": [^\\n]*\\n(  //[^\\n]*\\n)*  " + reason.name() + " = " + reason.getNumber() + ";"));
    }
  }

  @Test
  void theTableOfUserProto_hasNoReasonBeyondTheEnum() throws IOException {
    var table = Pattern.compile("(?m)^//   ([A-Z][A-Z_]+) +[A-Z_]+ +").matcher(proto("user.proto"));
    int rows = 0;
    while (table.find()) {
      if (!table.group(1).equals("reason")) {
        assertThat(ErrorReason.valueOf(table.group(1))).isNotNull();
        rows++;
      }
    }
    assertThat(rows).isEqualTo(reasons().length);
  }

  @Test
  void errorInfo_carriesTheNameAndTheDomain() {
    assertThat(ErrorReasons.errorInfo(ErrorReason.USER_NOT_FOUND, Map.of("user_id", "u1"))).isEqualTo(
        ErrorInfo.newBuilder().setReason("USER_NOT_FOUND").setDomain("usergrpc.github.io")
            .putMetadata("user_id", "u1").build());
  }

  @Test
  void valuesThatAreNotReasons_areRefused() {
    assertThatThrownBy(() -> ErrorReasons.code(ErrorReason.ERROR_REASON_UNSPECIFIED))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ERROR_REASON_UNSPECIFIED");
    assertThatThrownBy(() -> ErrorReasons.errorInfo(ErrorReason.UNRECOGNIZED, Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static ErrorReason[] reasons() {
    return Arrays.stream(ErrorReason.values())
        .filter(r -> r != ErrorReason.ERROR_REASON_UNSPECIFIED && r != ErrorReason.UNRECOGNIZED)
        .toArray(ErrorReason[]::new);
  }

  private static String proto(String name) throws IOException {
    return Files.readString(Path.of(System.getProperty("repo.root"), "user-api", "src", "main", "proto", name),
        StandardCharsets.UTF_8);
  }
}
