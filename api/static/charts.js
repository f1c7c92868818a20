// Small SVG charts: bars, a line with a reference, a heat map and a timeline. No library.

const NS = "http://www.w3.org/2000/svg";

function el(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function svg(width, height, label) {
  const root = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label,
    class: "svg-chart", preserveAspectRatio: "xMidYMid meet" });
  root.appendChild(el("title", {}, label));
  return root;
}

function mount(container, node) {
  container.replaceChildren(node);
}

export function empty(container, message) {
  const p = document.createElement("p");
  p.className = "help";
  p.textContent = message;
  container.replaceChildren(p);
}

// bars: [{label, value, text}] with value in 0..max
export function barChart(container, bars, { max = 1, label }) {
  const W = 420, H = 220, left = 8, bottom = 40, top = 18;
  const root = svg(W, H, label);
  const slot = (W - left * 2) / bars.length;
  const plotH = H - bottom - top;
  root.appendChild(el("line", { x1: left, x2: W - left, y1: H - bottom, y2: H - bottom, class: "axis" }));
  bars.forEach((b, i) => {
    const h = Math.max(0, Math.min(1, (b.value || 0) / max)) * plotH;
    const x = left + i * slot + slot * 0.15;
    const w = slot * 0.7;
    const rect = el("rect", { x, y: H - bottom - h, width: w, height: h, rx: 3, class: "bar" });
    rect.appendChild(el("title", {}, `${b.label}: ${b.text}`));
    root.appendChild(rect);
    root.appendChild(el("text", { x: x + w / 2, y: H - bottom - h - 5, class: "value", "text-anchor": "middle" }, b.text));
    root.appendChild(el("text", { x: x + w / 2, y: H - bottom + 16, class: "tick", "text-anchor": "middle" },
      b.label.replace("_", " ")));
  });
  mount(container, root);
}

// values: array (null = gap) sampled every hopS; reference: {value, label} horizontal line
export function lineChart(container, values, { hopS, startS = 0, reference, label, unit = "" }) {
  const pts = values.map((v, i) => [startS + i * hopS, v]).filter(([, v]) => v !== null && v !== undefined);
  if (!pts.length) { empty(container, "No loudness curve (the track is silent or too short)."); return; }
  const W = 420, H = 220, left = 44, right = 10, top = 12, bottom = 34;
  const ys = pts.map(([, v]) => v);
  if (reference) ys.push(reference.value);
  let lo = Math.floor(Math.min(...ys) - 2), hi = Math.ceil(Math.max(...ys) + 2);
  if (hi - lo < 6) { lo -= 3; hi += 3; }
  const t0 = startS, t1 = Math.max(startS + hopS * (values.length - 1), startS + hopS);
  const x = (t) => left + ((t - t0) / (t1 - t0)) * (W - left - right);
  const y = (v) => top + (1 - (v - lo) / (hi - lo)) * (H - top - bottom);
  const root = svg(W, H, label);
  for (const v of ticks(lo, hi, 5)) {
    root.appendChild(el("line", { x1: left, x2: W - right, y1: y(v), y2: y(v), class: "grid" }));
    root.appendChild(el("text", { x: left - 6, y: y(v) + 4, class: "tick", "text-anchor": "end" }, `${v}`));
  }
  for (const t of ticks(t0, t1, 5)) {
    root.appendChild(el("text", { x: x(t), y: H - bottom + 16, class: "tick", "text-anchor": "middle" }, `${t}s`));
  }
  if (reference) {
    root.appendChild(el("line", { x1: left, x2: W - right, y1: y(reference.value), y2: y(reference.value), class: "ref" }));
    root.appendChild(el("text", { x: W - right - 4, y: y(reference.value) - 5, class: "ref-label", "text-anchor": "end" },
      reference.label));
  }
  // one path per run of defined values, so silence shows as a gap
  let d = "", prevDefined = false;
  values.forEach((v, i) => {
    const defined = v !== null && v !== undefined;
    if (defined) d += `${prevDefined ? "L" : "M"}${x(startS + i * hopS).toFixed(1)},${y(v).toFixed(1)}`;
    prevDefined = defined;
  });
  root.appendChild(el("path", { d, class: "line" }));
  if (unit) root.appendChild(el("text", { x: 4, y: top + 4, class: "tick" }, unit));
  mount(container, root);
}

function ticks(lo, hi, n) {
  const span = hi - lo;
  if (span <= 0) return [lo];
  const raw = span / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Math.round(v * 100) / 100);
  return out;
}

// names: n labels; matrix: n×n values in 0..1. Rows are named, columns numbered (1..n) to stay compact.
export function heatMap(container, names, matrix, { label }) {
  const n = names.length;
  if (n < 2) { empty(container, "Masking needs at least two tracks."); return; }
  const labelW = 150, top = 22, cell = Math.max(16, Math.min(40, 280 / n));
  const W = labelW + n * cell + 4, H = top + n * cell + 4;
  const root = svg(W, H, label);
  root.style.maxWidth = `${Math.max(W, 260)}px`;
  names.forEach((name, i) => {
    root.appendChild(el("text", { x: labelW - 8, y: top + i * cell + cell / 2 + 4, class: "tick", "text-anchor": "end" },
      `${i + 1} · ${short(name, 18)}`));
    root.appendChild(el("text", { x: labelW + i * cell + cell / 2 - 1, y: top - 7, class: "tick", "text-anchor": "middle" },
      String(i + 1)));
  });
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = i === j ? null : matrix[i][j];
      const rect = el("rect", { x: labelW + j * cell, y: top + i * cell, width: cell - 2, height: cell - 2, rx: 2,
        class: v === null ? "cell-diag" : "cell" });
      if (v !== null) {
        rect.style.fillOpacity = String(0.06 + 0.94 * Math.max(0, Math.min(1, v)));
        rect.appendChild(el("title", {}, `${names[i]} × ${names[j]}: overlap ${v.toFixed(2)}`));
        if (cell >= 28) {
          const t = el("text", { x: labelW + j * cell + cell / 2 - 1, y: top + i * cell + cell / 2 + 3,
            class: v > 0.5 ? "cell-text dark" : "cell-text", "text-anchor": "middle" }, v.toFixed(2).replace(/^0/, ""));
          root.appendChild(rect);
          root.appendChild(t);
          continue;
        }
      }
      root.appendChild(rect);
    }
  }
  mount(container, root);
}

// sections: [{start_s, end_s, label}] over totalS seconds
export function timeline(container, sections, { totalS, label }) {
  if (!sections.length || !totalS) { empty(container, "No sections found."); return; }
  const W = 420, H = 90, left = 12, right = 12, top = 10, barH = 44;
  const x = (t) => left + (t / totalS) * (W - left - right);
  const root = svg(W, H, label);
  const labels = [...new Set(sections.map((s) => s.label))];
  sections.forEach((s) => {
    const kind = labels.indexOf(s.label) % 6;
    const g = el("g");
    g.appendChild(el("rect", { x: x(s.start_s), y: top, width: Math.max(1, x(s.end_s) - x(s.start_s) - 2), height: barH,
      rx: 4, class: `sec sec-${kind}` }));
    g.appendChild(el("title", {}, `${s.label}: ${s.start_s.toFixed(1)}–${s.end_s.toFixed(1)} s`));
    if (x(s.end_s) - x(s.start_s) > 34) {
      g.appendChild(el("text", { x: (x(s.start_s) + x(s.end_s)) / 2, y: top + barH / 2 + 4, class: "sec-label",
        "text-anchor": "middle" }, s.label));
    }
    root.appendChild(g);
  });
  for (const t of ticks(0, totalS, 5)) {
    root.appendChild(el("text", { x: x(t), y: top + barH + 18, class: "tick", "text-anchor": "middle" }, `${t}s`));
  }
  mount(container, root);
}

function short(text, n) {
  return text.length > n ? text.slice(0, n - 1) + "…" : text;
}
