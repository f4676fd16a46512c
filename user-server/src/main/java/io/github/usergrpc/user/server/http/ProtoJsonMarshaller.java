package io.github.usergrpc.user.server.http;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import com.linecorp.armeria.common.grpc.GrpcJsonMarshaller;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.IdentityHashMap;

/**
 * The proto3 JSON mapping of the HTTP port, with protobuf's own {@link JsonFormat} (Armeria's default is a
 * Jackson-based one): responses print every field, also those at their default value ({@code "total":0},
 * {@code "nextPageToken":""}), as the gateway always did; requests are parsed strictly (unknown fields
 * refused), after {@link JsonRequests} has checked the body as sent.
 *
 * <p>The server parses its requests itself (see RequestParsing), so its methods take raw bytes: a request
 * whose marshaller is not a prototype marshaller is parsed as the method's input type from the schema and
 * handed on as its protobuf bytes.
 *
 * <p>An {@code etag} field may be sent with or without the quotes that are part of it ({@code "abc"} or
 * {@code abc}), so that it can be put in a URL without escaping quotes.
 */
final class ProtoJsonMarshaller implements GrpcJsonMarshaller {

  private static final JsonFormat.Printer PRINTER = JsonFormat.printer()
      .alwaysPrintFieldsWithNoPresence()
      .omittingInsignificantWhitespace();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  private final IdentityHashMap<MethodDescriptor.Marshaller<?>, Descriptor> rawRequestTypes = new IdentityHashMap<>();

  ProtoJsonMarshaller(ServiceDescriptor service) {
    for (MethodDescriptor<?, ?> method : service.getMethods()) {
      if (method.getSchemaDescriptor() instanceof ProtoMethodDescriptorSupplier schema) {
        rawRequestTypes.put(method.getRequestMarshaller(), schema.getMethodDescriptor().getInputType());
      }
    }
  }

  @Override
  public <T> void serializeMessage(MethodDescriptor.Marshaller<T> marshaller, T message, OutputStream os)
      throws IOException {
    os.write(PRINTER.print((MessageOrBuilder) message).getBytes(StandardCharsets.UTF_8));
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> T deserializeMessage(MethodDescriptor.Marshaller<T> marshaller, InputStream is) throws IOException {
    String json = new String(is.readAllBytes(), StandardCharsets.UTF_8);
    if (marshaller instanceof MethodDescriptor.PrototypeMarshaller<T> prototype
        && prototype.getMessagePrototype() instanceof Message message) {
      return (T) parse(json, message.newBuilderForType());
    }
    Descriptor type = rawRequestTypes.get(marshaller);
    if (type == null) {
      throw Status.INTERNAL.withDescription("no JSON mapping for this method").asRuntimeException();
    }
    return (T) parse(json, DynamicMessage.newBuilder(type)).toByteString().newInput();
  }

  private static Message parse(String json, Message.Builder builder) throws InvalidProtocolBufferException {
    try {
      PARSER.merge(json, builder);
    } catch (InvalidProtocolBufferException e) {
      throw Status.INVALID_ARGUMENT.withDescription("the request is not a valid "
          + builder.getDescriptorForType().getName() + " in JSON").asRuntimeException();
    }
    FieldDescriptor etag = builder.getDescriptorForType().findFieldByName("etag");
    if (etag != null && etag.getJavaType() == FieldDescriptor.JavaType.STRING) {
      String value = (String) builder.getField(etag);
      if (!value.isEmpty() && !value.startsWith("\"") && !value.startsWith("W/\"")) {
        builder.setField(etag, '"' + value + '"');
      }
    }
    return builder.build();
  }
}
