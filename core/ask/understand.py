"""Understanding a question: its intent and the entities it names (tracks, bands, effects, platforms).

Rules over one vocabulary (core.ask.vocabulary), not a model: they are fast, explainable and
testable, and the entities are what grounding needs. Track names and ids come from the session, so
"why is the Rhodes muddy" finds the track named "Rhodes" and its type.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from core.ask.vocabulary import (
    BAND_WORDS,
    EFFECT_WORDS,
    INTENT_PATTERNS,
    PLATFORM_WORDS,
    PROBLEMS,
    TRACK_TYPE_WORDS,
)
from core.bands import band_for

_FREQ = re.compile(r"(\d+(?:[.,]\d+)?)\s*(khz|k|hz)\b", re.IGNORECASE)


class Intent(StrEnum):
    DIAGNOSE = "diagnose"
    HOW_TO = "how_to"
    EXPLAIN = "explain"
    COMPARE = "compare"


@dataclass(frozen=True)
class TrackRef:
    """A session track as the question may name it."""

    track_id: str
    name: str
    type: str


@dataclass(frozen=True)
class Entities:
    track_ids: tuple[str, ...] = ()
    track_types: tuple[str, ...] = ()
    bands: tuple[str, ...] = ()
    frequencies_hz: tuple[float, ...] = ()
    effects: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Question:
    text: str
    intent: Intent
    entities: Entities


def _normalise(text: str) -> str:
    return " " + re.sub(r"\s+", " ", text.lower().replace("’", "'")).strip() + " "


def _has(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text) is not None


def _phrases(text: str, table: Iterable[str]) -> list[str]:
    """Phrases of ``table`` found in ``text``, longest first; a phrase inside a longer match is skipped."""
    found: list[str] = []
    for phrase in sorted(table, key=len, reverse=True):
        if _has(text, phrase) and not any(_has(longer, phrase) for longer in found):
            found.append(phrase)
    return found


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _frequencies(text: str) -> tuple[float, ...]:
    out = []
    for number, unit in _FREQ.findall(text):
        value = float(number.replace(",", "."))
        out.append(value * 1000 if unit.lower() in ("k", "khz") else value)
    return tuple(f for f in out if 10 <= f <= 24000)


def _tracks(text: str, tracks: Sequence[TrackRef]) -> list[TrackRef]:
    found = []
    for t in tracks:
        names = {t.track_id.lower(), t.name.lower()} - {""}
        if any(_has(text, n) for n in names):
            found.append(t)
    return found


def _intent(text: str, entities: Entities) -> Intent:
    plain = text.strip()
    for intent, pattern in INTENT_PATTERNS:
        if re.search(pattern, plain):
            if intent == "explain":
                return Intent.EXPLAIN
            if intent == "compare":
                # "dull compared to commercial tracks" names a problem, not a delivery target
                level_only = set(entities.problems) <= {"low_level", "too_loud"}
                return Intent.COMPARE if entities.platforms or level_only else Intent.DIAGNOSE
            if intent == "diagnose":
                return Intent.DIAGNOSE
            if entities.platforms:
                return Intent.COMPARE
            return Intent.HOW_TO
    if entities.platforms:
        return Intent.COMPARE
    return Intent.DIAGNOSE if entities.problems else Intent.HOW_TO


def understand(text: str, *, tracks: Sequence[TrackRef] = ()) -> Question:
    """The intent and entities of ``text``; ``tracks`` are the session's tracks (names, ids, types)."""
    norm = _normalise(text)
    named = _tracks(norm, tracks)
    types = [TRACK_TYPE_WORDS[p] for p in _phrases(norm, TRACK_TYPE_WORDS)]
    freqs = _frequencies(norm)
    bands = [b for p in _phrases(norm, BAND_WORDS) for b in BAND_WORDS[p]]
    bands += [band.name for f in freqs if (band := band_for(f)) is not None]
    if "bass" in types and re.search(r"too much bass|bass (frequencies|range|end)|more bass|less bass", norm):
        bands.append("bass")
    problems = [p.key for p in PROBLEMS if any(_has(norm, w) for w in p.words)]
    entities = Entities(
        track_ids=_unique(t.track_id for t in named),
        track_types=_unique([*(t.type for t in named if t.type), *types]),
        bands=_unique(bands),
        frequencies_hz=freqs,
        effects=_unique(EFFECT_WORDS[p] for p in _phrases(norm, EFFECT_WORDS)),
        platforms=_unique(PLATFORM_WORDS[p] for p in _phrases(norm, PLATFORM_WORDS)),
        problems=_unique(problems),
    )
    return Question(text=text, intent=_intent(norm.strip(), entities), entities=entities)
