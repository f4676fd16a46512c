/**
 * The activity watch of one user, kept open: it reconnects when the stream breaks, with `resume_after` set to
 * the last sequence seen (or, before the first event, to the `activity-resume-after` response header), so
 * that the server replays what happened meanwhile and nothing is missed or shown twice.
 */
import { Code, ConnectError, type ActivityEvent, type UserServiceClient } from "@usergrpc/user-api";

/**
 * What the watch is doing: `connecting` until the server's response headers (or the first event) arrive, `live`
 * from then on, `ended` after `user.deleted`. Armeria, which serves gRPC-Web, holds a stream's response headers
 * until its first message (as gRFC A6 suggests), so over gRPC-Web a watch says `live` with its first event.
 */
export type WatchState = "connecting" | "live" | "reconnecting" | "ended";

export interface WatchListener {
  state(state: WatchState, detail: string): void;
  event(event: ActivityEvent): void;
}

/** The response header that says which sequence the stream starts after (user.proto, WatchUserActivity). */
const RESUME_AFTER_HEADER = "activity-resume-after";
const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 8_000;

/**
 * Answers that another attempt would get again; the watch stops with them (the caller shows them, and asks for
 * a token on UNAUTHENTICATED). Everything else (a broken connection, UNAVAILABLE while the server restarts,
 * RESOURCE_EXHAUSTED for a watch that fell behind) is retried.
 */
const PERMANENT = new Set<Code>([
  Code.Unauthenticated, Code.PermissionDenied, Code.NotFound, Code.InvalidArgument, Code.Unimplemented,
]);

/**
 * Watches the activity of `userId` until `signal` aborts (then it resolves) or the user is deleted. Rejects
 * with the ConnectError of an answer in {@link PERMANENT}.
 */
export async function watchActivity(
  client: UserServiceClient, userId: string, signal: AbortSignal, listener: WatchListener,
): Promise<void> {
  let resumeAfter = 0n;
  let retryMs = FIRST_RETRY_MS;
  while (!signal.aborted) {
    listener.state("connecting", resumeAfter === 0n ? "" : `resuming after event ${resumeAfter}`);
    try {
      const stream = client.watchUserActivity({ userId, resumeAfter }, {
        signal,
        onHeader(headers) {
          const start = headers.get(RESUME_AFTER_HEADER);
          if (start !== null && /^[0-9]+$/.test(start)) {
            if (BigInt(start) > resumeAfter) {
              resumeAfter = BigInt(start);
            }
            listener.state("live", "");
          }
        },
      });
      for await (const event of stream) {
        listener.state("live", "");
        if (event.sequence <= resumeAfter) {
          continue; // already shown before a reconnect
        }
        resumeAfter = event.sequence;
        retryMs = FIRST_RETRY_MS;
        listener.event(event);
      }
      // The server completes the stream after the user.deleted event, and only then.
      listener.state("ended", "the user was deleted");
      return;
    } catch (e) {
      if (signal.aborted) {
        return;
      }
      const error = ConnectError.from(e);
      if (PERMANENT.has(error.code)) {
        throw error;
      }
      if (error.code === Code.OutOfRange) {
        // RESUME_POINT_EXPIRED: the server no longer has the events after resumeAfter; go on from now.
        resumeAfter = 0n;
      }
      listener.state("reconnecting", `${describe(error)}; reconnecting in ${(retryMs / 1000).toFixed(1)} s`);
      await sleep(retryMs, signal);
      retryMs = Math.min(2 * retryMs, MAX_RETRY_MS);
    }
  }
}

/** The code and the server's message, as shown to the user (status messages carry no internal detail). */
export function describe(error: ConnectError): string {
  return `${Code[error.code]}: ${error.rawMessage || "(no message)"}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
