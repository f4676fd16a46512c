#!/usr/bin/env node
// A protoc plugin (run by buf, see openapi.gen.yaml) that writes an OpenAPI 3.0 document of the HTTP/JSON
// API of every service in the files to generate:
//   - one operation per RPC with a google.api.http rule: its method and path template; path variables and,
//     for rules without a body, the other request fields as query parameters; the body for `body: "*"`;
//   - schemas from the messages in the proto3 JSON mapping (camelCase names; 64-bit integers as strings;
//     enums by name; well-known types as their JSON forms), with the buf.validate rules that JSON Schema can
//     say (lengths, patterns, email and uuid formats, minimums);
//   - every error as a google.rpc.Status body (the `default` response);
//   - a server-streaming RPC as a stream of its messages (server-sent events or newline-delimited JSON);
//   - descriptions from the proto comments.
// Plugin options (buf `opt`): title=..., version=... (info.title and info.version).
// Anything the mapping does not cover (another body field than "*", a nested path template, client
// streaming) fails the generation instead of writing a wrong document.
import { create, createFileRegistry, getOption, ScalarType } from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
import {
  CodeGeneratorResponse_Feature,
  CodeGeneratorResponseSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import { getComments, runNodeJs } from "@bufbuild/protoplugin";

const OPENAPI_VERSION = "3.0.3";
const STATUS = "google.rpc.Status";
// buf.validate.Ignore values.
const IGNORE_IF_ZERO_VALUE = 1;
const IGNORE_ALWAYS = 3;

runNodeJs({
  name: "protoc-gen-openapi",
  version: "v1",
  run(request) {
    const options = parseOptions(request.parameter);
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: request.protoFile }));
    const services = request.fileToGenerate.flatMap((name) => registry.getFile(name).services);
    if (services.length === 0) {
      throw new Error("no service in the files to generate");
    }
    const document = new DocumentWriter(registry, options).write(services);
    return create(CodeGeneratorResponseSchema, {
      supportedFeatures: BigInt(CodeGeneratorResponse_Feature.PROTO3_OPTIONAL),
      file: [{ name: "openapi.json", content: JSON.stringify(document, null, 2) + "\n" }],
    });
  },
});

function parseOptions(parameter) {
  const options = { title: undefined, version: "v1" };
  for (const pair of parameter.split(",").filter((p) => p !== "")) {
    const [key, ...rest] = pair.split("=");
    if (!(key in options)) {
      throw new Error(`unknown option ${key} (known: ${Object.keys(options).join(", ")})`);
    }
    options[key] = rest.join("=");
  }
  return options;
}

class DocumentWriter {
  constructor(registry, options) {
    this.registry = registry;
    this.options = options;
    this.http = extension(registry, "google.api.http");
    this.fieldRules = registry.getExtension("buf.validate.field"); // absent when nothing imports protovalidate
    this.schemas = new Map(); // type name -> schema, filled as messages are referenced
    this.pending = [];
  }

  write(services) {
    const paths = {};
    for (const service of services) {
      for (const method of service.methods) {
        const rule = getOption(method, this.http);
        if (rule.pattern.case === undefined) {
          continue; // no HTTP route
        }
        if (rule.pattern.case === "custom") {
          throw new Error(`${method.toString()}: custom HTTP methods are not supported`);
        }
        const { path, variables } = pathTemplate(rule.pattern.value, method);
        paths[path] ??= {};
        paths[path][rule.pattern.case] = this.operation(service, method, rule, variables);
      }
    }
    this.ref(this.registry.getMessage(STATUS));
    while (this.pending.length > 0) {
      const message = this.pending.shift();
      this.schemas.set(message.typeName, this.messageSchema(message));
    }
    const service = services[0];
    return {
      openapi: OPENAPI_VERSION,
      info: {
        title: this.options.title ?? service.name,
        version: this.options.version,
        description: comment(service),
      },
      tags: services.map((s) => ({ name: s.name, description: firstParagraph(comment(s)) })),
      paths: sortedObject(paths),
      components: {
        schemas: sortedObject(Object.fromEntries(this.schemas)),
        responses: {
          Error: {
            description:
              "An error: the google.rpc.Status of the call as JSON, with the HTTP status that " +
              "google/rpc/code.proto gives its code (INVALID_ARGUMENT 400, UNAUTHENTICATED 401, " +
              "PERMISSION_DENIED 403, NOT_FOUND 404, ALREADY_EXISTS and ABORTED 409, RESOURCE_EXHAUSTED 429, " +
              "INTERNAL 500, UNAVAILABLE 503, ...). Its details hold a google.rpc.ErrorInfo with the reason.",
            content: { "application/json": { schema: this.ref(this.registry.getMessage(STATUS)) } },
          },
        },
      },
    };
  }

  operation(service, method, rule, variables) {
    if (method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming") {
      throw new Error(`${method.toString()}: client streaming has no HTTP mapping`);
    }
    const input = method.input;
    const text = comment(method);
    const operation = {
      operationId: `${service.name}_${method.name}`,
      tags: [service.name],
      summary: firstParagraph(text),
      description: text,
      parameters: [],
    };
    const bound = new Set();
    for (const variable of variables) {
      const field = input.fields.find((f) => f.name === variable);
      if (field === undefined || field.fieldKind !== "scalar") {
        throw new Error(`${method.toString()}: path variable {${variable}} is not a scalar field of ${input.typeName}`);
      }
      bound.add(field);
      operation.parameters.push({
        name: variable,
        in: "path",
        required: true,
        description: comment(field),
        schema: this.fieldSchema(field, false),
      });
    }
    const unbound = input.fields.filter((f) => !bound.has(f));
    if (rule.body === "*") {
      operation.requestBody = {
        required: true,
        content: {
          "application/json": {
            schema:
              bound.size === 0
                ? this.ref(input)
                : {
                    type: "object",
                    description: `${input.name} without the fields of the path.`,
                    properties: this.properties(unbound),
                    additionalProperties: false,
                  },
          },
        },
      };
    } else if (rule.body !== "") {
      throw new Error(`${method.toString()}: body "${rule.body}" is not supported, only "*" or none`);
    } else {
      for (const field of unbound) {
        if (field.fieldKind === "message" || field.fieldKind === "map") {
          throw new Error(`${method.toString()}: field ${field.name} cannot be a query parameter`);
        }
        operation.parameters.push({
          name: field.jsonName,
          in: "query",
          description: comment(field),
          schema: this.fieldSchema(field, true),
        });
      }
    }
    if (operation.parameters.length === 0) {
      delete operation.parameters;
    }
    const output = this.ref(method.output);
    operation.responses = {
      200:
        method.methodKind === "server_streaming"
          ? {
              description:
                `A stream of ${method.output.name} messages, while the call lasts. As server-sent events ` +
                "when the request accepts text/event-stream (each event's data is one message, its id the " +
                "message's sequence where it has one), else as newline-delimited JSON (one message per line).",
              content: {
                "text/event-stream": { schema: { type: "string" } },
                "application/x-ndjson": { schema: output },
              },
            }
          : { description: `The ${method.output.name}.`, content: { "application/json": { schema: output } } },
      default: { $ref: "#/components/responses/Error" },
    };
    return operation;
  }

  /** A $ref to the schema of a message, queueing the message for components.schemas. */
  ref(message) {
    const wellKnown = wellKnownSchema(message.typeName);
    if (wellKnown !== undefined) {
      return wellKnown;
    }
    if (!this.schemas.has(message.typeName)) {
      this.schemas.set(message.typeName, null); // reserved; written by write()
      this.pending.push(message);
    }
    return { $ref: `#/components/schemas/${message.typeName}` };
  }

  messageSchema(message) {
    return { type: "object", description: comment(message), properties: this.properties(message.fields) };
  }

  properties(fields) {
    return Object.fromEntries(fields.map((f) => [f.jsonName, this.fieldSchema(f, true)]));
  }

  fieldSchema(field, describe) {
    let schema;
    switch (field.fieldKind) {
      case "scalar":
        schema = { ...scalarSchema(field.scalar), ...this.rules(field) };
        break;
      case "enum":
        schema = { type: "string", enum: field.enum.values.map((v) => v.name) };
        break;
      case "message":
        schema = this.ref(field.message);
        break;
      case "list":
        schema = {
          type: "array",
          items:
            field.listKind === "message"
              ? this.ref(field.message)
              : field.listKind === "enum"
                ? { type: "string", enum: field.enum.values.map((v) => v.name) }
                : scalarSchema(field.scalar),
        };
        break;
      case "map":
        schema = {
          type: "object",
          additionalProperties:
            field.mapKind === "message"
              ? this.ref(field.message)
              : field.mapKind === "enum"
                ? { type: "string", enum: field.enum.values.map((v) => v.name) }
                : scalarSchema(field.scalar),
        };
        break;
      default:
        throw new Error(`${field.toString()}: unknown field kind ${field.fieldKind}`);
    }
    const text = describe ? comment(field) : undefined;
    if (text === undefined) {
      return schema;
    }
    // OpenAPI 3.0 ignores siblings of $ref; allOf carries the description with the reference.
    return schema.$ref !== undefined ? { description: text, allOf: [schema] } : { ...schema, description: text };
  }

  /** The buf.validate rules of a scalar field that JSON Schema can express. */
  rules(field) {
    if (this.fieldRules === undefined) {
      return {};
    }
    const fieldRules = getOption(field, this.fieldRules);
    if (fieldRules.ignore === IGNORE_ALWAYS) {
      return {};
    }
    const { case: kind, value } = fieldRules.type;
    const schema = {};
    if (kind === "string") {
      const set = this.setFields(value);
      if (set.minLen !== undefined && set.minLen > 0n) schema.minLength = Number(set.minLen);
      if (set.maxLen !== undefined) schema.maxLength = Number(set.maxLen);
      if (set.pattern !== undefined) schema.pattern = set.pattern;
      if (value.wellKnown.case === "email" && value.wellKnown.value) schema.format = "email";
      if (value.wellKnown.case === "uuid" && value.wellKnown.value) schema.format = "uuid";
    } else if (kind === "int32" || kind === "uint32") {
      // Only for 32-bit integers: 64-bit ones are strings in JSON, where a minimum means nothing.
      if (value.greaterThan.case === "gte") schema.minimum = Number(value.greaterThan.value);
      if (value.greaterThan.case === "gt") schema.minimum = Number(value.greaterThan.value) + 1;
      if (value.lessThan.case === "lte") schema.maximum = Number(value.lessThan.value);
      if (value.lessThan.case === "lt") schema.maximum = Number(value.lessThan.value) - 1;
    }
    if (fieldRules.ignore === IGNORE_IF_ZERO_VALUE && Object.keys(schema).length > 0) {
      // The rules hold only for a value that is set: an empty string or a 0 passes too.
      return { anyOf: [{ enum: [kind === "string" ? "" : 0] }, schema] };
    }
    return schema;
  }

  /** The fields that are set in a message of the rules (proto2: an unset field reads as its default). */
  setFields(message) {
    const reflected = reflect(this.registry.getMessage(message.$typeName), message);
    return Object.fromEntries(
      reflected.fields.filter((f) => f.oneof === undefined && reflected.isSet(f)).map((f) => [f.localName, reflected.get(f)]),
    );
  }
}

function extension(registry, name) {
  const ext = registry.getExtension(name);
  if (ext === undefined) {
    throw new Error(`the extension ${name} is not in the request; does the file import its .proto?`);
  }
  return ext;
}

/** "/v1/users/{user_id}/activity:watch" -> the same path and ["user_id"]; "{id=*}" becomes "{id}". */
function pathTemplate(template, method) {
  const variables = [];
  const path = template.replace(/\{([a-z_][a-z0-9_]*)(?:=([^}]*))?\}/g, (_, name, segments) => {
    if (segments !== undefined && segments !== "*") {
      throw new Error(`${method.toString()}: path variable {${name}=${segments}} is not supported, only {${name}}`);
    }
    variables.push(name);
    return `{${name}}`;
  });
  if (/[{}]/.test(path.replace(/\{[a-z_][a-z0-9_]*\}/g, ""))) {
    throw new Error(`${method.toString()}: cannot read the path template ${template}`);
  }
  return { path, variables };
}

function scalarSchema(scalar) {
  switch (scalar) {
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BYTES:
      return { type: "string", format: "byte" };
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.DOUBLE:
      return { type: "number", format: "double" };
    case ScalarType.FLOAT:
      return { type: "number", format: "float" };
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return { type: "integer", format: "int32" };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: "integer", format: "int64", minimum: 0 };
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      // proto3 JSON writes 64-bit integers as strings (JavaScript numbers lose precision above 2^53).
      return { type: "string", format: "int64", pattern: "^-?[0-9]+$" };
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return { type: "string", format: "uint64", pattern: "^[0-9]+$" };
    default:
      throw new Error(`unknown scalar type ${scalar}`);
  }
}

/** The proto3 JSON form of the well-known types that are not JSON objects of their fields. */
function wellKnownSchema(typeName) {
  switch (typeName) {
    case "google.protobuf.Timestamp":
      return { type: "string", format: "date-time" };
    case "google.protobuf.Duration":
      return { type: "string", pattern: "^-?[0-9]+(\\.[0-9]{1,9})?s$" };
    case "google.protobuf.Empty":
      return { type: "object" };
    case "google.protobuf.Struct":
      return { type: "object", additionalProperties: true };
    case "google.protobuf.Value":
      return {};
    case "google.protobuf.FieldMask":
      return { type: "string" };
    case "google.protobuf.StringValue":
      return { type: "string" };
    case "google.protobuf.BoolValue":
      return { type: "boolean" };
    case "google.protobuf.Int32Value":
    case "google.protobuf.UInt32Value":
      return { type: "integer" };
    case "google.protobuf.Int64Value":
    case "google.protobuf.UInt64Value":
      return { type: "string", format: "int64" };
    case "google.protobuf.DoubleValue":
    case "google.protobuf.FloatValue":
      return { type: "number" };
    case "google.protobuf.BytesValue":
      return { type: "string", format: "byte" };
    case "google.protobuf.Any":
      return {
        type: "object",
        description: "Any message, with its type URL in @type and its fields beside it.",
        properties: { "@type": { type: "string" } },
        required: ["@type"],
        additionalProperties: true,
      };
    default:
      return undefined;
  }
}

/** The element's leading comment, trimmed of the one space protoc keeps after "//". */
function comment(desc) {
  const text = getComments(desc).leading;
  if (text === undefined) {
    return undefined;
  }
  const result = text
    .split("\n")
    .map((line) => line.replace(/^ /, ""))
    .join("\n")
    .trim();
  return result === "" ? undefined : result;
}

function firstParagraph(text) {
  return text === undefined ? undefined : text.split("\n\n")[0].replace(/\n/g, " ");
}

function sortedObject(object) {
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => a.localeCompare(b)));
}
