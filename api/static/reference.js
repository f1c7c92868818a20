// The reference slot: drop a reference track (a commercial master, your last mix). The open track's
// band chart then overlays it (POST /api/v1/compare, the mix as a, the reference as b), and the
// session analysis compares the estimated mix with it ("references" in PUT /api/v1/sessions/<id>).
// Mounted by app.js with initReference(); the page's only hooks are referenceDoc() and showReference().

import { api } from "./api.js";
import { waitForJob } from "./jobs.js";

const $ = (id) => document.getElementById(id);
const NS = "http://www.w3.org/2000/svg";
const state = { ref: null, track: null, onChange: () => {}, drawn: null };

// A JSON request with the page's bearer token (the SDK's); rejects with CodetteError {status, code, message}.
export const request = (method, path, body) => api.request(method, path, body);

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

function el(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

// What the session document carries for the reference (spread into PUT /sessions/<id>).
export function referenceDoc() {
  return state.ref ? { references: [state.ref.sha256] } : {};
}

function status(text) { $("reference-status").textContent = text; }

async function setReference(file) {
  if (!file) return;
  status(`Uploading ${file.name}…`);
  try {
    const created = await api.upload([file], [""]);
    state.ref = { name: file.name, sha256: created.jobs[0].sha256 };
  } catch (err) {
    status(`Could not upload the reference: ${err.message}`);
    return;
  }
  $("reference-name").textContent = file.name;
  $("reference-clear").hidden = false;
  status(`Reference: ${file.name}. The session is analysed against it; open a track to see the overlay.`);
  state.drawn = null;
  state.onChange(state.ref);
  draw();
}

function clearReference() {
  state.ref = null;
  state.drawn = null;
  $("reference-name").textContent = "none";
  $("reference-clear").hidden = true;
  status("No reference: the session is compared with its genre's target.");
  state.onChange(null);
}

// Called by app.js after it draws a track's band chart: overlay the reference on it.
export function showReference(track) {
  state.track = track;
  draw();
}

async function compare(a, b) {
  const { job_id } = await request("POST", "/api/v1/compare", { a, b });
  const job = await waitForJob(job_id, { what: "comparison" }); // gives up past its deadlines (jobs.js)
  if (job.status === "failed") throw new Error((job.error && job.error.message) || "the comparison failed");
  return job.result;
}

async function draw() {
  const t = state.track, ref = state.ref;
  if (!t || !ref || !t.sha256 || !t.result) return;
  const key = `${t.sha256}:${ref.sha256}`;
  if (state.drawn === key) { overlay(t, state.lastResult); return; }
  state.drawn = key;
  try {
    const result = await compare(t.sha256, ref.sha256);
    if (state.drawn !== key) return; // another track or reference since
    state.lastResult = result;
    overlay(t, result);
    status(`${t.name} against ${ref.name}: similarity ${Math.round(result.similarity * 100)}%.`);
  } catch (err) {
    state.drawn = null;
    status(`Could not compare with the reference: ${err.message}`);
  }
}

// The track's 7-band balance (share of energy) with the reference's beside each band.
function overlay(t, result) {
  const chart = $("band-chart");
  if (!chart || !result) return;
  const mix = t.result.spectrum.bands;
  const refShare = new Map(result.bands.map((b) => [b.name, b.share_diff]));
  const bars = mix.map((b) => ({ name: b.name, mix: b.share, ref: Math.max(0, b.share + (refShare.get(b.name) ?? 0)) }));
  const max = Math.max(0.0001, ...bars.flatMap((b) => [b.mix, b.ref]));
  const W = 420, H = 220, left = 8, bottom = 40, top = 18, plotH = H - bottom - top;
  const label = `Band balance of ${t.name} against the reference ${state.ref.name}: ` +
    bars.map((b) => `${b.name} ${Math.round(b.mix * 100)}% vs ${Math.round(b.ref * 100)}%`).join(", ");
  const root = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label, class: "svg-chart overlay",
    preserveAspectRatio: "xMidYMid meet" });
  root.appendChild(el("title", {}, label));
  root.appendChild(el("line", { x1: left, x2: W - left, y1: H - bottom, y2: H - bottom, class: "axis" }));
  const slot = (W - left * 2) / bars.length;
  bars.forEach((b, i) => {
    const x = left + i * slot + slot * 0.12, w = slot * 0.36;
    for (const [value, cls, dx, who] of [[b.mix, "bar", 0, t.name], [b.ref, "ref-bar", w + 2, state.ref.name]]) {
      const hgt = Math.min(1, value / max) * plotH;
      const rect = el("rect", { x: x + dx, y: H - bottom - hgt, width: w, height: hgt, rx: 2, class: cls });
      rect.appendChild(el("title", {}, `${b.name}, ${who}: ${Math.round(value * 100)}%`));
      root.appendChild(rect);
    }
    root.appendChild(el("text", { x: x + w, y: H - bottom + 16, class: "tick", "text-anchor": "middle" }, b.name.replace("_", " ")));
  });
  const legend = h("p", { class: "legend" }, h("span", { class: "key mix" }, t.name), " ", h("span", { class: "key ref" }, `reference: ${state.ref.name}`));
  chart.replaceChildren(root, legend);
}

// Mount the slot before the session card; onChange(ref|null) lets the page re-analyse the session.
export function initReference({ onChange } = {}) {
  state.onChange = onChange || (() => {});
  const input = h("input", { id: "reference-input", type: "file", class: "visually-hidden", accept: "audio/*,.wav,.aif,.aiff,.flac,.ogg,.mp3",
    onchange: (e) => { setReference(e.target.files[0]); e.target.value = ""; } });
  const slot = h("div", { id: "reference-slot", class: "dropzone reference-slot", tabindex: "0", role: "button", "aria-describedby": "reference-help" },
    h("p", {}, h("strong", {}, "Reference: "), h("span", { id: "reference-name" }, "none")),
    h("p", { id: "reference-help", class: "help" }, "Drop a reference track here (a master you like, your last mix): " +
      "the band chart overlays it and the session is compared with its tonal balance and loudness."),
    h("div", { class: "pickers" }, input, h("label", { class: "button", for: "reference-input" }, "Choose…"),
      h("button", { id: "reference-clear", type: "button", class: "ghost", hidden: true, onclick: clearReference }, "Remove")));
  slot.addEventListener("dragover", (e) => { e.preventDefault(); slot.classList.add("over"); });
  slot.addEventListener("dragleave", () => slot.classList.remove("over"));
  slot.addEventListener("drop", (e) => { e.preventDefault(); slot.classList.remove("over"); setReference(e.dataTransfer.files[0]); });
  slot.addEventListener("keydown", (e) => {
    if (e.target === slot && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); input.click(); }
  });
  const card = h("section", { id: "reference-view", class: "card", "aria-labelledby": "reference-title" },
    h("h2", { id: "reference-title" }, "Reference"), slot, h("p", { id: "reference-status", class: "help", role: "status" }));
  $("session-view").before(card);
}
