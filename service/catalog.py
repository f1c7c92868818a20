"""The tables a client needs, from their one home in core: delivery targets, track types, limits."""

from __future__ import annotations

from typing import Any

from core.session.reference import MAX_REFERENCES
from core.suggestions.model import TRACK_TYPES
from core.suggestions.tempo import MAX_BPM, MIN_BPM
from core.targets import PLATFORM_TARGETS

__all__ = ["MAX_BPM", "MAX_REFERENCES", "MIN_BPM", "TRACK_TYPES", "ui_config"]


#: A first guess at a stem's type from its file name (case-insensitive regular expressions, tried in
#: order on the name without its extension, with _ - . as spaces). The page and `python -m client`
#: read them from GET /ui/config.json; the user can always say otherwise.
TYPE_HINTS: tuple[tuple[str, str], ...] = (
    (r"\b(master|mastered)\b", "master"),
    (r"\b(mix|mixdown|bounce|premaster|full)\b", "mix_bus"),
    (r"(backing|bv|bgv|harmony|harmonies|choir|doubles?)", "backing_vocals"),
    (r"(vocal|vox|voice|singer|lead ?voc|rap|acapella)", "vocals"),
    (r"(kick|bd\b|bassdrum)", "kick"),
    (r"(snare|sd\b|clap|rim)", "snare"),
    (r"(drum|perc|hat|hh\b|tom|cymbal|ride|crash|overhead|oh\b|loop|shaker|conga)", "drums"),
    (r"(sub|808|bass)", "bass"),
    (r"(guitar|gtr|acoustic)", "guitar"),
    (r"(piano|keys|rhodes|organ|wurli|epiano|ep\b)", "keys"),
    (r"(pad|atmos|drone)", "pad"),
    (r"(synth|lead|arp|pluck|saw)", "synth"),
    (r"(string|violin|viola|cello|orch)", "strings"),
    (r"(brass|trumpet|horn|trombone|sax)", "brass"),
    (r"(fx|sfx|riser|impact|sweep|noise)", "fx"),
)


def ui_config() -> dict[str, Any]:
    """GET /ui/config.json: the platform targets, the track types and the hints to guess them."""
    targets = [
        {"key": t.key, "name": t.name, "integrated_lufs": t.integrated_lufs,
         "true_peak_dbtp": t.true_peak_dbtp, "tolerance_lu": t.tolerance_lu, "source": t.source}
        for t in PLATFORM_TARGETS.values()
    ]  # fmt: skip
    hints = [{"pattern": pattern, "type": kind} for pattern, kind in TYPE_HINTS]
    return {"platform_targets": targets, "track_types": list(TRACK_TYPES), "type_hints": hints}
