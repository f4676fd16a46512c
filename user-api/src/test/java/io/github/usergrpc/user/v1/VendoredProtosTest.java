package io.github.usergrpc.user.v1;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * buf runs offline on the .proto files vendored in third_party/proto; protoc and the Java runtime use the
 * copies inside the dependency jars. Both must be the same bytes, or buf would check a different contract
 * than the one we ship (for example after a protovalidate upgrade).
 */
class VendoredProtosTest {

  @Test
  void everyVendoredProto_equalsTheCopyInItsJar() throws IOException {
    Path thirdParty = RepositoryRoot.find().resolve("third_party/proto");
    List<Path> vendored;
    try (Stream<Path> files = Files.walk(thirdParty)) {
      vendored = files.filter(p -> p.toString().endsWith(".proto")).toList();
    }

    assertThat(vendored).isNotEmpty();
    for (Path file : vendored) {
      String resource = thirdParty.relativize(file).toString().replace('\\', '/');
      try (InputStream inJar = getClass().getClassLoader().getResourceAsStream(resource)) {
        assertThat(inJar).as("%s on the classpath", resource).isNotNull();
        assertThat(Files.readAllBytes(file)).as(resource).isEqualTo(inJar.readAllBytes());
      }
    }
  }

  @Test
  void publishedUserProto_isTheContract_notTheSeed() throws IOException {
    Path contract = RepositoryRoot.find().resolve("user-api/src/main/proto/user.proto");
    try (InputStream published = getClass().getClassLoader().getResourceAsStream("user.proto")) {
      assertThat(published).as("user.proto on the classpath (and so in the jar)").isNotNull();
      assertThat(new String(published.readAllBytes(), StandardCharsets.UTF_8))
          .isEqualTo(Files.readString(contract));
    }
  }
}
