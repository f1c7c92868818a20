"""Mixing suggestions for one track (see docs/suggestions.md)."""

from core.suggestions.mastering import BandDeviation, tonal_deviations
from core.suggestions.model import (
    BUS_TYPES,
    SUGGESTION_TYPES,
    TRACK_TYPES,
    Suggestion,
    Target,
    make_suggestion,
    resolve,
    suggestion_id,
)
from core.suggestions.tempo import bar_s, note_ms
from core.suggestions.track import suggest_for_track

__all__ = [
    "BUS_TYPES",
    "SUGGESTION_TYPES",
    "TRACK_TYPES",
    "BandDeviation",
    "Suggestion",
    "Target",
    "bar_s",
    "make_suggestion",
    "note_ms",
    "resolve",
    "suggest_for_track",
    "suggestion_id",
    "tonal_deviations",
]
