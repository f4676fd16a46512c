#!/usr/bin/env node
// Interop check: a Node.js client written the way the original tutorial writes its client
// (@grpc/grpc-js + @grpc/proto-loader, dynamic loading, the tutorial's loader options), loading the
// UNTOUCHED original contract user-api/src/test/seed/user.proto, run against our server.
//
// Our user-api/src/main/proto/user.proto claims to be a wire-compatible superset of that seed; this
// script checks the claim from the point of view of an existing client that never saw our additions.
//
// Usage: node interop/node/seed-client.js <host:port>
// Prints one line per step; exits 0 when every step passes, 1 on the first failure (with the reason
// on stderr), 2 on bad usage. Gives up after 30 seconds overall.
"use strict";

const path = require("path");
const crypto = require("crypto");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");

const OVERALL_TIMEOUT_MS = 30_000;
const CALL_DEADLINE_MS = 10_000;
// A live watch only sees events committed after the server started it. The original contract has no
// resume field (our superset's WatchRequest.resume_after is unknown to this client), but any gRPC client
// sees the response headers, which our server sends as soon as the stream has started: the client waits
// for them (grpc-js' "metadata" event) before it changes the user, instead of guessing a delay.

// The seed, by its path from the repository root (this file is <root>/interop/node/seed-client.js).
const REPO_ROOT = path.resolve(__dirname, "..", "..");
const PROTO_PATH = path.join(REPO_ROOT, "user-api", "src", "test", "seed", "user.proto");

const address = process.argv[2];
if (!address) {
  console.error("usage: node seed-client.js <host:port>");
  process.exit(2);
}

// Exactly the tutorial's loader options.
const packageDefinition = protoLoader.loadSync(PROTO_PATH, {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const proto = grpc.loadPackageDefinition(packageDefinition);

const client = new proto.user.UserService(address, grpc.credentials.createInsecure());

let currentStep = "start";
let stepNumber = 0;

function fail(message) {
  console.error(`FAIL [${currentStep}]: ${message}`);
  try {
    client.close();
  } catch (ignored) {
    // exiting anyway
  }
  process.exit(1);
}

const overallTimer = setTimeout(
  () => fail(`timed out after ${OVERALL_TIMEOUT_MS / 1000} s overall`),
  OVERALL_TIMEOUT_MS,
);

function step(name) {
  currentStep = name;
}

function ok(detail) {
  stepNumber += 1;
  console.log(`ok ${stepNumber} ${currentStep}${detail ? ": " + detail : ""}`);
}

function check(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

function deadline() {
  return new Date(Date.now() + CALL_DEADLINE_MS);
}

// Promisify for async/await, as the tutorial does (plus a deadline per call).
function promisify(method) {
  return (request) =>
    new Promise((resolve, reject) => {
      method.call(client, request, { deadline: deadline() }, (err, response) => {
        if (err) reject(err);
        else resolve(response);
      });
    });
}

const userClient = {
  getUser: promisify(client.getUser),
  createUser: promisify(client.createUser),
  listUsers: promisify(client.listUsers),
  updateUser: promisify(client.updateUser),
  deleteUser: promisify(client.deleteUser),
};

function describeError(err) {
  if (err && typeof err.code === "number") {
    const name = Object.keys(grpc.status).find((key) => grpc.status[key] === err.code) || "?";
    return `gRPC ${name} (${err.code}): ${err.details}`;
  }
  return String(err && err.stack ? err.stack : err);
}

// Runs a call that must fail with the given status code; returns the error.
async function expectStatus(promise, expectedCode) {
  let response;
  try {
    response = await promise;
  } catch (err) {
    check(
      err && err.code === expectedCode,
      `expected status code ${expectedCode}, got ${describeError(err)}`,
    );
    return err;
  }
  throw new Error(`expected status code ${expectedCode}, got a response: ${JSON.stringify(response)}`);
}

function isPositiveNumberString(value) {
  return typeof value === "string" && /^[1-9][0-9]*$/.test(value);
}

function waitForReady() {
  return new Promise((resolve, reject) => {
    client.waitForReady(deadline(), (err) => (err ? reject(err) : resolve()));
  });
}

async function main() {
  step("connect");
  await waitForReady();
  ok(address);

  step("createUser");
  const email = `seed-${crypto.randomUUID()}@example.com`;
  const created = await userClient.createUser({ email, name: "Seed Client" });
  check(typeof created.id === "string" && created.id.length > 0, `id is empty: ${JSON.stringify(created)}`);
  check(created.email === email, `email is ${JSON.stringify(created.email)}, expected ${email}`);
  check(created.name === "Seed Client", `name is ${JSON.stringify(created.name)}`);
  check(created.role === "viewer", `role is ${JSON.stringify(created.role)}, expected "viewer" when omitted`);
  check(
    isPositiveNumberString(created.createdAt),
    `createdAt is ${JSON.stringify(created.createdAt)} (${typeof created.createdAt}), expected a positive number-string`,
  );
  ok(`id=${created.id} role=${created.role} createdAt=${created.createdAt}`);

  step("getUser");
  const got = await userClient.getUser({ id: created.id });
  for (const field of ["id", "email", "name", "role", "createdAt"]) {
    check(
      got[field] === created[field],
      `${field} is ${JSON.stringify(got[field])}, createUser returned ${JSON.stringify(created[field])}`,
    );
  }
  ok(`same values as createUser; fields seen: ${Object.keys(got).join(",")}`);

  step("getUser unknown id");
  const notFound = await expectStatus(userClient.getUser({ id: crypto.randomUUID() }), grpc.status.NOT_FOUND);
  // Our server also sends rich error details (google.rpc.Status with ErrorInfo) in the
  // grpc-status-details-bin trailer; a seed client does not need them, grpc-js just exposes the raw bytes.
  const richDetails = notFound.metadata && notFound.metadata.get("grpc-status-details-bin").length > 0;
  ok(`NOT_FOUND (5): ${notFound.details} (grpc-status-details-bin trailer: ${richDetails ? "present" : "absent"})`);

  step("createUser invalid email");
  const invalid = await expectStatus(
    userClient.createUser({ email: "not-an-email", name: "Invalid Email" }),
    grpc.status.INVALID_ARGUMENT,
  );
  ok(`INVALID_ARGUMENT (3): ${invalid.details}`);

  step("listUsers");
  const list = await userClient.listUsers({ page: 1, limit: 10 });
  check(Array.isArray(list.users), `users is not an array: ${JSON.stringify(list)}`);
  check(typeof list.total === "number" && list.total >= 1, `total is ${JSON.stringify(list.total)}, expected >= 1`);
  const listed = list.users.find((user) => user.id === created.id);
  check(listed !== undefined, `created user ${created.id} is not on page 1: ${JSON.stringify(list.users.map((u) => u.id))}`);
  check(listed.email === email, `listed email is ${JSON.stringify(listed.email)}`);
  ok(`${list.users.length} user(s) on page ${list.page}, total=${list.total}, contains ${created.id}`);

  step("updateUser name only");
  const renamed = await userClient.updateUser({ id: created.id, name: "Seed Client Renamed" });
  check(renamed.id === created.id, `id is ${JSON.stringify(renamed.id)}`);
  check(renamed.name === "Seed Client Renamed", `name is ${JSON.stringify(renamed.name)}`);
  check(renamed.role === "viewer", `role is ${JSON.stringify(renamed.role)}, expected unchanged "viewer"`);
  check(renamed.email === email, `email is ${JSON.stringify(renamed.email)}, expected unchanged`);
  check(renamed.createdAt === created.createdAt, `createdAt changed to ${JSON.stringify(renamed.createdAt)}`);
  ok(`name=${renamed.name} role=${renamed.role}`);

  step("watchUserActivity");
  const events = [];
  let streamError = null;
  let streamStatus = null;
  const call = client.watchUserActivity({ userId: created.id });
  const streamStarted = new Promise((resolve) => call.on("metadata", () => resolve("started")));
  const streamDone = new Promise((resolve) => {
    call.on("data", (event) => events.push(event));
    call.on("status", (status) => {
      streamStatus = status;
    });
    call.on("error", (err) => {
      streamError = err;
      resolve();
    });
    call.on("end", () => resolve());
  });
  // Without a resume point, the changes below must come after the server started the watch.
  let startTimer;
  const startTimeout = new Promise((resolve) => {
    startTimer = setTimeout(() => resolve("timeout"), CALL_DEADLINE_MS);
  });
  const start = await Promise.race([streamStarted, streamDone.then(() => "ended"), startTimeout]);
  clearTimeout(startTimer);
  check(streamError === null, `the watch failed: ${describeError(streamError)}`);
  check(start === "started", `the watch sent no response headers within ${CALL_DEADLINE_MS / 1000} s (${start})`);
  ok(`watching ${created.id}`);

  step("updateUser role");
  const promoted = await userClient.updateUser({ id: created.id, role: "editor" });
  check(promoted.role === "editor", `role is ${JSON.stringify(promoted.role)}, expected "editor"`);
  check(promoted.name === "Seed Client Renamed", `name is ${JSON.stringify(promoted.name)}, expected unchanged`);
  ok(`role=${promoted.role} name=${promoted.name}`);

  step("deleteUser");
  const deleted = await userClient.deleteUser({ id: created.id });
  check(deleted !== null && typeof deleted === "object", `response is ${JSON.stringify(deleted)}`);
  check(Object.keys(deleted).length === 0, `Empty has fields: ${JSON.stringify(deleted)}`);
  ok("Empty");

  step("watch events");
  let watchTimer;
  const watchTimeout = new Promise((resolve) => {
    watchTimer = setTimeout(() => resolve("timeout"), CALL_DEADLINE_MS);
  });
  const outcome = await Promise.race([streamDone, watchTimeout]);
  clearTimeout(watchTimer);
  if (outcome === "timeout") {
    call.cancel();
    throw new Error(
      `the watch did not end within ${CALL_DEADLINE_MS / 1000} s after user.deleted; events so far: ${JSON.stringify(events)}`,
    );
  }
  check(streamError === null, `the watch ended with ${describeError(streamError)}; events: ${JSON.stringify(events)}`);
  check(
    streamStatus !== null && streamStatus.code === grpc.status.OK,
    `the watch ended without an OK status: ${JSON.stringify(streamStatus)}`,
  );
  const actions = events.map((event) => event.action);
  check(
    JSON.stringify(actions) === JSON.stringify(["user.updated", "user.deleted"]),
    `actions are ${JSON.stringify(actions)}, expected ["user.updated","user.deleted"]`,
  );
  for (const event of events) {
    check(event.userId === created.id, `event for another user: ${JSON.stringify(event)}`);
    check(isPositiveNumberString(event.timestamp), `timestamp is not a positive number-string: ${JSON.stringify(event)}`);
  }
  ok(
    `${events.map((event) => `${event.action}(${JSON.stringify(event.details)})`).join(" then ")}, ` +
      `stream ended with OK; fields seen: ${Object.keys(events[0]).join(",")}`,
  );

  step("deleteUser again");
  const gone = await expectStatus(userClient.deleteUser({ id: created.id }), grpc.status.NOT_FOUND);
  ok(`NOT_FOUND (5): ${gone.details}`);
}

main().then(
  () => {
    clearTimeout(overallTimer);
    client.close();
    console.log(`PASS: all ${stepNumber} steps against ${address}`);
    process.exit(0);
  },
  (err) => fail(err instanceof Error && !("code" in err) ? err.message : describeError(err)),
);
