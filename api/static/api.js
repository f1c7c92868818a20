// REST and Socket.IO access to the Codette API. REST is the source of truth; Socket.IO is the fast path.

const TOKEN_KEY = "codette.token";
export const POLL_MS = 1000;

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export async function request(method, path, { json, form, auth = true } = {}) {
  const headers = {};
  if (auth) headers.Authorization = `Bearer ${token.get()}`;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  const response = await fetch(path, { method, headers, body });
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) {
    const err = (data && data.error) || {};
    throw new ApiError(response.status, err.code || "http_" + response.status,
      err.message || `${method} ${path} answered ${response.status}`);
  }
  return data;
}

export const api = {
  openapi: () => request("GET", "/api/v1/openapi.json"),
  config: () => request("GET", "/ui/config.json", { auth: false }),
  upload(files, types) {
    const form = new FormData();
    for (const f of files) form.append("files", f, f.name);
    form.append("track_types", JSON.stringify(types));
    return request("POST", "/api/v1/analyses", { form });
  },
  batch: (id) => request("GET", `/api/v1/batches/${encodeURIComponent(id)}`),
  job: (id) => request("GET", `/api/v1/jobs/${encodeURIComponent(id)}`),
  putSession: (id, doc) => request("PUT", `/api/v1/sessions/${encodeURIComponent(id)}`, { json: doc }),
  analyzeSession: (id) => request("POST", `/api/v1/sessions/${encodeURIComponent(id)}/analyze`),
  feedback: (body) => request("POST", "/api/v1/feedback", { json: body }),
  learningReport: () => request("GET", "/api/v1/users/me/learning-report"),
};

// One Socket.IO connection for the page. `onEvent(name, payload)` receives job.progress, job.done,
// job.failed, batch.done and session.done; `onState(connected)` the connection state.
export function connectLive({ onEvent, onState }) {
  if (typeof window.io !== "function") { onState(false); return null; }
  const socket = window.io({ auth: { token: token.get() }, transports: ["websocket", "polling"] });
  socket.on("connect", () => onState(true));
  socket.on("disconnect", () => onState(false));
  socket.on("connect_error", () => onState(false));
  for (const name of ["job.progress", "job.done", "job.failed", "batch.done", "session.done"]) {
    socket.on(name, (payload) => onEvent(name, payload));
  }
  return socket;
}

// Subscribe to {batch_id} / {job_id} / {session_id}; resolves with the server's snapshot.
export function subscribe(socket, target, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    if (!socket || !socket.connected) { reject(new Error("not connected")); return; }
    socket.timeout(timeoutMs).emit("subscribe", target, (err, ack) => {
      if (err) reject(err);
      else if (!ack || !ack.ok) reject(new Error((ack && ack.error && ack.error.message) || "subscribe refused"));
      else resolve(ack.snapshot);
    });
  });
}
