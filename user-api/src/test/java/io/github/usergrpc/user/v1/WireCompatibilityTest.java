package io.github.usergrpc.user.v1;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Proves that a client generated from the untouched original user.proto (in src/test/seed, compiled to a
 * descriptor by the build) can call a server built from our contract.
 */
class WireCompatibilityTest {

  private static final FileDescriptor CURRENT = UserProto.getDescriptor();

  @Test
  void contract_isWireCompatibleWithOriginalFile() throws Exception {
    FileDescriptor original = seed();

    assertThat(original.getServices()).hasSize(1);
    assertThat(original.getMessageTypes()).hasSize(10);
    assertThat(WireCompatibility.problems(original, CURRENT)).isEmpty();
  }

  @Test
  void contract_keepsFullyQualifiedNamesOnTheWire() {
    assertThat(UserServiceGrpc.SERVICE_NAME).isEqualTo("user.UserService");
    assertThat(UserServiceGrpc.getGetUserMethod().getFullMethodName()).isEqualTo("user.UserService/GetUser");
    assertThat(UserServiceGrpc.getWatchUserActivityMethod().getFullMethodName())
        .isEqualTo("user.UserService/WatchUserActivity");
  }

  @Test
  void problems_renumberedField_isReported() throws Exception {
    FileDescriptorProto.Builder changed = CURRENT.toProto().toBuilder();
    changed.getMessageTypeBuilderList().stream()
        .filter(m -> m.getName().equals("UserResponse"))
        .flatMap(m -> m.getFieldBuilderList().stream())
        .filter(f -> f.getName().equals("email"))
        .forEach(f -> f.setNumber(12));

    assertThat(WireCompatibility.problems(seed(), rebuild(changed.build())))
        .containsExactly("user.UserResponse.email number was 2, is 12");
  }

  @Test
  void problems_removedMethodAndChangedStreaming_areReported() throws Exception {
    FileDescriptorProto.Builder changed = CURRENT.toProto().toBuilder();
    var service = changed.getServiceBuilder(0);
    for (int i = service.getMethodCount() - 1; i >= 0; i--) {
      if (service.getMethod(i).getName().equals("DeleteUser")) {
        service.removeMethod(i);
      } else if (service.getMethod(i).getName().equals("WatchUserActivity")) {
        service.getMethodBuilder(i).setServerStreaming(false);
      }
    }

    assertThat(WireCompatibility.problems(seed(), rebuild(changed.build())))
        .containsExactlyInAnyOrder(
            "method user.UserService.DeleteUser is missing",
            "user.UserService.WatchUserActivity server streaming was true, is false");
  }

  private static FileDescriptor rebuild(FileDescriptorProto proto) throws DescriptorValidationException {
    return FileDescriptor.buildFrom(proto, CURRENT.getDependencies().toArray(new FileDescriptor[0]));
  }

  private static FileDescriptor seed() throws IOException, DescriptorValidationException {
    Path file = Path.of(System.getProperty("seed.descriptor", "target/descriptors/seed.binpb"));
    FileDescriptorSet set;
    try (InputStream in = Files.newInputStream(file)) {
      set = FileDescriptorSet.parseFrom(in);
    }
    assertThat(set.getFileList()).extracting(FileDescriptorProto::getName).containsExactly("user.proto");
    return FileDescriptor.buildFrom(set.getFile(0), new FileDescriptor[0]);
  }
}
