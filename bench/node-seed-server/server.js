#!/usr/bin/env node
// Benchmark baseline: the UserService server of the seed tutorial (../shared/seed), as a team would run it
// from that text. Same libraries (@grpc/grpc-js + @grpc/proto-loader, dynamic loading), same loader options,
// same handlers, and the UNTOUCHED seed contract user-api/src/test/seed/user.proto. The tutorial's database
// calls (drizzle on PostgreSQL) become an in-memory Map, as issue 7 asks, kept in creation order so that a
// page is a slice, the way an index on created_at serves the tutorial's ORDER BY ... LIMIT ... OFFSET.
//
// Usage: node server.js [port]   (default 50051; the tutorial binds 0.0.0.0:50051)
"use strict";

const path = require("path");
const crypto = require("crypto");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const PROTO_PATH = path.join(REPO_ROOT, "user-api", "src", "test", "seed", "user.proto");
const port = Number(process.argv[2] || process.env.PORT || 50051);

// Exactly the tutorial's loader options.
const packageDefinition = protoLoader.loadSync(PROTO_PATH, {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const proto = grpc.loadPackageDefinition(packageDefinition);

// The "database": users by id, plus the ids in creation order and the emails taken (the tutorial relies
// on a unique constraint, error 23505, for ALREADY_EXISTS).
const users = new Map();
const order = [];
const emails = new Set();

function toProtoUser(user) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    createdAt: Math.floor(user.createdAt.getTime() / 1000),
  };
}

const userService = {
  async getUser(call, callback) {
    try {
      const user = users.get(call.request.id);
      if (!user) {
        return callback({ code: grpc.status.NOT_FOUND, message: `User ${call.request.id} not found` });
      }
      callback(null, toProtoUser(user));
    } catch (err) {
      callback({ code: grpc.status.INTERNAL, message: "Internal error" });
    }
  },

  async createUser(call, callback) {
    try {
      const { email, name, role } = call.request;
      if (emails.has(email)) {
        return callback({ code: grpc.status.ALREADY_EXISTS, message: "Email already exists" });
      }
      const user = { id: crypto.randomUUID(), email, name, role: role || "viewer", createdAt: new Date() };
      users.set(user.id, user);
      order.push(user.id);
      emails.add(email);
      callback(null, toProtoUser(user));
    } catch (err) {
      callback({ code: grpc.status.INTERNAL, message: "Internal error" });
    }
  },

  async listUsers(call, callback) {
    const { page = 1, limit = 20, roleFilter } = call.request;
    const offset = (page - 1) * limit;
    // Newest first (ORDER BY created_at DESC), filtered, then LIMIT/OFFSET; plus count(*).
    const matching = [];
    for (let i = order.length - 1; i >= 0; i--) {
      const user = users.get(order[i]);
      if (user && (!roleFilter || user.role === roleFilter)) {
        matching.push(user);
      }
    }
    callback(null, {
      users: matching.slice(offset, offset + limit).map(toProtoUser),
      total: matching.length,
      page,
    });
  },

  async updateUser(call, callback) {
    const user = users.get(call.request.id);
    if (!user) {
      return callback({ code: grpc.status.NOT_FOUND, message: `User ${call.request.id} not found` });
    }
    if (call.request.name !== undefined && call.request.name !== null) user.name = call.request.name;
    if (call.request.role !== undefined && call.request.role !== null) user.role = call.request.role;
    callback(null, toProtoUser(user));
  },

  async deleteUser(call, callback) {
    const user = users.get(call.request.id);
    if (!user) {
      return callback({ code: grpc.status.NOT_FOUND, message: `User ${call.request.id} not found` });
    }
    users.delete(user.id);
    emails.delete(user.email);
    callback(null, {});
  },

  // Server streaming, as in the tutorial: a fake event every 5 seconds.
  watchUserActivity(call) {
    const userId = call.request.userId;
    const interval = setInterval(() => {
      call.write({ userId, action: "page_view", details: "/dashboard", timestamp: Math.floor(Date.now() / 1000) });
    }, 5000);
    call.on("cancelled", () => clearInterval(interval));
  },
};

const server = new grpc.Server();
server.addService(proto.user.UserService.service, userService);
server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, boundPort) => {
  if (err) throw err;
  console.log(`gRPC server running on port ${boundPort}`);
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.tryShutdown(() => process.exit(0)));
}
