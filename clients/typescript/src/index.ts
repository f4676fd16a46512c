/**
 * The UserService contract for TypeScript: the messages and the service descriptor generated from
 * user.proto, the google.rpc error details the server sends, and what a caller needs to handle errors and
 * to check requests before sending them.
 *
 * Clients: `createUserClient` from "@usergrpc/user-api/node" (gRPC over HTTP/2) or
 * "@usergrpc/user-api/web" (gRPC-Web, for browsers).
 *
 * @packageDocumentation
 */
import type { Client } from "@connectrpc/connect";
import type { UserService } from "./gen/user_pb.js";

export * from "./gen/user_pb.js";
export * from "./gen/google/rpc/error_details_pb.js";
export * from "./gen/google/rpc/status_pb.js";

// The same instances the clients use, so that `instanceof ConnectError` holds for their errors.
export { Code, ConnectError } from "@connectrpc/connect";
export type { CallOptions } from "@connectrpc/connect";

// The validator that reads the buf.validate rules of user.proto; the server applies the same rules.
export { createValidator } from "@bufbuild/protovalidate";
export type { Validator, ValidationResult } from "@bufbuild/protovalidate";

/** A typed client of UserService: one method per RPC, in camelCase (`getUser`, `watchUserActivity`, ...). */
export type UserServiceClient = Client<typeof UserService>;
