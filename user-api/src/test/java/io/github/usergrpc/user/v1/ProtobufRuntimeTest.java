package io.github.usergrpc.user.v1;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URL;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * grpc-java declares protobuf-java 3.x while protovalidate needs 4.x; a 3.x runtime fails at class-init.
 * The enforcer's bannedDependencies rule checks every module at build time; this checks the classpath the
 * contract actually runs on.
 */
class ProtobufRuntimeTest {

  @Test
  void classpath_holdsExactlyOneProtobufJava4() throws IOException {
    // protobuf-java is built with Bazel and has no pom.properties: count the jars that carry its classes.
    List<URL> copies = Collections.list(getClass().getClassLoader()
        .getResources("com/google/protobuf/RuntimeVersion.class"));
    List<URL> messageCopies = Collections.list(getClass().getClassLoader()
        .getResources("com/google/protobuf/GeneratedMessage.class"));

    assertThat(copies).hasSize(1);
    assertThat(messageCopies).hasSize(1);
    assertThat(copies.get(0).toString()).contains("protobuf-java-4.");
    assertThat(com.google.protobuf.RuntimeVersion.MAJOR).isEqualTo(4);
  }

  @Test
  void generatedClasses_loadOnThatRuntime() {
    assertThat(UserResponse.newBuilder().setId("u1").build().getId()).isEqualTo("u1");
    assertThat(UserProto.getDescriptor().getDependencies())
        .extracting(d -> d.getName())
        .containsExactly("buf/validate/validate.proto", "google/api/annotations.proto");
  }
}
