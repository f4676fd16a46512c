/**
 * The user-grpc console (index.html, served at /console/): lists the users a page at a time (with page
 * tokens), shows the one picked and watches its activity live, all over gRPC-Web on the page's own origin.
 * Plain DOM; text is set with textContent only, never parsed as HTML.
 *
 * When the server requires bearer tokens, the first call fails with UNAUTHENTICATED and the page asks for a
 * token, which it keeps in memory and sends on every call, but only from a secure context (HTTPS, or
 * localhost), as the Java client refuses to send a token over plaintext.
 */
import { Code, ConnectError, type ActivityEvent, type UserResponse } from "@usergrpc/user-api";
import { createUserClient } from "@usergrpc/user-api/web";
import { describe, watchActivity, type WatchState } from "./activity-watch.js";

const PAGE_SIZE = 20;

let token: string | undefined;
const client = createUserClient(location.origin, {
  interceptors: [
    (next) => async (request) => {
      if (token !== undefined) {
        request.header.set("authorization", `Bearer ${token}`);
      }
      return next(request);
    },
  ],
});

const ui = {
  status: byId("status"),
  tokenForm: byId("token-form") as HTMLFormElement,
  tokenLabel: document.querySelector("label[for=token]") as HTMLLabelElement,
  token: byId("token") as HTMLInputElement,
  users: byId("users"),
  more: byId("more") as HTMLButtonElement,
  reload: byId("reload") as HTMLButtonElement,
  userSection: byId("user-section"),
  details: byId("user-details"),
  watch: byId("watch"),
  activity: byId("activity"),
};

let nextPageToken = "";
let shown = 0;
/** The user picked, and what stops its watch. */
let selected: { id: string; stop: AbortController } | undefined;
/** What to do again once a token has been given. */
let afterToken: (() => void) | undefined;

// --- users, a page at a time ---------------------------------------------------------------------------------

async function loadUsers(fromStart: boolean): Promise<void> {
  const pageToken = fromStart ? "" : nextPageToken;
  ui.more.disabled = ui.reload.disabled = true;
  try {
    const page = await client.listUsers({ limit: PAGE_SIZE, pageToken });
    if (fromStart) {
      ui.users.replaceChildren();
      shown = 0;
    }
    for (const user of page.users) {
      ui.users.append(userItem(user));
    }
    shown += page.users.length;
    nextPageToken = page.nextPageToken;
    ui.more.hidden = nextPageToken === "";
    setStatus(fromStart ? `${page.total} users` : `${shown} users shown`);
  } catch (e) {
    failed(e, "listing users", () => void loadUsers(fromStart));
  } finally {
    ui.more.disabled = ui.reload.disabled = false;
  }
}

function userItem(user: UserResponse): HTMLLIElement {
  const button = element("button", "");
  button.type = "button";
  button.dataset.userId = user.id;
  button.setAttribute("aria-pressed", String(selected?.id === user.id));
  button.append(element("span", user.name, "name"), document.createElement("br"),
    element("span", `${user.email} · ${user.role}`, "email"));
  button.addEventListener("click", () => void select(user.id));
  const item = element("li", "");
  item.append(button);
  return item;
}

// --- one user and its activity -------------------------------------------------------------------------------

async function select(id: string): Promise<void> {
  selected?.stop.abort();
  const stop = new AbortController();
  selected = { id, stop };
  for (const button of ui.users.querySelectorAll<HTMLButtonElement>("button[data-user-id]")) {
    button.setAttribute("aria-pressed", String(button.dataset.userId === id));
  }
  ui.activity.replaceChildren();
  ui.userSection.hidden = false;
  if (!(await showUser(id))) {
    return;
  }
  watchActivity(client, id, stop.signal, {
    state: (state, detail) => setWatchState(state, detail),
    event: (event) => {
      ui.activity.prepend(activityItem(event));
      if (event.action === "user.updated") {
        void showUser(id);
      }
    },
  }).catch((e) => {
    if (selected?.id === id) {
      setWatchState("error", describe(ConnectError.from(e)));
      failed(e, "watching the user's activity", () => void select(id));
    }
  });
}

/** Reads the user and shows it; false when that failed. */
async function showUser(id: string): Promise<boolean> {
  try {
    const user = await client.getUser({ id });
    if (selected?.id !== id) {
      return false;
    }
    const rows: [string, string][] = [
      ["id", user.id], ["email", user.email], ["name", user.name], ["role", user.role],
      ["created", time(user.createdAt)], ["updated", time(user.updatedAt)], ["etag", user.etag],
    ];
    ui.details.replaceChildren(...rows.flatMap(([name, value]) => [element("dt", name), element("dd", value, name)]));
    const item = ui.users.querySelector<HTMLButtonElement>(`button[data-user-id="${CSS.escape(id)}"]`);
    item?.replaceWith(userItem(user).firstElementChild as HTMLButtonElement);
    return true;
  } catch (e) {
    failed(e, "reading the user", () => void select(id));
    return false;
  }
}

function activityItem(event: ActivityEvent): HTMLLIElement {
  const item = element("li", `${time(event.timestamp)}  ${event.action}${event.details ? `  ${event.details}` : ""}`);
  item.value = Number(event.sequence);
  item.dataset.sequence = String(event.sequence);
  item.dataset.action = event.action;
  item.dataset.details = event.details;
  return item;
}

function setWatchState(state: WatchState | "error", detail: string): void {
  ui.watch.dataset.state = state;
  ui.watch.textContent = detail === "" ? state : `${state}: ${detail}`;
}

// --- errors and tokens ---------------------------------------------------------------------------------------

function failed(e: unknown, what: string, retry: () => void): void {
  const error = ConnectError.from(e);
  if (error.code === Code.Unauthenticated) {
    askForToken(token === undefined ? "This server requires a bearer token." : "The server did not accept the token.",
      retry);
    setStatus(`${what}: ${describe(error)}`, true);
  } else if (error.code === Code.PermissionDenied) {
    setStatus(`${what}: the token does not allow it (${describe(error)})`, true);
  } else {
    setStatus(`${what}: ${describe(error)}`, true);
  }
}

function askForToken(why: string, retry: () => void): void {
  afterToken = retry;
  ui.tokenForm.hidden = false;
  if (!window.isSecureContext) {
    // As the Java client: a bearer token is a password, and plain HTTP would show it to the network.
    ui.tokenLabel.textContent = `${why} This page was not loaded over HTTPS, so it does not send one.`;
    ui.token.disabled = true;
    return;
  }
  ui.tokenLabel.textContent = `${why} Token:`;
  ui.token.focus();
}

ui.tokenForm.addEventListener("submit", (e) => {
  e.preventDefault();
  token = ui.token.value.trim();
  ui.token.value = "";
  ui.tokenForm.hidden = true;
  const retry = afterToken;
  afterToken = undefined;
  if (selected === undefined || retry === undefined) {
    void loadUsers(true);
  } else {
    void loadUsers(true).then(retry);
  }
});

// --- helpers -------------------------------------------------------------------------------------------------

function setStatus(text: string, error = false): void {
  ui.status.textContent = text;
  ui.status.classList.toggle("error", error);
}

function time(secondsSinceEpoch: bigint): string {
  return new Date(Number(secondsSinceEpoch) * 1000).toLocaleString();
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, text: string, className?: string) {
  const node = document.createElement(tag);
  node.textContent = text;
  if (className !== undefined) {
    node.className = className;
  }
  return node;
}

function byId(id: string): HTMLElement {
  const node = document.getElementById(id);
  if (node === null) {
    throw new Error(`index.html has no #${id}`);
  }
  return node;
}

ui.more.addEventListener("click", () => void loadUsers(false));
ui.reload.addEventListener("click", () => void loadUsers(true));
void loadUsers(true);
