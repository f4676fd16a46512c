package io.github.usergrpc.user.server.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.rpc.BadRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks a JSON request body against the proto3 JSON mapping of its message before anything parses it,
 * strictly: the body is UTF-8 without malformed sequences, one JSON object, every key a field of the
 * message (by its JSON or proto name) given once, and every value of its field's JSON type (a string for a
 * {@code string}, a number or a numeric string for an integer, {@code true}/{@code false} for a
 * {@code bool}, an object for a message, an array for a repeated field; {@code null} for the default).
 *
 * <p>{@code JsonFormat} alone accepts {@code ["a@b.c"]} or {@code 42} for a string field and lets the last
 * of two equal keys win; Jackson replaces malformed UTF-8. Each of those is a field violation here.
 */
final class StrictJson {

  private static final JsonFactory JSON = JsonFactory.builder().build();

  private final List<BadRequest.FieldViolation> violations = new ArrayList<>();

  private StrictJson() {}

  /**
   * Returns the violations of {@code body} as a {@code type}, none when it is valid.
   *
   * @param body the request body as sent
   * @param type the request message
   */
  static List<BadRequest.FieldViolation> check(byte[] body, Descriptor type) {
    StrictJson check = new StrictJson();
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(body))
          .toString();
    } catch (CharacterCodingException e) {
      check.violation("", "the body is not valid UTF-8");
      return check.violations;
    }
    if (text.isBlank()) {
      return List.of();
    }
    try (JsonParser reader = JSON.createParser(text)) {
      if (reader.nextToken() != JsonToken.START_OBJECT) {
        check.violation("", "the body must be a JSON object");
        return check.violations;
      }
      check.message(reader, type, "");
      if (reader.nextToken() != null) {
        check.violation("", "the body must hold one JSON object and nothing after it");
      }
    } catch (JsonProcessingException e) {
      check.violations.clear();
      check.violation("", "the body is not JSON (line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr() + ")");
    } catch (IOException e) {
      throw new UncheckedIOException("reading a string cannot fail", e);
    }
    return check.violations;
  }

  /** Checks the object whose START_OBJECT is the current token, up to and including its END_OBJECT. */
  private void message(JsonParser reader, Descriptor type, String path) throws IOException {
    Set<FieldDescriptor> seen = new HashSet<>();
    while (reader.nextToken() == JsonToken.FIELD_NAME) {
      String name = reader.currentName();
      reader.nextToken();
      String fieldPath = path.isEmpty() ? name : path + "." + name;
      FieldDescriptor field = field(type, name);
      if (field == null) {
        violation(fieldPath, "unknown field " + name + " of " + type.getName());
        reader.skipChildren();
      } else if (!seen.add(field)) {
        violation(fieldPath, "field " + field.getJsonName() + " is given twice");
        reader.skipChildren();
      } else if (reader.currentToken() == JsonToken.VALUE_NULL) {
        // null stands for the field's default (the proto3 JSON mapping): nothing to check.
      } else if (field.isMapField()) {
        map(reader, field, fieldPath);
      } else if (field.isRepeated()) {
        repeated(reader, field, fieldPath);
      } else {
        value(reader, field, fieldPath);
      }
    }
  }

  private void repeated(JsonParser reader, FieldDescriptor field, String path) throws IOException {
    if (reader.currentToken() != JsonToken.START_ARRAY) {
      violation(path, "expected a JSON array");
      reader.skipChildren();
      return;
    }
    for (int i = 0; reader.nextToken() != JsonToken.END_ARRAY; i++) {
      value(reader, field, path + "[" + i + "]");
    }
  }

  private void map(JsonParser reader, FieldDescriptor field, String path) throws IOException {
    if (reader.currentToken() != JsonToken.START_OBJECT) {
      violation(path, "expected a JSON object");
      reader.skipChildren();
      return;
    }
    FieldDescriptor value = field.getMessageType().findFieldByName("value");
    Set<String> keys = new HashSet<>();
    while (reader.nextToken() == JsonToken.FIELD_NAME) {
      String key = reader.currentName();
      reader.nextToken();
      if (!keys.add(key)) {
        violation(path + "." + key, "key " + key + " is given twice");
        reader.skipChildren();
      } else {
        value(reader, value, path + "." + key);
      }
    }
  }

  /** Checks the value that is the current token, leaving its last token current. */
  private void value(JsonParser reader, FieldDescriptor field, String path) throws IOException {
    JsonToken token = reader.currentToken();
    boolean string = token == JsonToken.VALUE_STRING;
    boolean number = token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT;
    String expected = switch (field.getJavaType()) {
      case STRING, BYTE_STRING -> string ? null : "a JSON string";
      case BOOLEAN -> token == JsonToken.VALUE_TRUE || token == JsonToken.VALUE_FALSE ? null : "true or false";
      case INT, LONG -> token == JsonToken.VALUE_NUMBER_INT || (string && integral(reader.getText(), field))
          ? null : "an integer";
      case FLOAT, DOUBLE -> number || string ? null : "a number";
      case ENUM -> string || token == JsonToken.VALUE_NUMBER_INT ? null : "an enum name or number";
      case MESSAGE -> wellKnown(field.getMessageType())
          ? (string ? null : "a JSON string")
          : (token == JsonToken.START_OBJECT ? null : "a JSON object");
    };
    if (expected != null) {
      violation(path, "expected " + expected);
      reader.skipChildren();
    } else if (token == JsonToken.START_OBJECT) {
      message(reader, field.getMessageType(), path);
    }
  }

  /** Whether a JSON string holds an integer of the field's range, as the mapping allows for integers. */
  private static boolean integral(String text, FieldDescriptor field) {
    try {
      long value = Long.parseLong(text);
      return field.getJavaType() == FieldDescriptor.JavaType.LONG
          || (value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE);
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** Whether a message type is written as a JSON string (Timestamp, Duration, FieldMask). */
  private static boolean wellKnown(Descriptor type) {
    return switch (type.getFullName()) {
      case "google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask" -> true;
      default -> false;
    };
  }

  private static FieldDescriptor field(Descriptor type, String name) {
    FieldDescriptor field = type.findFieldByName(name);
    if (field != null) {
      return field;
    }
    for (FieldDescriptor candidate : type.getFields()) {
      if (candidate.getJsonName().equals(name)) {
        return candidate;
      }
    }
    return null;
  }

  private void violation(String field, String description) {
    violations.add(BadRequest.FieldViolation.newBuilder().setField(field).setDescription(description).build());
  }
}
