// The Codette page: sign in, drop stems, watch them analyse live, read the results, give feedback.

import { api, ApiError, connectLive, POLL_MS, subscribe, token } from "./api.js";
import { barChart, empty, heatMap, lineChart, timeline } from "./charts.js";
import { JobStalled, waitForJob, watchJob } from "./jobs.js";
import { guessType } from "./tracktypes.js";
import { initReference, referenceDoc, showReference } from "./reference.js";
import { citedLines, lineText, verdict } from "./verdict.js";
import { showStyle, showWorkflow } from "./workflow.js";

const AUDIO_EXT = /\.(wav|wave|aif|aiff|flac|ogg|oga|mp3)$/i;
const BATCH_FILES = 16;
const PLATFORM_KEY = "codette.platform";

const $ = (id) => document.getElementById(id);
const state = {
  config: { platform_targets: [], track_types: [] },
  platform: null,
  tracks: new Map(), // job_id -> track
  batches: new Map(), // batch_id -> {jobIds, done}
  socket: null,
  live: false,
  pollTimer: null,
  selected: null,
  listed: new Map(), // suggestion id -> the session's suggestion, as listed

  // late: the job passed a deadline (jobs.js) and the page stopped waiting; stopWatch ends its watch.
  session: { id: null, jobId: null, result: null, busy: false, pending: false, late: false, stopWatch: null },
  given: new Map(), // suggestion_id -> kind sent
};

// --- formatting --------------------------------------------------------------------------------

const fmt = (v, digits = 1, unit = "") => (v === null || v === undefined ? "—" : `${Number(v).toFixed(digits)}${unit}`);
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== false && v !== null && v !== undefined) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
}
const target = () => state.config.platform_targets.find((t) => t.key === state.platform);

// --- sign in -----------------------------------------------------------------------------------

async function signIn(value) {
  token.set(value);
  try {
    await api.openapi(); // any authenticated GET: 401 means a bad token
  } catch (err) {
    token.clear();
    throw err;
  }
  $("signin").hidden = true;
  $("app").hidden = false;
  $("sign-out").hidden = false;
  startLive();
  refreshLearning();
}

function signOut() {
  token.clear();
  if (state.socket) state.socket.disconnect();
  location.reload();
}

// --- live updates ------------------------------------------------------------------------------

function setLive(on) {
  state.live = on;
  $("live").textContent = on ? "live" : "polling";
  $("live").classList.toggle("on", on);
  if (on) {
    for (const [id, b] of state.batches) if (!b.done) watchBatch(id);
    if (state.session.jobId && !state.session.result && !state.session.late) watchSessionJob(state.session.jobId);
  }
  schedulePoll();
}

function startLive() {
  state.socket = connectLive({ onEvent, onState: setLive });
  if (!state.socket) setLive(false);
}

function onEvent(name, p) {
  if (p.job_id && p.job_id === state.session.jobId) { onSessionEvent(name, p); return; }
  if (name === "workflow.changed") { if (p.session_id === state.session.id) showWorkflow(p.session_id); return; }
  const t = p.job_id && state.tracks.get(p.job_id);
  if (name === "job.progress" && t) update(t, { status: "running", progress: p.progress, stage: p.stage });
  else if (name === "job.done" && t) update(t, { status: "done", progress: 1, stage: "done", result: p.result });
  else if (name === "job.failed" && t) update(t, { status: "failed", stage: "failed", error: p.error });
  else if (name === "batch.done") batchFinished(p.batch_id);
}

async function watchBatch(batchId) {
  try {
    applyBatch(await subscribe(state.socket, { batch_id: batchId }));
  } catch {
    schedulePoll(); // REST polling takes over
  }
}

function applyBatch(snapshot) {
  if (!snapshot) return;
  for (const j of snapshot.jobs) {
    const t = state.tracks.get(j.job_id);
    if (!t) continue;
    const patch = { status: j.status, progress: j.progress, stage: j.stage, error: j.error || null };
    if (j.result) patch.result = j.result;
    update(t, patch);
    if (j.status === "done" && !t.result && !t.fetching) fetchResult(t);
  }
  if (snapshot.status === "done") batchFinished(snapshot.batch_id);
}

async function fetchResult(t) {
  t.fetching = true;
  try {
    const job = await api.job(t.job_id);
    update(t, { status: job.status, result: job.result || null, error: job.error || null });
  } finally {
    t.fetching = false;
  }
}

function schedulePoll() {
  clearTimeout(state.pollTimer);
  const pending = [...state.batches].filter(([, b]) => !b.done);
  const sessionPending = state.session.jobId && !state.session.result && !state.session.late;
  if (state.live || (!pending.length && !sessionPending)) return;
  state.pollTimer = setTimeout(async () => {
    for (const [id] of pending) {
      try { applyBatch(await api.batch(id)); } catch (err) { showError("upload-error", err); }
    }
    if (sessionPending) {
      try { applySessionJob(await api.job(state.session.jobId)); } catch (err) { sessionStatus(err.message); }
    }
    schedulePoll();
  }, POLL_MS);
}

// --- tracks ------------------------------------------------------------------------------------

async function collectDropped(items) {
  const files = [];
  const walk = async (entry, prefix) => {
    if (entry.isFile) {
      files.push(await new Promise((ok, bad) => entry.file(ok, bad)));
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((ok, bad) => reader.readEntries(ok, bad));
        if (!batch.length) break;
        for (const e of batch) await walk(e, prefix + entry.name + "/");
      }
    }
  };
  const entries = [...items].map((i) => (i.webkitGetAsEntry ? i.webkitGetAsEntry() : null));
  if (entries.some((e) => e)) {
    for (const e of entries) if (e) await walk(e, "");
    return files;
  }
  return [...items].map((i) => i.getAsFile()).filter(Boolean);
}

async function uploadFiles(all) {
  $("upload-error").textContent = "";
  const files = [...all].filter((f) => AUDIO_EXT.test(f.name)).sort((a, b) => a.name.localeCompare(b.name));
  const skipped = all.length - files.length;
  if (!files.length) {
    $("upload-error").textContent = skipped ? `None of the ${skipped} file(s) is audio we read (WAV, AIFF, FLAC, OGG, MP3).` : "No files.";
    return;
  }
  for (let i = 0; i < files.length; i += BATCH_FILES) {
    const chunk = files.slice(i, i + BATCH_FILES);
    const types = chunk.map((f) => guessType(f.name, state.config.track_types, state.config.type_hints));
    try {
      const created = await api.upload(chunk, types);
      state.batches.set(created.batch_id, { jobIds: created.jobs.map((j) => j.job_id), done: false });
      created.jobs.forEach((j, k) => addTrack({ ...j, type: types[k], batch_id: created.batch_id,
        status: j.cached ? "done" : "queued", progress: j.cached ? 1 : 0, stage: j.cached ? "cached" : "queued" }));
      if (state.live) watchBatch(created.batch_id);
      else schedulePoll();
    } catch (err) {
      showError("upload-error", err);
    }
  }
  if (skipped) $("upload-error").textContent = `Skipped ${skipped} file(s) that are not audio.`;
}

// A readable, unique track id from the file name: the session's advice and mix issues quote it.
function trackId(name) {
  const base = name.replace(/\.[^.]+$/, "").replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 100) || "track";
  const taken = new Set([...state.tracks.values()].map((t) => t.track_id));
  let id = base;
  for (let k = 2; taken.has(id); k++) id = `${base}-${k}`;
  return id;
}

function addTrack(t) {
  t.track_id = trackId(t.name);
  t.result = null;
  t.error = null;
  state.tracks.set(t.job_id, t);
  const typeSelect = h("select", { "aria-label": `Type of ${t.name}`, onchange: (e) => { t.type = e.target.value; typeChanged(); } },
    state.config.track_types.map((ty) => h("option", { value: ty, selected: ty === t.type }, ty.replace("_", " "))));
  const bar = h("progress", { max: "1", value: "0", "aria-label": `Progress of ${t.name}` });
  t.row = h("tr", { "data-job": t.job_id },
    h("th", { scope: "row", class: "name" }, t.name),
    h("td", {}, typeSelect),
    h("td", { class: "progress-cell" }, bar, h("span", { class: "stage" }, t.stage)),
    h("td", { class: "num lufs" }, "—"), h("td", { class: "num tp" }, "—"), h("td", { class: "num score" }, "—"),
    h("td", {}, h("button", { type: "button", class: "open", disabled: true, onclick: () => openTrack(t.job_id) }, "Open")));
  $("tracks").tBodies[0].append(t.row);
  $("tracks").hidden = false;
  renderRow(t);
}

// The session's advice depends on each track's type: once it has been analysed, a changed type
// analyses it again (a change while the uploads are still running is picked up when they finish).
function typeChanged() {
  if (state.session.id && [...state.batches.values()].every((x) => x.done)) analyseSession();
}

function update(t, patch) {
  Object.assign(t, patch);
  renderRow(t);
  if (state.selected === t.job_id && t.result) renderTrack(t);
}

function renderRow(t) {
  const q = (sel) => t.row.querySelector(sel);
  q("progress").value = t.progress || 0;
  q(".stage").textContent = t.status === "failed" ? `failed: ${(t.error && t.error.message) || "error"}` : t.stage;
  t.row.classList.toggle("failed", t.status === "failed");
  const r = t.result;
  if (r) {
    const tg = target();
    q(".lufs").textContent = fmt(r.loudness.integrated_lufs);
    q(".tp").textContent = fmt(r.loudness.true_peak_dbtp);
    q(".lufs").classList.toggle("off", tg && offTarget(r.loudness.integrated_lufs, tg.integrated_lufs, tg.tolerance_lu));
    q(".tp").classList.toggle("off", tg && r.loudness.true_peak_dbtp !== null && r.loudness.true_peak_dbtp > tg.true_peak_dbtp);
    q(".score").textContent = r.quality.score;
  }
  q("button.open").disabled = !r;
}

const offTarget = (v, goal, tol) => v !== null && v !== undefined && Math.abs(v - goal) > tol;

function batchFinished(batchId) {
  const b = state.batches.get(batchId);
  if (!b || b.done) return;
  b.done = true;
  for (const id of b.jobIds) {
    const t = state.tracks.get(id);
    if (t && t.status === "done" && !t.result && !t.fetching) fetchResult(t);
  }
  if ([...state.batches.values()].every((x) => x.done)) analyseSession();
}

// --- one track ---------------------------------------------------------------------------------

function openTrack(jobId) {
  state.selected = jobId;
  for (const row of $("tracks").tBodies[0].rows) row.classList.toggle("selected", row.dataset.job === jobId);
  const t = state.tracks.get(jobId);
  $("track-view").hidden = false;
  renderTrack(t);
  $("track-title").focus();
}

function metric(label, value, note, cls = "") {
  return h("div", { class: `metric ${cls}` }, h("div", { class: "metric-label" }, label),
    h("div", { class: "metric-value" }, value), note ? h("div", { class: "metric-note" }, note) : null);
}

function renderTrack(t) {
  const r = t.result;
  const tg = target();
  $("track-title").textContent = t.name;
  const L = r.loudness;
  const lufsGap = L.integrated_lufs === null ? null : L.integrated_lufs - tg.integrated_lufs;
  const lufsNote = lufsGap === null ? "silent" :
    Math.abs(lufsGap) <= tg.tolerance_lu ? `on target (${tg.integrated_lufs} LUFS)` :
    `${lufsGap > 0 ? "+" : ""}${lufsGap.toFixed(1)} LU vs ${tg.name} ${tg.integrated_lufs}`;
  const tpOver = L.true_peak_dbtp !== null && L.true_peak_dbtp > tg.true_peak_dbtp;
  $("track-metrics").replaceChildren(
    metric("Integrated loudness", fmt(L.integrated_lufs, 1, " LUFS"), lufsNote, lufsGap !== null && Math.abs(lufsGap) > tg.tolerance_lu ? "warn" : "ok"),
    metric("True peak", fmt(L.true_peak_dbtp, 1, " dBTP"), tpOver ? `above the ${tg.true_peak_dbtp} dBTP ceiling` : `within ${tg.true_peak_dbtp} dBTP`, tpOver ? "warn" : "ok"),
    metric("Loudness range", fmt(L.range_lu, 1, " LU"), "EBU Tech 3342"),
    metric("Tempo", fmt(r.rhythm.tempo_bpm, 1, " BPM"), r.rhythm.tempo_bpm === null ? "no steady beat" : `confidence ${fmt(r.rhythm.tempo_confidence, 2)}`),
    metric("Key", r.tonal.key || "—", r.tonal.key ? `confidence ${fmt(r.tonal.key_confidence, 2)}` : "not tonal"),
    metric("Quality score", `${r.quality.score} / 100`, `${r.quality.issues.length} issue(s)`, r.quality.score >= 80 ? "ok" : "warn"),
  );
  const bands = r.spectrum.bands;
  const maxShare = Math.max(0.0001, ...bands.map((b) => b.share));
  barChart($("band-chart"), bands.map((b) => ({ label: b.name, value: b.share, text: `${Math.round(b.share * 100)}%` })),
    { max: maxShare, label: `Band balance of ${t.name}: ` + bands.map((b) => `${b.name} ${Math.round(b.share * 100)}%`).join(", ") });
  showReference(t); // the reference's bands beside these (reference.js)
  const c = L.short_term_curve;
  lineChart($("curve-chart"), c.values, { hopS: c.hop_s, startS: c.start_s || 0,
    reference: { value: tg.integrated_lufs, label: `${tg.name} ${tg.integrated_lufs}` },
    label: `Short-term loudness of ${t.name} over time, against ${tg.name} at ${tg.integrated_lufs} LUFS` });
  const issues = r.quality.issues;
  $("issues").replaceChildren(...(issues.length ? issues.map((i) => h("li", { class: `issue ${i.severity}` },
    h("span", { class: "sev" }, i.severity), " ", h("strong", {}, i.message), i.fix ? h("div", { class: "fix" }, i.fix) : null))
    : [h("li", { class: "issue none" }, "No issues found.")]));
}

// --- session -----------------------------------------------------------------------------------

function sessionStatus(text) { $("session-status").textContent = text; }

async function analyseSession() {
  if (state.session.busy) { state.session.pending = true; return; }
  const done = [...state.tracks.values()].filter((t) => t.status === "done");
  if (!done.length) return;
  state.session.busy = true;
  state.session.result = null;
  state.session.id = state.session.id || `web-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  $("session-view").hidden = false;
  sessionStatus(`Analysing the session (${done.length} track${done.length > 1 ? "s" : ""})…`);
  const seen = new Set();
  const tracks = done.filter((t) => !seen.has(t.sha256) && seen.add(t.sha256)).map((t) => ({
    track_id: t.track_id, name: t.name, type: t.type, sha256: t.sha256 }));
  try {
    await api.putSession(state.session.id, { tracks, ...referenceDoc() });
    const { job_id } = await api.analyzeSession(state.session.id);
    state.session.jobId = job_id;
    followSessionJob(job_id);
  } catch (err) {
    sessionStatus(`Session analysis could not start: ${err.message}`);
    state.session.busy = false;
  }
}

// Follow the session job live (or by polling), and give up, saying why, past a deadline (jobs.js).
function followSessionJob(jobId) {
  if (state.session.stopWatch) state.session.stopWatch();
  state.session.late = false;
  state.session.stopWatch = watchJob(jobId, { what: "session analysis",
    onFinished: (job) => { if (jobId === state.session.jobId) applySessionJob(job); },
    onLate: (message) => { if (jobId === state.session.jobId) sessionLate(jobId, message); } });
  if (state.live) watchSessionJob(jobId);
  else schedulePoll();
}

// The page stops waiting (a live event still shows the result if a worker takes the job later);
// Retry waits for the same job again, a new analysis (a changed type, a reference) starts one.
function sessionLate(jobId, message) {
  state.session.late = true;
  const retry = h("button", { type: "button", class: "retry ghost", onclick: () => {
    if (jobId !== state.session.jobId || state.session.busy) return; // a new analysis since
    sessionStatus("Waiting for the session analysis again…");
    state.session.busy = true;
    followSessionJob(jobId);
  } }, "Retry");
  $("session-status").replaceChildren(`Session analysis: ${message} `, retry);
  finishSession();
}

async function watchSessionJob(jobId) {
  try { applySessionJob(await subscribe(state.socket, { job_id: jobId })); } catch { schedulePoll(); }
}

function onSessionEvent(name, p) {
  if (name === "job.progress") sessionStatus(`Analysing the session… ${Math.round(p.progress * 100)}% (${p.stage})`);
  else if (name === "job.done") applySessionJob({ status: "done", result: p.result });
  else if (name === "job.failed") applySessionJob({ status: "failed", error: p.error });
}

function applySessionJob(job) {
  if (!job || state.session.result) return;
  if (job.status === "done" && job.result) {
    state.session.result = job.result;
    finishSession();
    renderSession(job.result);
  } else if (job.status === "failed") {
    sessionStatus(`Session analysis failed: ${(job.error && job.error.message) || "unknown error"}`);
    finishSession();
  }
}

function finishSession() {
  if (state.session.stopWatch) { state.session.stopWatch(); state.session.stopWatch = null; }
  state.session.busy = false;
  if (state.session.pending) { state.session.pending = false; analyseSession(); }
}

function trackName(trackId) {
  const t = [...state.tracks.values()].find((x) => x.track_id === trackId);
  return t ? t.name : trackId;
}

function renderSession(result) {
  const sa = result.session_analysis;
  $("session-body").hidden = false;
  showWorkflow(state.session.id); // workflow.js
  // The session's room: workflow.changed arrives as the DAW reports actions (the panel also re-reads).
  if (state.live) subscribe(state.socket, { session_id: state.session.id }).catch(() => {});
  if (!sa) {
    sessionStatus("The server returned track headlines only (no session analysis available).");
    $("session-metrics").replaceChildren(metric("Tracks", String(result.summary.track_count), `${result.summary.analysed} analysed`));
    empty($("mask-chart"), "Not available.");
    empty($("sections-chart"), "Not available.");
    $("mix-issues").replaceChildren();
    $("suggestions").replaceChildren();
    return;
  }
  sessionStatus(`Session of ${result.summary.track_count} track(s) analysed.`);
  const g = sa.genre;
  const mixLufs = sa.mix && sa.mix.integrated_lufs;
  $("session-metrics").replaceChildren(
    metric("Genre", sa.genre_used, genreNote(sa.genre_source, g)),
    metric("Tempo", fmt(sa.bpm, 1, " BPM"), ""),
    metric("Structure", (sa.arrangement.structure || "—").replace(/_/g, " "), `${sa.arrangement.sections.length} section(s)`),
    metric("Mix estimate", fmt(mixLufs, 1, " LUFS"), "sum of the stems"),
  );
  renderMasking(sa.masking);
  const totalS = Math.max(0, ...sa.arrangement.sections.map((s) => s.end_s));
  timeline($("sections-chart"), sa.arrangement.sections, { totalS,
    label: "Sections: " + sa.arrangement.sections.map((s) => `${s.label} ${s.start_s.toFixed(0)}–${s.end_s.toFixed(0)} s`).join(", ") });
  $("mix-issues").replaceChildren(...(sa.issues.length ? sa.issues.map((i) => h("li", { class: `issue ${i.severity}` },
    h("span", { class: "sev" }, i.severity), " ", i.message)) : [h("li", { class: "issue none" }, "No mix issues found.")]));
  renderSuggestions(sa.tracks);
}

// Where the genre whose target judges the mix came from (core/session/analyze.py genre_source).
function genreNote(source, g) {
  if (source === "detected") return `detected, confidence ${fmt(g.confidence, 2)}`;
  if (source === "style") return "your usual genre (none detected with confidence)";
  if (source === "default") return `default target: no genre detected with confidence (best guess ${g.genre}, ${fmt(g.confidence, 2)})`;
  return source; // "declared"
}

function renderMasking(m) {
  const select = $("mask-band");
  const names = m.track_ids.map(trackName);
  const options = [h("option", { value: "all" }, "worst of all bands"), ...m.bands.map((b, i) => h("option", { value: String(i) }, b.replace("_", " ")))];
  select.replaceChildren(...options);
  const draw = () => {
    const n = m.track_ids.length;
    let matrix;
    if (select.value === "all") {
      matrix = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => Math.max(0, ...m.matrix.map((band) => band[i][j]))));
    } else {
      matrix = m.matrix[Number(select.value)];
    }
    const band = select.value === "all" ? "all bands" : m.bands[Number(select.value)];
    heatMap($("mask-chart"), names, matrix, { label: `Masking overlap between tracks (${band}); darker is more masking` });
  };
  select.onchange = draw;
  draw();
}

// The analysis's own order first (priority, then confidence); rankSuggestions then puts them in the
// order the server ranks them for this user, which feedback changes (docs/ui.md).
function renderSuggestions(tracks) {
  const list = $("suggestions");
  delete list.dataset.ranked;
  const all = tracks.flatMap((t) => t.suggestions).sort((a, b) => a.priority - b.priority || b.confidence - a.confidence);
  $("preview-set").replaceChildren();
  if (!all.length) { list.replaceChildren(h("li", { class: "help" }, "No suggestions: nothing to fix.")); return; }
  state.listed = new Map(all.map((s) => [s.id, s]));
  list.replaceChildren(...all.map(suggestionItem));
  $("preview-set").replaceChildren(previewSetControl());
  rankSuggestions();
}

const RANK_LIMIT = 50; // the route's maximum (core.ranking.MAX_LIMIT): every suggestion of a session
// Why the ranking moved a suggestion (core/ranking.py reasons), in words.
const RANK_REASONS = {
  preferred: "you usually apply this kind of move",
  held_back: "you usually pass on this kind of move",
  selected_track: "on the track selected in your DAW",
  mastering_first: "you are mastering: loudness moves first",
  explored: "shown now and then to learn whether you want it",
};

// Reorder the listed suggestions as GET /sessions/<id>/suggestions ranks them now. The items are
// moved, not rebuilt, so an open preview, a chosen rating or a feedback status stays as it is.
async function rankSuggestions() {
  const list = $("suggestions");
  const sessionId = state.session && state.session.id;
  if (!sessionId) return;
  let ranked;
  try {
    ranked = await api.rankedSuggestions(sessionId, RANK_LIMIT);
  } catch {
    return; // the analysis's own order stays
  }
  if (!state.session || state.session.id !== sessionId || !Array.isArray(ranked.suggestions)) return;
  const items = new Map([...list.querySelectorAll(":scope > li.suggestion")].map((li) => [li.dataset.id, li]));
  const order = ranked.suggestions.map((s) => s.id).filter((id) => items.has(id));
  for (const id of order) list.appendChild(items.get(id));
  for (const [id, li] of items) if (!order.includes(id)) list.appendChild(li);
  for (const s of ranked.suggestions) {
    const li = items.get(s.id);
    if (!li) continue;
    li.querySelector(".why")?.remove();
    if (s.reasons && s.reasons.length) li.querySelector(".reason").after(h("p", { class: "why" }, `Ranked here: ${s.reasons.map((r) => RANK_REASONS[r] || r.replace(/_/g, " ")).join("; ")}.`));
  }
  list.dataset.ranked = "server";
  list.dataset.session = sessionId;
}

function params(p) {
  return Object.entries(p).map(([k, v]) => `${k.replace(/_/g, " ")} ${v}`).join(", ");
}

function suggestionItem(s) {
  const status = h("span", { class: "fb-status", role: "status" }, state.given.get(s.id) ? `sent: ${state.given.get(s.id)}` : "");
  const rating = h("select", { "aria-label": "Rating, 1 to 5 (optional)", class: "rating" },
    h("option", { value: "" }, "rate…"), ...[5, 4, 3, 2, 1].map((r) => h("option", { value: String(r) }, `${r} ★`)));
  const send = async (kind, button) => {
    const body = { suggestion_id: s.id, kind };
    if (rating.value) body.rating = Number(rating.value);
    button.disabled = true;
    status.textContent = "sending…";
    try {
      await api.feedback(body);
      state.given.set(s.id, kind);
      status.textContent = `sent: ${kind}${body.rating ? `, ${body.rating} ★` : ""}`;
      refreshLearning();
      rankSuggestions(); // feedback changes what comes first
    } catch (err) {
      const noRoute = err.status === 404 && /requested URL was not found/i.test(err.message);
      status.textContent = noRoute
        ? "not sent: this server does not take feedback yet (POST /api/v1/feedback)"
        : `not sent: ${err.message}`;
    } finally {
      button.disabled = false;
    }
  };
  const btn = (label, kind, cls = "") => {
    const b = h("button", { type: "button", class: `fb ${cls}`, "data-kind": kind, onclick: () => send(kind, b) }, label);
    return b;
  };
  const where = `${trackName(s.target.track_id)}${s.target.band ? ` · ${s.target.band.replace("_", " ")}` : ""}`;
  const verified = s.evidence && s.evidence.verified;
  const badge = verified === undefined ? null
    : h("span", { class: `verified v${verified}`, title: "rendered and re-measured before it was shown" },
      verified ? "verified" : "not verified");
  return h("li", { class: "suggestion", "data-id": s.id },
    h("div", { class: "sug-head" }, h("span", { class: `prio p${s.priority}` }, `P${s.priority}`),
      h("strong", {}, s.type.replace(/_/g, " ")), h("span", { class: "where" }, where), badge),
    h("p", { class: "reason" }, s.reason),
    h("p", { class: "params" }, params(s.parameters), h("span", { class: "conf" }, ` · confidence ${fmt(s.confidence, 2)}`)),
    h("div", { class: "fb-row", role: "group", "aria-label": `Feedback on ${s.type.replace(/_/g, " ")} for ${where}` },
      btn("Apply", "applied", "primary"), btn("Ignore", "ignored"), btn("Helpful", "positive"), btn("Not helpful", "negative"),
      rating, status),
    previewControl(s));
}

// --- preview: the move rendered, measured before/after, and an A/B to listen to -------------------

// The moves the server can render (core/render.py RENDERABLE_TYPES); others answer 422 not_renderable.
const RENDERABLE = new Set(["gain", "eq_cut", "eq_boost", "high_pass", "low_pass", "compression", "limiting",
  "de_ess", "stereo_width", "saturation"]);
// A "back the compressor off" move cannot be rendered: no render un-compresses a track (core.render).
const renderable = (s) => (RENDERABLE.has(s.type) && !(s.type === "compression" && s.parameters && s.parameters.action === "reduce"))
  || (s.type === "cleanup" && ["dc_removal", "gate"].includes(s.parameters && s.parameters.process));

const PREVIEW_POLL_MS = 400; // a preview takes about a second

// The excerpts need the bearer token, which an <audio src> cannot send: fetched, then played from a blob URL.
async function audioUrl(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${token.get()}` } });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return URL.createObjectURL(await response.blob());
}

// Track measures are evidence keys (share_below_db); session ones are "<measure>:<band or type>[:<a>/<b>]".
const SESSION_MEASURES = { overlap: "masking overlap", relative_db: "level against the mix (dB)",
  tonal_deviation_db: "mix vs genre target (dB)", mix_lufs: "mix loudness (LUFS)" };
function measureName(key) {
  const [name, ...rest] = key.split(":");
  const base = SESSION_MEASURES[name]
    || name.replace(/_/g, " ").replace(/ db$/, " (dB)").replace(/ lufs$/, " (LUFS)").replace(/ dbtp$/, " (dBTP)");
  const where = rest.map((p) => p.split("/").map((id) => trackName(id)).join(" / ").replace(/_/g, " "));
  return [base, ...where].join(" · ");
}

// The verdict, then each cited measure with a line: back on the right side of it, or still past it.
// `headline` replaces the verdict's own (a set of moves says it for all of them).
function verdictBlock(result, evidence, headline) {
  const v = verdict(result, evidence);
  if (headline) v.headline = headline;
  const item = (l) => h("li", { class: l.back ? "back" : "past", "data-measure": l.key },
    `${measureName(l.key)}: ${fmt(l.before, 2)} → ${fmt(l.after, 2)}, ${lineText(l)}`);
  return h("div", { class: "verdict-block" },
    h("p", { class: `verdict ${v.cls}` }, v.headline),
    v.back.length || v.past.length ? h("ul", { class: "lines" }, ...v.back.map(item), ...v.past.map(item)) : null);
}

function previewPanel(result, urls, evidence, headline = null) {
  const lines = new Map(citedLines(result, evidence).map((l) => [l.key, l]));
  const known = (v) => v !== null && v !== undefined;
  const shown = Object.keys(result.before).filter((k) => known(result.before[k]) || known(result.after[k]));
  const rows = shown.map((k) => {
    const a = result.before[k], b = result.after[k];
    const delta = a === null || b === null || b === undefined ? "" : `${b - a >= 0 ? "+" : ""}${(b - a).toFixed(2)}`;
    const line = lines.get(k);
    return h("tr", { "data-measure": k, class: line ? (line.back ? "back" : "past") : "" }, h("th", { scope: "row" }, measureName(k)),
      h("td", { class: "before" }, fmt(a, 2)), h("td", { class: "after" }, fmt(b, 2)), h("td", { class: "delta" }, delta),
      lines.size ? h("td", { class: "line" }, line ? lineText(line) : "") : null);
  });
  const player = h("audio", { controls: true, preload: "auto", src: urls.before, "aria-label": "Preview audio" });
  let side = "before";
  const label = h("span", { class: "ab-label", role: "status" }, "A: before");
  const toggle = h("button", { type: "button", class: "ab", "aria-pressed": "false", onclick: () => {
    const at = player.currentTime, playing = !player.paused;
    side = side === "before" ? "after" : "before";
    player.src = urls[side];
    player.addEventListener("loadedmetadata", () => { player.currentTime = at; if (playing) player.play(); }, { once: true });
    toggle.setAttribute("aria-pressed", String(side === "after"));
    label.textContent = side === "before" ? "A: before" : "B: after";
  } }, "A/B");
  const a = result.audio;
  const match = a.loudness_matched ? `loudness-matched (after ${a.match_gain_db >= 0 ? "+" : ""}${fmt(a.match_gain_db, 1)} dB)` : "not loudness-matched (a level move)";
  const effects = result.side_effects.length
    ? h("ul", { class: "side-effects" }, ...result.side_effects.map((e) => h("li", {}, e.message)))
    : h("p", { class: "no-effects" }, "No side effects past the thresholds.");
  return h("div", { class: "preview-panel" },
    verdictBlock(result, evidence, headline),
    h("table", { class: "before-after" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Measure"), h("th", { scope: "col" }, "Before"),
        h("th", { scope: "col" }, "After"), h("th", { scope: "col" }, "Change"),
        lines.size ? h("th", { scope: "col", title: "the line the advice fired at (its evidence)" }, "Line") : null)),
      h("tbody", {}, ...rows)),
    effects,
    h("div", { class: "ab-row" }, player, toggle, label),
    h("p", { class: "help" }, `${fmt(a.duration_s, 0)} s from ${fmt(a.start_s, 0)} s, ${match}.`));
}

// A created preview job followed to its end (within jobs.js's deadlines), with its excerpts fetched:
// {job, urls}. Throws the job's error when it failed.
async function finishedPreview(created, onUpdate) {
  const job = created.status === "done" ? await api.job(created.job_id)
    : await waitForJob(created.job_id, { what: "preview", pollMs: PREVIEW_POLL_MS, onUpdate });
  if (job.status !== "done") throw new Error((job.error && job.error.message) || "the preview failed");
  const urls = { before: await audioUrl(job.result.audio.before), after: await audioUrl(job.result.audio.after) };
  return { job, urls };
}

// A preview job the page stopped waiting for (JobStalled), as the job it created: Retry waits for it
// again with finishedPreview(); null for any other error.
function stalledJob(err) {
  return err instanceof JobStalled ? { job_id: err.job.job_id, status: err.job.status, cached: false } : null;
}

// How many of the first listed moves "Preview together" renders at once.
const PREVIEW_SET_SIZE = 3;

// The first renderable moves in the list's current order (the server's ranking once it arrived).
function topMoves() {
  const ids = [...$("suggestions").querySelectorAll(":scope > li.suggestion")].map((li) => li.dataset.id);
  return ids.map((id) => state.listed.get(id)).filter((s) => s && renderable(s)).slice(0, PREVIEW_SET_SIZE);
}

// Preview the top moves together: rendered on their tracks, the session step run again, the mix
// before/after with an A/B of the mixdown (POST /sessions/<id>/preview).
function previewSetControl() {
  const box = h("div", { class: "preview" });
  const status = h("span", { class: "preview-status", role: "status" });
  // the job the page stopped waiting for and the moves it renders: Retry waits for it again (jobs.js)
  let stalled = null;
  const button = h("button", { type: "button", class: "preview-set-btn", onclick: async () => {
    const moves = stalled ? stalled.moves : topMoves(), sessionId = state.session && state.session.id;
    if (!moves.length || !sessionId) { status.textContent = "no move here can be rendered"; return; }
    button.disabled = true;
    status.textContent = stalled ? "waiting for the preview again…"
      : `rendering the first ${moves.length} renderable move${moves.length === 1 ? "" : "s"} in the mix…`;
    try {
      const created = stalled ? stalled.created : await api.previewSession(sessionId, moves.map((s) => s.id));
      stalled = null;
      const { job, urls } = await finishedPreview(created);
      const each = job.result.resolved_by_suggestion || {};
      const which = h("ul", { class: "set-moves" }, ...moves.map((s) => h("li", { "data-id": s.id },
        `${s.type.replace(/_/g, " ")} on ${trackName(s.target.track_id)}: ${each[s.id] ? "resolved" : "not resolved"}`)));
      const done = moves.filter((s) => each[s.id]).length;
      const headline = job.result.resolved
        ? `Resolved: what ${moves.length === 1 ? "this move answers" : `these ${moves.length} moves answer`} no longer fires in the mix.`
        : `Resolved for ${done} of ${moves.length} move${moves.length === 1 ? "" : "s"}, with all of them made together.`;
      box.replaceChildren(which, previewPanel(job.result, urls, {}, headline));
      status.textContent = "ready";
      button.textContent = "Preview the top moves together";
    } catch (err) {
      const created = stalledJob(err);
      stalled = created && { created, moves };
      status.textContent = `no preview: ${err.message}`;
      button.textContent = stalled ? "Retry" : "Preview the top moves together";
    } finally {
      button.disabled = false;
    }
  } }, "Preview the top moves together");
  return h("div", { class: "preview-row" }, button, status, box);
}

function previewControl(s) {
  if (!renderable(s)) return h("p", { class: "help no-preview" }, "No preview: this move is not rendered (a repair or a send effect).");
  const box = h("div", { class: "preview" });
  const status = h("span", { class: "preview-status", role: "status" });
  let stalled = null; // the job the page stopped waiting for: Retry waits for it again (jobs.js)
  const button = h("button", { type: "button", class: "preview-btn", onclick: async () => {
    button.disabled = true;
    status.textContent = stalled ? "waiting for the preview again…" : "rendering…";
    try {
      const created = stalled || await api.preview(s.id);
      stalled = null;
      const { job, urls } = await finishedPreview(created, (j) => {
        if (j.status === "running") status.textContent = `rendering… (${j.stage})`;
      });
      box.replaceChildren(previewPanel(job.result, urls, s.evidence));
      status.textContent = created.cached ? "ready (cached)" : "ready";
      button.textContent = "Preview";
    } catch (err) {
      stalled = stalledJob(err);
      status.textContent = `no preview: ${err.message}`;
      button.textContent = stalled ? "Retry" : "Preview";
    } finally {
      button.disabled = false;
    }
  } }, "Preview");
  return h("div", { class: "preview-row" }, button, status, box);
}

// --- learning report ---------------------------------------------------------------------------

async function refreshLearning() {
  showStyle(); // workflow.js
  const box = $("learning");
  let rep;
  try {
    rep = await api.learningReport();
  } catch (err) {
    box.replaceChildren(h("p", { class: "help" }, err.status === 404 ? "The learning report is not available on this server yet." : `Could not load the report: ${err.message}`));
    return;
  }
  const pct = (v) => (v === null || v === undefined ? "—" : `${Math.round(v * 100)}%`);
  const effects = (title, list) => h("div", {}, h("h3", {}, title), list.length ? h("ul", { class: "effects" },
    list.map((e) => h("li", {}, `${e.suggestion_type.replace(/_/g, " ")} on ${e.track_type}: ${pct(e.effectiveness)} (${e.events} event${e.events === 1 ? "" : "s"})`)))
    : h("p", { class: "help" }, "Not enough feedback yet."));
  // replaceChildren() would print a null as the text "null": leave absent parts out.
  box.replaceChildren(...[
    h("div", { class: "metrics" },
      metric("Feedback events", String(rep.events), "", "events"),
      metric("Applied", pct(rep.application_rate), "of suggestions acted on"),
      metric("Satisfaction", pct(rep.satisfaction), "from ratings and thumbs"),
      metric("Trend", rep.trend || "—", rep.trend_delta === null ? "needs more feedback" : `${rep.trend_delta > 0 ? "+" : ""}${pct(rep.trend_delta)}`)),
    h("div", { class: "grid2" }, effects("Works best for you", rep.most_effective), effects("Works least", rep.least_effective)),
    rep.tips.length ? h("div", {}, h("h3", {}, "Tips"), h("ul", { class: "effects" }, rep.tips.map((t) => h("li", {}, t.message)))) : null,
  ].filter((part) => part !== null));
}

// --- wiring ------------------------------------------------------------------------------------

function showError(id, err) {
  $(id).textContent = err instanceof ApiError ? `${err.message} (${err.code})` : String(err.message || err);
}

function initPlatform() {
  const select = $("platform");
  const saved = sessionStorage.getItem(PLATFORM_KEY);
  state.platform = state.config.platform_targets.some((t) => t.key === saved) ? saved : state.config.platform_targets[0].key;
  select.replaceChildren(...state.config.platform_targets.map((t) => h("option", { value: t.key, selected: t.key === state.platform },
    `${t.name} (${t.integrated_lufs} LUFS / ${t.true_peak_dbtp} dBTP)`)));
  select.addEventListener("change", () => {
    state.platform = select.value;
    sessionStorage.setItem(PLATFORM_KEY, select.value);
    for (const t of state.tracks.values()) renderRow(t);
    if (state.selected) { const t = state.tracks.get(state.selected); if (t && t.result) renderTrack(t); }
  });
}

function initDrop() {
  const zone = $("dropzone");
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", async (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    uploadFiles(await collectDropped(e.dataTransfer.items));
  });
  zone.addEventListener("keydown", (e) => {
    if (e.target === zone && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); $("file-input").click(); }
  });
  for (const id of ["file-input", "folder-input"]) {
    $(id).addEventListener("change", (e) => { uploadFiles([...e.target.files]); e.target.value = ""; });
  }
}

async function main() {
  state.config = await api.config();
  initPlatform();
  initDrop();
  initReference({ onChange: () => analyseSession() }); // reference.js
  $("sign-out").addEventListener("click", signOut);
  $("signin-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("signin-error").textContent = "";
    try {
      await signIn($("token").value.trim());
      $("dropzone").focus(); // the form is gone: carry the focus to the next thing to do
    } catch (err) {
      $("signin-error").textContent = err.status === 401 ? "That token is not valid." : `Could not sign in: ${err.message}`;
    }
  });
  if (token.get()) {
    try { await signIn(token.get()); } catch { /* stays on the sign-in form */ }
  }
  if ($("app").hidden) $("token").focus();
  document.body.dataset.ready = "1";
}

main();
