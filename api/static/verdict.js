// A preview's verdict in words that are true to its numbers. The server's `resolved` and `improved`
// (docs/suggestions.md, "Verification") are the headline; under it, each cited measure that has a
// line in the suggestion's evidence (`<measure>_above`: it fired at or above it; `<measure>_below`:
// at or below) is said to be back on the right side of that line after the move, or not. A carrier's
// cut, for one, is resolved when either of its two lines is cleared: the page then says which one is
// and which is still past, instead of "back in range" for both.

// Each cited measure with a line: {key, limit, side: "above"|"below", before, after, back}. `back`
// follows core.verify.thresholds.thresholds_met: sign * (after - limit) <= 0.
export function citedLines(result, evidence) {
  const out = [];
  for (const [key, limit] of Object.entries(evidence || {})) {
    const m = /^(.+)_(above|below)$/.exec(key);
    if (!m || typeof limit !== "number" || !(m[1] in result.after)) continue;
    const [, measure, side] = m;
    const after = result.after[measure], before = result.before[measure];
    if (after === null || after === undefined) continue;
    const sign = side === "above" ? 1 : -1;
    out.push({ key: measure, limit, side, before, after, back: sign * (after - limit) <= 0 });
  }
  return out;
}

const num = (v) => (v === null || v === undefined ? "—" : String(Number(Number(v).toFixed(2))));

// "back under 0.25" / "still above 4" for one line.
export function lineText(line) {
  if (line.back) return `back ${line.side === "above" ? "under" : "over"} ${num(line.limit)}`;
  return `still ${line.side === "above" ? "above" : "below"} ${num(line.limit)}`;
}

// {cls, headline, back: [line], past: [line]} for a preview result and its suggestion's evidence.
export function verdict(result, evidence) {
  const lines = citedLines(result, evidence);
  const back = lines.filter((l) => l.back), past = lines.filter((l) => !l.back);
  let cls, headline;
  if (result.resolved) {
    cls = "resolved";
    if (!lines.length) headline = "Resolved: the advice no longer fires after this move.";
    else if (!past.length) headline = `Resolved: ${lines.length === 1 ? "the measure it cites is" : "every measure it cites is"} back on the right side of its line.`;
    else headline = "Resolved by the advice's own test, but not every measure it cites is back on the right side of its line:";
  } else if (result.improved) {
    cls = "improved";
    headline = "Improved: not resolved by this move alone, but at least half way back to the line it fired at.";
  } else {
    cls = "unresolved";
    headline = "Not resolved by this move alone.";
  }
  return { cls, headline, back, past };
}
