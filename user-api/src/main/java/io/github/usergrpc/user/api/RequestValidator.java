package io.github.usergrpc.user.api;

import static java.util.Objects.requireNonNull;

import build.buf.protovalidate.ValidationResult;
import build.buf.protovalidate.Validator;
import build.buf.protovalidate.ValidatorFactory;
import build.buf.protovalidate.Violation;
import build.buf.protovalidate.exceptions.CompilationException;
import build.buf.protovalidate.exceptions.ValidationException;
import build.buf.validate.FieldPath;
import build.buf.validate.FieldPathElement;
import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.rpc.BadRequest;
import com.google.rpc.Status;
import io.github.usergrpc.user.v1.ErrorReason;
import io.github.usergrpc.user.v1.UserProto;
import io.grpc.Status.Code;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Checks UserService requests against the contract's rules, the same way in the client (before sending) and
 * in the server (before any handler runs), and describes what is broken as the {@code google.rpc.Status}
 * the server answers: INVALID_ARGUMENT with an {@code ErrorInfo} (reason {@link ErrorReason#INVALID_FIELDS})
 * and a {@code google.rpc.BadRequest} with one field violation per broken rule.
 *
 * <p>The rules are the protovalidate rules declared in user.proto, plus one that user.proto states in words
 * for every string field: no NUL character (U+0000; field violation reason {@value #NO_NUL_RULE}), which
 * PostgreSQL cannot store in text. Field paths use the syntax of {@code BadRequest.FieldViolation.field}:
 * {@code email}, {@code users[2].name}, {@code labels["team"]}; empty for a rule on the whole message.
 *
 * <p>Thread-safe; use the shared instance from {@link #get()}.
 */
public final class RequestValidator {

  /** The {@code BadRequest.FieldViolation.reason} of a string that contains U+0000. */
  public static final String NO_NUL_RULE = "string.no_nul";

  /** The {@code BadRequest.FieldViolation.description} of a string that contains U+0000. */
  static final String NO_NUL_DESCRIPTION = "must not contain the NUL character (U+0000)";

  private final Validator validator;

  private RequestValidator(Validator validator) {
    this.validator = validator;
  }

  /**
   * Returns the validator shared by everything in the JVM: it depends only on the contract, and compiling
   * the rules of user.proto costs tens of milliseconds (seconds for the first in a JVM), which every client
   * and server, such as each testkit fake, would otherwise pay again. The rules compile on the first call.
   *
   * @return the shared validator
   */
  public static RequestValidator get() {
    return Shared.INSTANCE;
  }

  /**
   * Checks {@code request} against the contract's rules.
   *
   * @param request a request message of the UserService
   * @return one field violation per broken rule, in the order protovalidate reports them followed by the
   *     NUL violations in field order; no violations when the request is valid
   * @throws ValidationException when a rule cannot be evaluated (a failure of the rules, not of the request)
   */
  public BadRequest validate(Message request) throws ValidationException {
    requireNonNull(request, "request");
    ValidationResult result = validator.validate(request);
    BadRequest.Builder badRequest = BadRequest.newBuilder();
    for (Violation violation : result.getViolations()) {
      build.buf.validate.Violation proto = violation.toProto();
      badRequest.addFieldViolations(BadRequest.FieldViolation.newBuilder()
          .setField(fieldPath(proto.getField()))
          .setDescription(proto.getMessage())
          .setReason(proto.getRuleId()));
    }
    addNulViolations(request, "", badRequest);
    return badRequest.build();
  }

  /**
   * Returns the status of a request that breaks {@code badRequest}'s rules: INVALID_ARGUMENT, a message that
   * lists them ({@code invalid request: email value must be a valid email address; ...}), an {@code
   * ErrorInfo} with reason INVALID_FIELDS and the {@code BadRequest} itself.
   *
   * @param badRequest the violations, at least one
   * @return the status the server answers, and the client fails with, for the request
   * @throws IllegalArgumentException when {@code badRequest} has no violations
   */
  public static Status invalidFields(BadRequest badRequest) {
    if (badRequest.getFieldViolationsCount() == 0) {
      throw new IllegalArgumentException("badRequest: no field violations (expected: at least one)");
    }
    StringBuilder message = new StringBuilder("invalid request: ");
    for (int i = 0; i < badRequest.getFieldViolationsCount(); i++) {
      BadRequest.FieldViolation violation = badRequest.getFieldViolations(i);
      if (i > 0) {
        message.append("; ");
      }
      message.append(violation.getField().isEmpty() ? "request" : violation.getField())
          .append(' ').append(violation.getDescription());
    }
    return Status.newBuilder()
        .setCode(Code.INVALID_ARGUMENT.value())
        .setMessage(message.toString())
        .addDetails(Any.pack(ErrorReasons.errorInfo(ErrorReason.INVALID_FIELDS, Map.of())))
        .addDetails(Any.pack(badRequest))
        .build();
  }

  /** Adds a violation for every string, at any depth and in map keys too, that contains U+0000. */
  private static void addNulViolations(Message message, String prefix, BadRequest.Builder badRequest) {
    for (FieldDescriptor field : StringFields.of(message.getDescriptorForType())) {
      if (field.isMapField()) {
        FieldDescriptor keyField = field.getMessageType().findFieldByNumber(1);
        FieldDescriptor valueField = field.getMessageType().findFieldByNumber(2);
        for (Object entry : (List<?>) message.getField(field)) {
          Message mapEntry = (Message) entry;
          Object key = mapEntry.getField(keyField);
          Object value = mapEntry.getField(valueField);
          boolean nulKey = containsNul(key);
          if (nulKey || containsNul(value) || value instanceof Message) {
            String path = prefix + field.getName() + subscript(keyField.getType(), key);
            if (nulKey) {
              addNulViolation(path, badRequest);
            }
            checkValue(value, path, badRequest);
          }
        }
      } else if (field.isRepeated()) {
        int count = message.getRepeatedFieldCount(field);
        for (int i = 0; i < count; i++) {
          Object value = message.getRepeatedField(field, i);
          if (containsNul(value) || value instanceof Message) {
            checkValue(value, prefix + field.getName() + "[" + i + "]", badRequest);
          }
        }
      } else if (!field.hasPresence() || message.hasField(field)) {
        Object value = message.getField(field);
        if (containsNul(value) || value instanceof Message) {
          checkValue(value, prefix + field.getName(), badRequest);
        }
      }
    }
  }

  private static void checkValue(Object value, String path, BadRequest.Builder badRequest) {
    if (containsNul(value)) {
      addNulViolation(path, badRequest);
    } else if (value instanceof Message nested) {
      addNulViolations(nested, path + ".", badRequest);
    }
  }

  private static boolean containsNul(Object value) {
    return value instanceof String text && text.indexOf('\u0000') >= 0;
  }

  private static void addNulViolation(String path, BadRequest.Builder badRequest) {
    badRequest.addFieldViolations(BadRequest.FieldViolation.newBuilder()
        .setField(path)
        .setDescription(NO_NUL_DESCRIPTION)
        .setReason(NO_NUL_RULE));
  }

  /** Returns protovalidate's field path in the syntax of {@code BadRequest.FieldViolation.field}. */
  static String fieldPath(FieldPath fieldPath) {
    StringBuilder path = new StringBuilder();
    for (FieldPathElement element : fieldPath.getElementsList()) {
      if (path.length() > 0) {
        path.append('.');
      }
      path.append(element.getFieldName());
      switch (element.getSubscriptCase()) {
        case INDEX -> path.append('[').append(element.getIndex()).append(']');
        case BOOL_KEY -> path.append('[').append(element.getBoolKey()).append(']');
        case INT_KEY -> path.append('[').append(element.getIntKey()).append(']');
        case UINT_KEY -> path.append('[').append(Long.toUnsignedString(element.getUintKey())).append(']');
        case STRING_KEY -> path.append(stringSubscript(element.getStringKey()));
        case SUBSCRIPT_NOT_SET -> { }
      }
    }
    return path.toString();
  }

  /** Returns the subscript of a map entry's key, written as {@link #fieldPath} writes protovalidate's. */
  private static String subscript(FieldDescriptor.Type keyType, Object key) {
    return switch (keyType) {
      case STRING -> stringSubscript((String) key);
      case UINT32, FIXED32 -> "[" + Integer.toUnsignedString((Integer) key) + "]";
      case UINT64, FIXED64 -> "[" + Long.toUnsignedString((Long) key) + "]";
      default -> "[" + key + "]";
    };
  }

  private static String stringSubscript(String key) {
    return "[\"" + key + "\"]";
  }

  /**
   * The fields of each message type that can hold a string at some depth (strings, and messages, lists and
   * maps that contain one), in field-number order: the NUL check reads only those, and skips a request
   * without any at once. Computed once per type.
   */
  private static final class StringFields {
    private static final ConcurrentMap<Descriptor, List<FieldDescriptor>> BY_TYPE = new ConcurrentHashMap<>();

    static List<FieldDescriptor> of(Descriptor type) {
      List<FieldDescriptor> fields = BY_TYPE.get(type);
      return fields != null ? fields : BY_TYPE.computeIfAbsent(type, StringFields::find);
    }

    private static List<FieldDescriptor> find(Descriptor type) {
      List<FieldDescriptor> fields = new ArrayList<>();
      for (FieldDescriptor field : type.getFields()) {
        if (mayHoldString(field, new HashSet<>())) {
          fields.add(field);
        }
      }
      fields.sort(Comparator.comparingInt(FieldDescriptor::getNumber));
      return List.copyOf(fields);
    }

    private static boolean mayHoldString(FieldDescriptor field, Set<Descriptor> visited) {
      return switch (field.getJavaType()) {
        case STRING -> true;
        case MESSAGE -> holdsString(field.getMessageType(), visited);
        default -> false;
      };
    }

    /** Whether any type reachable from {@code type} has a string field; each type is looked at once. */
    private static boolean holdsString(Descriptor type, Set<Descriptor> visited) {
      if (!visited.add(type)) {
        return false;
      }
      for (FieldDescriptor field : type.getFields()) {
        if (mayHoldString(field, visited)) {
          return true;
        }
      }
      return false;
    }
  }

  /** Compiles the rules on first use of {@link #get()}, not when the class is loaded. */
  private static final class Shared {
    static final RequestValidator INSTANCE = new RequestValidator(compile());

    private static Validator compile() {
      try {
        return ValidatorFactory.newBuilder().buildWithDescriptors(
            UserProto.getDescriptor().getMessageTypes(), false);
      } catch (CompilationException e) {
        throw new IllegalStateException("the validation rules of user.proto do not compile", e);
      }
    }
  }
}
