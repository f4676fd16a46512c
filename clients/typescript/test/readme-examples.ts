// The examples of README.md, compiled with the tests so that they stay true to the package's types (not run:
// they need a server; user-service.test.ts runs the same calls).
import { create } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  CreateUserRequestSchema,
  ErrorInfoSchema,
  createValidator,
  type UserResponse,
} from "@usergrpc/user-api";
import { createUserClient } from "@usergrpc/user-api/node";
import { createUserClient as createWebClient } from "@usergrpc/user-api/web";

export async function fiveLines(): Promise<UserResponse> {
  const users = createUserClient("http://127.0.0.1:50051");
  const created = await users.createUser({ email: "ada@example.com", name: "Ada Lovelace" });
  const user = await users.getUser({ id: created.id });
  return user;
}

export function browser() {
  return createWebClient("https://example.com");
}

export async function errors(user: UserResponse): Promise<void> {
  const users = createUserClient("http://127.0.0.1:50051");
  try {
    await users.updateUser({ id: user.id, etag: user.etag, name: "Ada" });
  } catch (e) {
    const err = ConnectError.from(e);
    const [info] = err.findDetails(ErrorInfoSchema);
    if (err.code === Code.Aborted && info?.reason === "ETAG_MISMATCH") {
      // someone else changed the user: read it again and retry
    }
  }
}

export async function watch(userId: string): Promise<void> {
  const users = createUserClient("http://127.0.0.1:50051");
  let resumeAfter = 0n;
  const abort = new AbortController();
  for await (const event of users.watchUserActivity({ userId, resumeAfter }, {
    signal: abort.signal,
    onHeader: (h) => { resumeAfter = BigInt(h.get("activity-resume-after") ?? resumeAfter); },
  })) {
    resumeAfter = event.sequence;
    console.log(event.action, event.details);
  }
}

export function validation(): string[] {
  const result = createValidator().validate(CreateUserRequestSchema, create(CreateUserRequestSchema, { email: "x" }));
  return result.kind === "invalid" ? result.violations.map((v) => v.ruleId) : [];
}
