/**
 * The UserService client for Node.js: gRPC over HTTP/2, as the reference server's gRPC port speaks it.
 *
 * @packageDocumentation
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, type GrpcTransportOptions } from "@connectrpc/connect-node";
import { UserService } from "./gen/user_pb.js";
import type { UserServiceClient } from "./index.js";

/** Options of the Node.js transport (interceptors, compression, TLS and HTTP/2 settings), except the URL. */
export type UserClientOptions = Omit<GrpcTransportOptions, "baseUrl">;

/**
 * Returns a client of the UserService at `baseUrl`, such as "http://127.0.0.1:50051" (plaintext) or
 * "https://users.internal:50051" (TLS). The client opens one HTTP/2 connection when first used and keeps it.
 */
export function createUserClient(baseUrl: string, options: UserClientOptions = {}): UserServiceClient {
  return createClient(UserService, createGrpcTransport({ ...options, baseUrl }));
}
