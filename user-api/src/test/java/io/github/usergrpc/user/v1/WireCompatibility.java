package io.github.usergrpc.user.v1;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import java.util.ArrayList;
import java.util.List;

/**
 * Lists what a client generated from an original file would find broken in a newer one: a missing
 * service, method or message, or a field whose number, type, cardinality, presence or JSON name changed.
 * Additions are allowed.
 */
final class WireCompatibility {

  private WireCompatibility() {}

  static List<String> problems(FileDescriptor original, FileDescriptor current) {
    List<String> problems = new ArrayList<>();
    if (!original.getPackage().equals(current.getPackage())) {
      problems.add("package " + original.getPackage() + " became " + current.getPackage());
    }
    for (ServiceDescriptor service : original.getServices()) {
      ServiceDescriptor now = current.findServiceByName(service.getName());
      if (now == null) {
        problems.add("service " + service.getFullName() + " is missing");
        continue;
      }
      for (MethodDescriptor method : service.getMethods()) {
        MethodDescriptor nowMethod = now.findMethodByName(method.getName());
        if (nowMethod == null) {
          problems.add("method " + method.getFullName() + " is missing");
          continue;
        }
        compare(problems, method.getFullName() + " input",
            method.getInputType().getFullName(), nowMethod.getInputType().getFullName());
        compare(problems, method.getFullName() + " output",
            method.getOutputType().getFullName(), nowMethod.getOutputType().getFullName());
        compare(problems, method.getFullName() + " client streaming",
            method.isClientStreaming(), nowMethod.isClientStreaming());
        compare(problems, method.getFullName() + " server streaming",
            method.isServerStreaming(), nowMethod.isServerStreaming());
      }
    }
    for (Descriptor message : original.getMessageTypes()) {
      Descriptor now = current.findMessageTypeByName(message.getName());
      if (now == null) {
        problems.add("message " + message.getFullName() + " is missing");
        continue;
      }
      for (FieldDescriptor field : message.getFields()) {
        FieldDescriptor nowField = now.findFieldByName(field.getName());
        if (nowField == null) {
          problems.add("field " + field.getFullName() + " is missing");
          continue;
        }
        String name = field.getFullName();
        compare(problems, name + " number", field.getNumber(), nowField.getNumber());
        compare(problems, name + " type", field.getType(), nowField.getType());
        compare(problems, name + " repeated", field.isRepeated(), nowField.isRepeated());
        compare(problems, name + " explicit presence", field.hasPresence(), nowField.hasPresence());
        compare(problems, name + " json name", field.getJsonName(), nowField.getJsonName());
        if (field.getType() == FieldDescriptor.Type.MESSAGE) {
          compare(problems, name + " message type",
              field.getMessageType().getFullName(), nowField.getMessageType().getFullName());
        }
      }
    }
    return problems;
  }

  private static void compare(List<String> problems, String what, Object was, Object is) {
    if (!was.equals(is)) {
      problems.add(what + " was " + was + ", is " + is);
    }
  }
}
