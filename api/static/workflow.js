// The workflow panel (how you work in this session, from the DAW's actions: GET .../workflow) and
// the style panel (how you usually mix, learnt from your analysed sessions: GET /users/me/style).
// app.js calls showWorkflow(sessionId) once a session exists and showStyle() with the learning report.

import { request } from "./reference.js";

const $ = (id) => document.getElementById(id);
// The DAW reports actions while you work; the panel reads them again this often.
const REFRESH_MS = 15_000;
const state = { sessionId: null, timer: null };

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (v !== false && v !== null && v !== undefined) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function metric(label, value, note) {
  return h("div", { class: "metric" }, h("div", { class: "metric-label" }, label),
    h("div", { class: "metric-value" }, value), note ? h("div", { class: "metric-note" }, note) : null);
}

const PATTERNS = {
  top_down: "top-down (bus first, then into the tracks)",
  bottom_up: "bottom-up (rhythm section first, bus last)",
  track_by_track: "track by track",
  scattered: "scattered (hopping between tracks)",
  undetermined: "not known yet",
};

function panel(id, title, afterId) {
  let box = $(id);
  if (!box) {
    box = h("section", { id, class: "card", "aria-labelledby": `${id}-title` },
      h("h2", { id: `${id}-title` }, title), h("div", { id: `${id}-body`, "aria-live": "polite" }));
    $(afterId).after(box);
  }
  return $(`${id}-body`);
}

// The session's workflow; read again every REFRESH_MS while the session is open.
export async function showWorkflow(sessionId) {
  state.sessionId = sessionId;
  clearTimeout(state.timer);
  const body = panel("workflow-view", "Your workflow in this session", "session-view");
  try {
    render(body, await request("GET", `/api/v1/sessions/${encodeURIComponent(sessionId)}/workflow`));
  } catch (err) {
    body.replaceChildren(h("p", { class: "help" }, `Could not read the workflow: ${err.message}`));
  }
  state.timer = setTimeout(() => { if (state.sessionId === sessionId) showWorkflow(sessionId); }, REFRESH_MS);
}

function render(body, w) {
  if (!w.stats.n_actions) {
    body.replaceChildren(h("p", { class: "help" },
      "No DAW actions yet. When your DAW reports what you do (POST .../context with an action), " +
      "Codette reads how you work: where you start, how you move between tracks, what slows you down."));
    return;
  }
  body.replaceChildren(...[
    h("div", { class: "metrics" },
      metric("Pattern", PATTERNS[w.pattern] || w.pattern, ""),
      metric("Efficiency", `${Math.round(w.efficiency * 100)}%`, `${w.stats.n_actions} actions`),
      metric("Undo", `${Math.round(w.stats.undo_ratio * 100)}%`, `${w.stats.undo_loops} undo-and-retry`),
      metric("Solo", `${Math.round(w.stats.solo_ratio * 100)}%`, "of actions")),
    w.reasons.length ? h("ul", { class: "effects reasons" }, w.reasons.map((r) => h("li", {}, r))) : null,
    w.tips.length ? h("div", {}, h("h3", {}, "To work faster"), h("ul", { class: "effects tips" }, w.tips.map((t) => h("li", {}, t)))) : null,
  ].filter((part) => part !== null));
}

// The production style, as a panel under the learning report.
export async function showStyle() {
  const body = panel("style-view", "How you usually mix", "learning-view");
  let s;
  try {
    s = await request("GET", "/api/v1/users/me/style");
  } catch (err) {
    body.replaceChildren(h("p", { class: "help" }, `Could not read your style: ${err.message}`));
    return;
  }
  if (!s.sessions) {
    body.replaceChildren(h("p", { class: "help" }, "Learnt from the sessions you analyse: none yet."));
    return;
  }
  const tempo = s.tempo_median_bpm === null ? "—" : `${s.tempo_median_bpm} BPM`;
  const range = s.tempo_range_bpm ? `${s.tempo_range_bpm[0]}–${s.tempo_range_bpm[1]} BPM` : "no tempo declared";
  const top = s.genres[0];
  body.replaceChildren(...[
    h("div", { class: "metrics" },
      metric("Sessions", String(s.sessions), "analysed"),
      metric("Usual genre", s.usual_genre || (top ? top.genre : "—"), top ? `${top.sessions} of ${s.sessions} sessions` : ""),
      metric("Tempo", tempo, range)),
    s.usual_genre ? h("p", { class: "help" }, `A session with no genre declared or detected is judged as ${s.usual_genre}` +
      (s.usual_bpm ? `, its tempo-synced times at ${s.usual_bpm} BPM.` : ".")) : null,
    s.chains.length ? h("div", {}, h("h3", {}, "Your usual chains"), h("ul", { class: "effects chains" },
      s.chains.map((c) => h("li", {}, `${c.track_type.replace(/_/g, " ")}: ${c.chain.join(" → ")} (${c.count}×)`)))) : null,
    s.levels.length ? h("div", {}, h("h3", {}, "Your usual faders"), h("ul", { class: "effects levels" },
      s.levels.map((l) => h("li", {}, `${l.track_type.replace(/_/g, " ")}: ${l.median_volume_db} dB, pan ${l.median_pan}`)))) : null,
  ].filter((part) => part !== null));
}
