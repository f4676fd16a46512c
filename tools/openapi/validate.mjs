#!/usr/bin/env node
// Validates an OpenAPI document with @apidevtools/swagger-parser (the OpenAPI 3.0 JSON Schema and its
// semantic checks: unique operationIds, path parameters declared, $refs resolving), then checks it against
// the contract it came from: one operation per google.api.http rule of user.proto, each answering errors
// with the google.rpc.Status schema.
// Usage: node validate.mjs <openapi.json> <expected route count>
import SwaggerParser from "@apidevtools/swagger-parser";

const [file, expectedRoutes] = process.argv.slice(2);
const api = await SwaggerParser.validate(file);
const failures = [];
let routes = 0;
for (const [path, operations] of Object.entries(api.paths)) {
  for (const [method, operation] of Object.entries(operations)) {
    routes++;
    const error = operation.responses?.default?.content?.["application/json"]?.schema;
    if (error?.properties?.code === undefined || error?.properties?.details === undefined) {
      failures.push(`${method.toUpperCase()} ${path}: the default response is not a google.rpc.Status`);
    }
    if (operation.description === undefined) {
      failures.push(`${method.toUpperCase()} ${path}: no description (a proto comment is missing)`);
    }
  }
}
if (routes !== Number(expectedRoutes)) {
  failures.push(`${routes} operations, but user.proto has ${expectedRoutes} google.api.http rules`);
}
if (failures.length > 0) {
  console.error(failures.join("\n"));
  process.exit(1);
}
console.log(`${file}: valid OpenAPI ${api.openapi}, "${api.info.title}", ${routes} operations`);
