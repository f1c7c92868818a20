"""The suggestion schema: track types, suggestion types, the Suggestion dataclass and its stable id."""

from __future__ import annotations

import hashlib
import json
import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from core.bands import BANDS
from core.errors import InvalidParameter
from core.results import to_dict
from core.suggestions.rules import MAX_SEVERITY, PARAMETER_LIMITS, SEVERITY_STEPS
from core.suggestions.wording import move_words

TrackType = Literal[
    "vocals",
    "backing_vocals",
    "kick",
    "snare",
    "drums",
    "bass",
    "guitar",
    "keys",
    "synth",
    "pad",
    "strings",
    "brass",
    "fx",
    "mix_bus",
    "master",
    "other",
]
TRACK_TYPES: tuple[str, ...] = typing.get_args(TrackType)
#: Types that carry the whole mix (loudness/true-peak advice against a platform; not summed as stems).
BUS_TYPES: frozenset[str] = frozenset({"mix_bus", "master"})

SuggestionType = Literal[
    "eq_cut",
    "eq_boost",
    "high_pass",
    "low_pass",
    "compression",
    "limiting",
    "gain",
    "de_ess",
    "saturation",
    "reverb",
    "delay",
    "stereo_width",
    "phase_fix",
    "cleanup",
]
SUGGESTION_TYPES: tuple[str, ...] = typing.get_args(SuggestionType)

ParamValue = float | int | str
Evidence = dict[str, float | int | str | None]


@dataclass(frozen=True)
class Target:
    """Where a suggestion acts: a track, and the band it acts in (None: the whole track)."""

    track_id: str
    band: str | None = None


@dataclass(frozen=True)
class Suggestion:
    """One piece of advice, derived from measurements.

    ``parameters`` carry their units in their names (``freq_hz``, ``gain_db``, ``q``, ``ratio``,
    ``threshold_db``, ``attack_ms``, ``release_ms``, ``time_ms``, ...). ``priority`` runs from 1
    (fix first) to 5 (polish); ``confidence`` from 0 to 1. ``reason`` states the evidence in words,
    ``evidence`` in numbers.
    """

    id: str
    type: str
    track_type: str
    target: Target
    parameters: dict[str, ParamValue]
    priority: int
    confidence: float
    reason: str
    evidence: Evidence

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)  # type: ignore[no-any-return]


def round_display(name: str, value: ParamValue) -> ParamValue:
    if isinstance(value, str | bool) or not isinstance(value, float | int):
        return value
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"parameter {name} is {v}")
    if name.endswith("_hz") or name.endswith("_ms"):
        return float(round(v)) if abs(v) >= 10 else round(v, 1)
    return round(v, 2) if name in ("q", "ratio", "width") else round(v, 1)


def _round_for_id(value: ParamValue) -> str:
    """Two significant figures: the id survives measurement jitter, not a materially different setting."""
    if isinstance(value, str):
        return value
    return f"{float(value):.2g}"


def suggestion_id(
    track_id: str, type_: str, band: str | None, parameters: dict[str, ParamValue], scope: str = ""
) -> str:
    """Stable id: a hash of the scope (see ``in_scope``), the track, type, band and rounded parameters."""
    fields: list[Any] = [track_id, type_, band, sorted((k, _round_for_id(v)) for k, v in parameters.items())]
    key = json.dumps([scope, *fields] if scope else fields, separators=(",", ":"))
    return "sug_" + hashlib.sha256(key.encode()).hexdigest()[:16]


def in_scope(suggestion: Suggestion, scope: str) -> Suggestion:
    """``suggestion`` with an id unique to ``scope`` (a session): track ids are the session's own names,
    so the same move on a 'keys' track of another session, or of another song sharing its stems, is
    another suggestion with its own audio. Stable across re-analyses of the same session."""
    t = suggestion.target
    return replace(
        suggestion, id=suggestion_id(t.track_id, suggestion.type, t.band, suggestion.parameters, scope)
    )


def make_suggestion(
    type_: str,
    *,
    track_id: str,
    track_type: str,
    band: str | None,
    parameters: Mapping[str, ParamValue],
    priority: int,
    confidence: float,
    reason: str,
    evidence: Mapping[str, float | int | str | None] | None = None,
) -> Suggestion:
    """Build a Suggestion with rounded parameters, clamped priority/confidence and its stable id."""
    if type_ not in SUGGESTION_TYPES:
        raise InvalidParameter(f"type: unknown suggestion type {type_!r}")
    parameters, reason, evidence = _cap(type_, parameters, reason, dict(evidence or {}))
    sev = severity(evidence)
    if sev is not None:
        evidence["severity"] = sev
    params = {k: round_display(k, v) for k, v in parameters.items()}
    ev = {k: (round(float(v), 2) if isinstance(v, float) else v) for k, v in evidence.items()}
    return Suggestion(
        id=suggestion_id(track_id, type_, band, params),
        type=type_,
        track_type=track_type,
        target=Target(track_id=track_id, band=band),
        parameters=params,
        priority=int(min(max(priority, 1), 5)),
        confidence=round(float(min(max(confidence, 0.0), 1.0)), 3),
        reason=reason,
        evidence=ev,
    )


def severity(evidence: Mapping[str, float | int | str | None]) -> float | None:
    """How far the evidence is past its thresholds: 1 at a threshold, +1 per SEVERITY_STEPS step.

    Reads each ``<measure>`` with a ``<measure>_above`` / ``<measure>_below`` threshold and a step
    in core.suggestions.rules.SEVERITY_STEPS; the largest wins, capped at MAX_SEVERITY. None when the
    evidence names no such measure (ranking then falls back on priority alone).
    """
    found = []
    for key, step in SEVERITY_STEPS.items():
        value = evidence.get(key)
        if not isinstance(value, float | int):
            continue
        for suffix, sign in (("_above", 1.0), ("_below", -1.0)):
            limit = evidence.get(key + suffix)
            if isinstance(limit, float | int):
                found.append(1.0 + sign * (float(value) - float(limit)) / step)
    if not found:
        return None
    return round(min(max(max(found), 0.0), MAX_SEVERITY), 2)


def _cap(
    type_: str, parameters: Mapping[str, ParamValue], reason: str, evidence: Evidence
) -> tuple[dict[str, ParamValue], str, Evidence]:
    """Clamp moves to PARAMETER_LIMITS; a capped move says so and keeps the requested value as evidence."""
    params = dict(parameters)
    for name, value in parameters.items():
        limits = PARAMETER_LIMITS.get((type_, name))
        if limits is None or isinstance(value, str) or not isinstance(value, float | int):
            continue
        capped = min(max(float(value), limits[0]), limits[1])
        if abs(capped - float(value)) < 0.05:
            continue
        params[name] = capped
        evidence[f"requested_{name}"] = float(value)
        reason = (
            f"{reason} The measurement asks for {float(value):+.1f} dB; capped at {capped:+g} dB: "
            f"a bigger move points at the source (recording, export level or arrangement), not at "
            f"{move_words(type_)}."
        )
    return params, reason, evidence


# --- ordering and contradictions ---------------------------------------------------------------

_CUTS = frozenset({"eq_cut", "high_pass", "low_pass", "de_ess"})
_BOOSTS = frozenset({"eq_boost"})


def _direction(s: Suggestion) -> str | None:
    if s.type in _CUTS:
        return "cut"
    if s.type in _BOOSTS:
        return "boost"
    if s.type == "gain":
        g = s.parameters.get("gain_db", 0.0)
        return "boost" if isinstance(g, float | int) and g > 0 else "cut"
    return None


def affected_bands(s: Suggestion) -> frozenset[str | None]:
    """The places (bands; None = whole track level) a suggestion changes."""
    f = s.parameters.get("freq_hz")
    if s.type == "gain":
        return frozenset({None})
    if s.type == "high_pass" and isinstance(f, float | int):
        return frozenset(b.name for b in BANDS if b.low_hz < f)
    if s.type == "low_pass" and isinstance(f, float | int):
        return frozenset(b.name for b in BANDS if b.high_hz > f)
    return frozenset({s.target.band}) if s.target.band is not None else frozenset()


def sort_key(s: Suggestion) -> tuple[int, float, str]:
    return (s.priority, -s.confidence, s.id)


def resolve(suggestions: typing.Iterable[Suggestion]) -> tuple[Suggestion, ...]:
    """Sorted by priority then confidence, with contradictions and duplicates removed.

    Per track, a boost and a cut in the same band never both survive (the better-ranked one wins),
    and of two suggestions of the same type in the same band only the better-ranked one is kept.
    """
    kept: list[Suggestion] = []
    for s in sorted(suggestions, key=sort_key):
        d, places = _direction(s), affected_bands(s)
        clash = False
        for k in kept:
            if k.target.track_id != s.target.track_id:
                continue
            same_place = bool(places & affected_bands(k))
            if same_place and k.type == s.type and s.type != "gain":
                clash = True
            dk = _direction(k)
            if same_place and d is not None and dk is not None and d != dk:
                clash = True
            if s.type == k.type and s.type in (
                "gain",
                "compression",
                "limiting",
                "reverb",
                "delay",
                "stereo_width",
                "phase_fix",
                "saturation",
            ):
                clash = clash or s.target.band == k.target.band
        if not clash:
            kept.append(s)
    return tuple(kept)
