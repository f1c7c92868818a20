// The page's access to the Codette API, built on the typed SDK (@codette/client, sdk/typescript),
// bundled at install time into vendor/codette-client.js. REST is the source of truth; Socket.IO is
// the fast path (the SDK reconnects, re-subscribes and drops replayed repeats).
import { Codette, CodetteError } from "./vendor/codette-client.js";

const TOKEN_KEY = "codette.token";
export const POLL_MS = 1000;
export { CodetteError as ApiError };

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => { sessionStorage.setItem(TOKEN_KEY, value); client = null; },
  clear: () => { sessionStorage.removeItem(TOKEN_KEY); client?.close(); client = null; },
};

let client = null;
function codette() {
  client ??= new Codette({ url: location.origin, token: token.get() ?? "" });
  return client;
}

const enc = encodeURIComponent;
export const api = {
  openapi: () => codette().http.request("GET", "/api/v1/openapi.json"),
  config: () => codette().http.request("GET", "/ui/config.json", { auth: false }),
  // Hashes in the browser (WebCrypto) and uploads only what the server does not have yet.
  upload: (files, types, onProgress) => codette().submit(files, { trackTypes: types, onProgress }),
  batch: (id) => codette().batch(id),
  job: (id) => codette().job(id),
  putSession: (id, doc) => codette().session(id).put(doc),
  analyzeSession: (id) => codette().session(id).analyze(),
  // The session's suggestions as GET /sessions/<id>/suggestions ranks them for this user and context.
  rankedSuggestions: (sessionId, limit) => codette().session(sessionId).suggestions({ limit }),
  preview: (suggestionId) => codette().http.request("POST", `/api/v1/suggestions/${enc(suggestionId)}/preview`),
  // Several moves rendered together across the session's tracks: the mix before and after.
  previewSession: (sessionId, suggestionIds) => codette().http.request("POST",
    `/api/v1/sessions/${enc(sessionId)}/preview`, { json: { suggestion_ids: suggestionIds } }),
  feedback: (body) => codette().feedback(body),
  learningReport: () => codette().learningReport(),
  // Any other route, with the token; rejects with CodetteError {status, code, message}.
  request: (method, path, json) => codette().http.request(method, path, json === undefined ? {} : { json }),
};

const EVENTS = ["job.progress", "job.done", "job.failed", "batch.done", "session.done", "workflow.changed"];

// The page's live connection. `onEvent(name, payload)` receives each event once; `onState(connected)`
// the connection state. Returns a handle for `subscribe`.
export function connectLive({ onEvent, onState }) {
  const live = codette().live;
  for (const name of EVENTS) live.on(name, (payload) => onEvent(name, payload));
  live.onConnection(onState);
  return live;
}

// Subscribe to {batch_id} / {job_id} / {session_id}; resolves with the server's snapshot. The SDK
// renews the subscription after every reconnect by itself.
export function subscribe(live, target) {
  if (!live) return Promise.reject(new Error("not connected"));
  return live.subscribe(target);
}
