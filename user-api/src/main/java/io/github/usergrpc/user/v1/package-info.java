/**
 * The UserService contract, generated from {@code user.proto}: the request, response and resource messages
 * ({@link io.github.usergrpc.user.v1.UserProto}), and the gRPC stubs and service base class
 * ({@link io.github.usergrpc.user.v1.UserServiceGrpc}). The proto's comments, including its validation rules
 * and the error reasons each RPC may answer with, are the documentation of these classes.
 *
 * <p><b>Public API.</b> Changes are additive only: {@code buf breaking} checks every change against the
 * original contract and the previous commit, wire and generated code alike.
 */
package io.github.usergrpc.user.v1;
