// The typed client against a running Java UserService server: the main calls, their errors with the
// ErrorInfo reason, and a resumed watch. The server's address comes from USER_SERVER_URL (for example
// http://127.0.0.1:50051); user-server's TypeScriptClientInteropTest starts a server and sets it.
//
// Imports go through the package name, so the test uses the built package (dist) as a consumer does.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import {
  BadRequestSchema,
  Code,
  ConnectError,
  CreateUserRequestSchema,
  ErrorInfoSchema,
  createValidator,
  type ActivityEvent,
  type UserServiceClient,
} from "@usergrpc/user-api";
import { createUserClient } from "@usergrpc/user-api/node";

const ERROR_DOMAIN = "usergrpc.github.io";
/**
 * Bounds each test and each wait for an event, so that a server that stops answering fails the test
 * instead of hanging it. (Not the transport's defaultTimeoutMs: connect-node 2.1.1 leaves the deadline
 * timer of a cancelled stream running, which keeps the process alive until it fires.)
 */
const TIMEOUT_MS = 10_000;

const serverUrl = process.env.USER_SERVER_URL;
const skip = serverUrl
  ? false
  : "USER_SERVER_URL is not set: start a UserService server and set it, e.g. USER_SERVER_URL=http://127.0.0.1:50051";

describe("UserService through the typed Node.js client", { skip, timeout: 3 * TIMEOUT_MS }, () => {
  const users: UserServiceClient = createUserClient(serverUrl ?? "http://unused");
  const run = randomUUID().slice(0, 8);
  const email = (name: string) => `${name}.${run}@example.com`;

  test("createUser then getUser return the same user", async () => {
    const created = await users.createUser({ email: email("ada"), name: "Ada", role: "editor" });
    assert.match(created.id, /^[0-9a-f-]{36}$/);
    assert.equal(created.role, "editor");
    assert.notEqual(created.etag, "");
    assert.equal(typeof created.createdAt, "bigint"); // int64 is a bigint, never a lossy number
    assert.equal(created.updatedAt, created.createdAt);

    const read = await users.getUser({ id: created.id });
    assert.deepEqual(read, created);
  });

  test("listUsers pages with page tokens through every user of a role, each once", async () => {
    const role = `ts_${run}`.replace(/-/g, "_");
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      ids.add((await users.createUser({ email: email(`page${i}`), name: `Page ${i}`, role })).id);
    }

    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await users.listUsers({ limit: 2, roleFilter: role, pageToken });
      assert.ok(page.users.length <= 2);
      seen.push(...page.users.map((u) => u.id));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken !== "" && pages < 10);

    assert.equal(pages, 3);
    assert.deepEqual(new Set(seen), ids);
    assert.equal(seen.length, ids.size);
  });

  test("updateUser with the current etag succeeds; with a stale etag it fails with ETAG_MISMATCH", async () => {
    const user = await users.createUser({ email: email("grace"), name: "Grace" });

    const updated = await users.updateUser({ id: user.id, etag: user.etag, name: "Grace Hopper" });
    assert.equal(updated.name, "Grace Hopper");
    assert.notEqual(updated.etag, user.etag);

    const stale = await failure(users.updateUser({ id: user.id, etag: user.etag, name: "Lost update" }));
    assert.equal(stale.code, Code.Aborted);
    assert.deepEqual(reasonOf(stale), { reason: "ETAG_MISMATCH", domain: ERROR_DOMAIN });
    assert.equal((await users.getUser({ id: user.id })).name, "Grace Hopper");
  });

  test("errors carry their ErrorInfo reason", async () => {
    const missing = await failure(users.getUser({ id: "no-such-user" }));
    assert.equal(missing.code, Code.NotFound);
    assert.deepEqual(reasonOf(missing), { reason: "USER_NOT_FOUND", domain: ERROR_DOMAIN });

    await users.createUser({ email: email("taken"), name: "First" });
    const taken = await failure(users.createUser({ email: email("TAKEN"), name: "Second" }));
    assert.equal(taken.code, Code.AlreadyExists);
    assert.deepEqual(reasonOf(taken), { reason: "EMAIL_ALREADY_EXISTS", domain: ERROR_DOMAIN });

    const token = await failure(users.listUsers({ pageToken: "not-a-token" }));
    assert.equal(token.code, Code.InvalidArgument);
    assert.deepEqual(reasonOf(token), { reason: "INVALID_PAGE_TOKEN", domain: ERROR_DOMAIN });
  });

  test("the protovalidate rules give the client the violations the server answers with", async () => {
    const request = create(CreateUserRequestSchema, { email: "not an email", name: "  " });

    const local = createValidator().validate(CreateUserRequestSchema, request);
    assert.equal(local.kind, "invalid");
    const localRules = local.kind === "invalid" ? local.violations.map((v) => v.ruleId).sort() : [];
    assert.deepEqual(localRules, ["name.not_blank", "string.email"]);

    const remote = await failure(users.createUser(request));
    assert.equal(remote.code, Code.InvalidArgument);
    assert.deepEqual(reasonOf(remote), { reason: "INVALID_FIELDS", domain: ERROR_DOMAIN });
    const [badRequest] = remote.findDetails(BadRequestSchema);
    assert.ok(badRequest, "INVALID_FIELDS comes with a google.rpc.BadRequest");
    assert.deepEqual(badRequest.fieldViolations.map((v) => v.reason).sort(), localRules);
  });

  test("a watch broken before its first event resumes from activity-resume-after and misses nothing", async () => {
    const user = await users.createUser({ email: email("watched"), name: "Watched" });

    // First watch: live only. Its response headers say where it starts; it breaks before any event.
    const first = new AbortController();
    let resumeAfter: bigint | undefined;
    const started = new Promise<void>((resolve) => {
      const stream = users.watchUserActivity(
        { userId: user.id },
        {
          signal: first.signal,
          onHeader: (headers) => {
            const value = headers.get("activity-resume-after");
            if (value !== null) {
              resumeAfter = BigInt(value);
            }
            resolve();
          },
        },
      );
      // Iterating sends the call; it ends with the abort below.
      void (async () => {
        try {
          for await (const _ of stream) {
            // no event arrives before the abort: nothing changes the user meanwhile
          }
        } catch (e) {
          if (ConnectError.from(e).code !== Code.Canceled) {
            throw e;
          }
        }
      })();
    });
    try {
      await withTimeout(started, "the response headers of the first watch");
    } finally {
      first.abort();
    }
    assert.ok(resumeAfter !== undefined, "the watch's headers carry activity-resume-after");

    // While nobody watches, the user changes.
    const missed = await users.updateUser({ id: user.id, name: "Changed while away" });

    // Second watch, resumed: it replays the missed update, then continues live.
    const second = new AbortController();
    const events: ActivityEvent[] = [];
    const stream = users.watchUserActivity(
      { userId: user.id, resumeAfter },
      { signal: second.signal },
    );
    const received = (async () => {
      for await (const event of stream) {
        events.push(event);
        if (events.length === 1) {
          await users.updateUser({ id: user.id, role: "editor", etag: missed.etag });
        } else {
          return;
        }
      }
    })();
    try {
      await withTimeout(received, "two events on the resumed watch");
    } finally {
      second.abort();
    }

    assert.deepEqual(
      events.map((e) => [e.action, e.details]),
      [
        ["user.updated", "name"],
        ["user.updated", "role"],
      ],
    );
    assert.ok(events[0]!.sequence > resumeAfter!);
    assert.ok(events[1]!.sequence > events[0]!.sequence);
  });
});

/** Awaits a call that must fail, and returns its error as a ConnectError. */
async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (e) {
    return ConnectError.from(e);
  }
  assert.fail("the call succeeded, but it must fail");
}

/** The reason and domain of the error's google.rpc.ErrorInfo detail (exactly one). */
function reasonOf(error: ConnectError): { reason: string; domain: string } {
  const infos = error.findDetails(ErrorInfoSchema);
  assert.equal(infos.length, 1, `one ErrorInfo in ${error.message}`);
  return { reason: infos[0]!.reason, domain: infos[0]!.domain };
}

async function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
