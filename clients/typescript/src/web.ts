/**
 * The UserService client for browsers: gRPC-Web over fetch. It needs a server that speaks gRPC-Web (or a
 * proxy in front of a gRPC server); a plain gRPC port does not.
 *
 * @packageDocumentation
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport, type GrpcWebTransportOptions } from "@connectrpc/connect-web";
import { UserService } from "./gen/user_pb.js";
import type { UserServiceClient } from "./index.js";

/** Options of the gRPC-Web transport (interceptors, credentials, fetch), except the URL. */
export type UserClientOptions = Omit<GrpcWebTransportOptions, "baseUrl">;

/** Returns a client of the UserService at `baseUrl`, such as "https://example.com" or "/" (same origin). */
export function createUserClient(baseUrl: string, options: UserClientOptions = {}): UserServiceClient {
  return createClient(UserService, createGrpcWebTransport({ ...options, baseUrl }));
}
