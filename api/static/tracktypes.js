// A first guess at a stem's track type from its file name; the user can change it in the table.

const RULES = [
  [/\b(master|mastered)\b/i, "master"],
  [/\b(mix|mixdown|bounce|premaster|full)\b/i, "mix_bus"],
  [/(backing|bv|bgv|harmony|harmonies|choir|doubles?)/i, "backing_vocals"],
  [/(vocal|vox|voice|singer|lead ?voc|rap|acapella)/i, "vocals"],
  [/(kick|bd\b|bassdrum)/i, "kick"],
  [/(snare|sd\b|clap|rim)/i, "snare"],
  [/(drum|perc|hat|hh\b|tom|cymbal|ride|crash|overhead|oh\b|loop|shaker|conga)/i, "drums"],
  [/(sub|808|bass)/i, "bass"],
  [/(guitar|gtr|acoustic)/i, "guitar"],
  [/(piano|keys|rhodes|organ|wurli|epiano|ep\b)/i, "keys"],
  [/(pad|atmos|drone)/i, "pad"],
  [/(synth|lead|arp|pluck|saw)/i, "synth"],
  [/(string|violin|viola|cello|orch)/i, "strings"],
  [/(brass|trumpet|horn|trombone|sax)/i, "brass"],
  [/(fx|sfx|riser|impact|sweep|noise)/i, "fx"],
];

export function guessType(fileName, known) {
  const base = fileName.replace(/\.[^.]+$/, "").replace(/[_\-.]+/g, " ");
  for (const [pattern, type] of RULES) if (pattern.test(base) && known.includes(type)) return type;
  return known.includes("other") ? "other" : known[0];
}
