// A first guess at a stem's track type from its file name; the user can change it in the table.
// The hints come from GET /ui/config.json (service/catalog.py TYPE_HINTS), shared with the CLI.

export function guessType(fileName, known, hints = []) {
  const base = fileName.replace(/\.[^.]+$/, "").replace(/[_\-.]+/g, " ");
  for (const { pattern, type } of hints) {
    if (new RegExp(pattern, "i").test(base) && known.includes(type)) return type;
  }
  return known.includes("other") ? "other" : known[0];
}
