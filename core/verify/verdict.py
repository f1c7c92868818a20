"""Verification: render a suggestion, re-analyse its track, and show the cited evidence before and after.

A suggestion cites measurements (its ``evidence``) and, for most rules, the threshold it fired at
(``<measure>_above`` / ``<measure>_below``). Verifying it means doing what it says (core.render),
measuring again (core.analysis) and reporting:

- ``before`` / ``after``: each cited measure, re-measured on the rendered track;
- ``resolved``: every cited measure is back on the right side of its threshold; for a rule without
  a threshold in its evidence, the same advice (type and band on that track) no longer fires;
- ``improved``: not resolved, but every cited measure moved at least IMPROVE_FRACTION of the way
  from where it was to its threshold (a move capped in depth, e.g. a 6 dB cut against a mix 11 dB
  over its balance, takes the problem most of the way and the next pass takes the rest);
- ``side_effects``: what got worse beyond a threshold (``SIDE_EFFECT_LIMITS``): a new or more severe
  quality issue, new inter-sample overs or clipped samples, a loudness shift an EQ should not cause,
  or new first-rank advice on the same track.

``vet_suggestions`` is the hook the service calls before storing advice: a suggestion that does
neither resolves nor improves what it cites is demoted (priority + 1, lower confidence), one whose
repair harms the track without resolving it is dropped; the verdict travels in the evidence
(``verified``: 1 / 0, ``improved``: 1 / 0) for the learning system.
The session variant (``verify_in_session``, core/verify/in_session.py) re-runs the session step with
the rendered stem in place. Side effects are in core/verify/side_effects.py, the cited thresholds
and the progress towards them in core/verify/thresholds.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.analysis import analyze
from core.render import is_renderable, render_suggestion
from core.results import TrackAnalysis, to_dict
from core.suggestions.model import Suggestion
from core.suggestions.track import suggest_for_track
from core.verify.measures import cited_measures
from core.verify.side_effects import (
    NEW_MASKING,
    SideEffect,
    advice_keys,
    band_changes_db,
    level_effects,
    new_advice,
    quality_effects,
)
from core.verify.thresholds import improved_enough, threshold_progress, thresholds_met

#: Demotion of a suggestion that does not resolve what it cites: priority steps and confidence factor.
DEMOTE_PRIORITY_STEPS = 1
DEMOTE_CONFIDENCE_FACTOR = 0.5


@dataclass(frozen=True)
class Verification:
    """What rendering one suggestion did to its track (or session)."""

    suggestion_id: str
    track_id: str
    renderable: bool
    resolved: bool
    before: dict[str, float | None]
    after: dict[str, float | None]
    side_effects: tuple[SideEffect, ...]
    #: Not resolved, but each cited measure moved IMPROVE_FRACTION of the way to its threshold.
    improved: bool = False

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)  # type: ignore[no-any-return]


def compare_analyses(
    suggestion: Suggestion,
    before: TrackAnalysis,
    after: TrackAnalysis,
    *,
    track_type: str,
    bpm: float | None = None,
    genre: str | None = None,
    platform: str | None = None,
) -> Verification:
    """The verdict on one suggestion from its track's analyses before and after rendering it.

    ``resolved`` follows the thresholds the evidence cites, else whether the advice fires again.
    """
    tid = suggestion.target.track_id
    m0 = cited_measures(before, suggestion, track_type=track_type)
    m1 = cited_measures(after, suggestion, track_type=track_type)
    kw: dict[str, Any] = {
        "track_id": tid,
        "track_type": track_type,
        "bpm": bpm,
        "genre": genre,
        "platform": platform,
    }
    advice0, advice1 = suggest_for_track(before, **kw), suggest_for_track(after, **kw)
    met = thresholds_met(suggestion, m1)
    key = (suggestion.type, suggestion.target.band)
    resolved = met if met is not None else key not in advice_keys(advice1, tid)
    effects = [
        *quality_effects(before, after, track_type),
        *level_effects(suggestion, before, after),
        *new_advice(advice0, advice1, tid, {tid: band_changes_db(before, after)}),
    ]
    improved = not resolved and improved_enough(threshold_progress(suggestion, m0, m1))
    return Verification(suggestion.id, tid, True, bool(resolved), m0, m1, tuple(effects), improved)


def not_renderable(suggestion: Suggestion, before: TrackAnalysis, *, track_type: str) -> Verification:
    """The verdict for a move that cannot be rendered: its evidence, unverified."""
    m0 = cited_measures(before, suggestion, track_type=track_type)
    return Verification(suggestion.id, suggestion.target.track_id, False, False, m0, {}, ())


def verify_suggestion(
    y: np.ndarray,
    sr: int,
    suggestion: Suggestion,
    *,
    track_type: str,
    before: TrackAnalysis | None = None,
    bpm: float | None = None,
    genre: str | None = None,
    platform: str | None = None,
) -> tuple[Verification, np.ndarray | None]:
    """Render one suggestion on its track, re-analyse, and compare.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (channels, n); sr : int
        The track as decoded (core.audio), at its own rate and channel count.
    suggestion : Suggestion
        One of this track's suggestions.
    track_type : str
        The track's declared type (core.suggestions.TRACK_TYPES).
    before : TrackAnalysis, optional
        The track's analysis when the caller has it (cached); measured otherwise.

    Returns
    -------
    (Verification, rendered audio or None when the move cannot be rendered)
    """
    a0 = before if before is not None else analyze((y, int(sr)), name=suggestion.target.track_id)
    if not is_renderable(suggestion):
        return not_renderable(suggestion, a0, track_type=track_type), None
    rendered = render_suggestion(y, sr, suggestion)
    a1 = analyze((rendered, int(sr)), name=suggestion.target.track_id)
    verdict = compare_analyses(
        suggestion, a0, a1, track_type=track_type, bpm=bpm, genre=genre, platform=platform
    )
    return verdict, rendered


def vet_suggestions(
    suggestions: Sequence[Suggestion], verifications: Mapping[str, Verification]
) -> tuple[Suggestion, ...]:
    """Apply verdicts before advice is stored: demote what neither resolves nor improves what it
    cites, drop what harms without resolving.

    ``verifications`` are keyed by suggestion id; a suggestion without one (not verified, e.g. not
    renderable) passes unchanged. The verdict is written into the evidence (``verified`` 1 / 0,
    ``side_effects`` count) so the learning system and the page can read it.
    """
    out = []
    for s in suggestions:
        v = verifications.get(s.id)
        if v is None or not v.renderable:
            out.append(s)
            continue
        effects = [e for e in v.side_effects if not e.code.startswith(NEW_MASKING)]
        if effects and not v.resolved:
            continue  # does not fix what it names, and breaks something else: never shown
        evidence = {
            **s.evidence,
            "verified": int(v.resolved),
            "improved": int(v.improved),
            "side_effects": len(effects),
        }
        if (v.resolved or v.improved) and not effects:
            out.append(dataclasses.replace(s, evidence=evidence))
            continue
        out.append(
            dataclasses.replace(
                s,
                priority=min(s.priority + DEMOTE_PRIORITY_STEPS, 5),
                confidence=round(s.confidence * DEMOTE_CONFIDENCE_FACTOR, 3),
                evidence=evidence,
            )
        )
    return tuple(out)
