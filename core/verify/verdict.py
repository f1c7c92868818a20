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
The session variant (``verify_in_session``) re-runs the session step with the rendered stem in place.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.analysis import analyze
from core.quality import for_track_type
from core.render import is_renderable, render_suggestion
from core.results import TrackAnalysis, to_dict
from core.session.analyze import SessionAnalysis, analyze_session, session_stem_grid
from core.session.masking import louder_fraction
from core.session.mud import carrier_share
from core.session.spec import SessionSpec
from core.suggestions.model import Suggestion
from core.suggestions.track import suggest_for_track
from core.suggestions.wording import band_words
from core.verify.measures import cited_measures

#: Quality severities, in order (core.results.Severity).
_SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}


@dataclass(frozen=True)
class SideEffectLimits:
    #: An EQ, filter or de-esser that moves integrated loudness more than this (dB) changed the
    #: track's level, not just its tone (a fader move should then follow).
    loudness_shift_db: float = 6.0
    #: True peak rising above this (dBTP) where it was not before: new inter-sample overs.
    true_peak_dbtp: float = 0.0
    #: New advice at this priority or more urgent on the same track is a side effect.
    new_advice_priority: int = 2
    #: A masking conflict of a moved track that appears with at least this overlap, in a band where the
    #: pair had none (under core.session.masking.MIN_OVERLAP), is a side effect: the move cleared
    #: one band by pushing the pair together in another (a snare's 354 Hz cut that took its low-mid
    #: clash with the keys from 0.69 to 0 while their mids went from none to 0.64).
    new_masking_overlap: float = 0.5


SIDE_EFFECT_LIMITS = SideEffectLimits()
#: Demotion of a suggestion that does not resolve what it cites: priority steps and confidence factor.
DEMOTE_PRIORITY_STEPS = 1
DEMOTE_CONFIDENCE_FACTOR = 0.5
#: A move that takes each cited measure at least this share of the way to its threshold improves
#: what it names: kept at its rank (a carrier's low-mid cut, capped at 6 dB, takes a mix 7-11 dB
#: over its balance 55-65 % of the way on sessions-dev; a +4 dB presence boost on a lead 22 dB
#: darker than its mids, 25 %, is demoted).
IMPROVE_FRACTION = 0.5
_LEVEL_TYPES = frozenset({"gain", "compression", "limiting", "cleanup"})


@dataclass(frozen=True)
class SideEffect:
    code: str
    message: str
    before: float | None
    after: float | None


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


def advice_keys(suggestions: Sequence[Suggestion], track_id: str) -> dict[tuple[str, str | None], int]:
    out: dict[tuple[str, str | None], int] = {}
    for s in suggestions:
        if s.target.track_id == track_id:
            key = (s.type, s.target.band)
            out[key] = min(out.get(key, 9), s.priority)
    return out


def _cited_thresholds(s: Suggestion) -> list[tuple[str, float, float]]:
    """(measure, threshold, sign) for each ``<measure>_above`` (+1) / ``<measure>_below`` (-1) the
    evidence names: the measure is past its line while sign * (value - threshold) > 0."""
    out = []
    for key, limit in s.evidence.items():
        for suffix, sign in (("_above", 1.0), ("_below", -1.0)):
            if key.endswith(suffix) and isinstance(limit, float | int):
                out.append((key[: -len(suffix)], float(limit), sign))
    return out


def _thresholds_met(s: Suggestion, after: Mapping[str, float | None]) -> bool | None:
    """True/False when the evidence names thresholds; None when it names none."""
    verdicts = [
        sign * (value - limit) <= 0.0
        for measure, limit, sign in _cited_thresholds(s)
        if (value := after.get(measure)) is not None
    ]
    return all(verdicts) if verdicts else None


def _progress(
    s: Suggestion, before: Mapping[str, float | None], after: Mapping[str, float | None]
) -> list[float]:
    """For each threshold the evidence names, the share of the way (0 = no move, 1 = on the line)
    the measure travelled from ``before`` towards it; 1 for a measure that was not past it."""
    out = []
    for measure, limit, sign in _cited_thresholds(s):
        b, a = before.get(measure), after.get(measure)
        if b is None or a is None:
            continue
        gap = sign * (b - limit)
        out.append(1.0 if gap <= 0.0 else sign * (b - a) / gap)
    return out


def _improved(progress: Sequence[float], *, any_of: bool = False) -> bool:
    """Every (``any_of``: one) cited measure moved IMPROVE_FRACTION of the way to its threshold."""
    if not progress:
        return False
    reached = [p >= IMPROVE_FRACTION for p in progress]
    return any(reached) if any_of else all(reached)


def _quality_effects(before: TrackAnalysis, after: TrackAnalysis, track_type: str) -> list[SideEffect]:
    """Quality issues that appear or worsen, as the user reads them for this track's type (a stem is
    not judged on a full mix's tonal balance: core.quality.for_track_type)."""
    was = {i.code: _SEVERITY_RANK[i.severity] for i in for_track_type(before.quality, track_type).issues}
    out = []
    for issue in for_track_type(after.quality, track_type).issues:
        rank = _SEVERITY_RANK[issue.severity]
        if rank >= 1 and rank > was.get(issue.code, -1):
            out.append(SideEffect(f"quality_{issue.code}", issue.message, was.get(issue.code), float(rank)))
    return out


def _level_effects(s: Suggestion, before: TrackAnalysis, after: TrackAnalysis) -> list[SideEffect]:
    out = []
    tp0, tp1 = before.loudness.true_peak_dbtp, after.loudness.true_peak_dbtp
    limit = SIDE_EFFECT_LIMITS.true_peak_dbtp
    if tp1 is not None and tp1 > limit and (tp0 is None or tp0 <= limit):
        out.append(
            SideEffect("true_peak", f"True peak rises to {tp1:+.1f} dBTP, over {limit:g} dBTP.", tp0, tp1)
        )
    c0, c1 = before.dynamics.clipped_samples, after.dynamics.clipped_samples
    if c1 > c0:
        out.append(SideEffect("clipping", f"{c1 - c0} new clipped samples.", float(c0), float(c1)))
    l0, l1 = before.loudness.integrated_lufs, after.loudness.integrated_lufs
    shift = SIDE_EFFECT_LIMITS.loudness_shift_db
    if s.type not in _LEVEL_TYPES and l0 is not None and l1 is not None and abs(l1 - l0) > shift:
        out.append(
            SideEffect(
                "loudness_shift",
                f"Integrated loudness moves {l1 - l0:+.1f} dB ({l0:.1f} -> {l1:.1f} LUFS); an EQ move "
                f"should not shift the level by more than {shift:g} dB.",
                l0,
                l1,
            )
        )
    return out


#: The code prefix of a new masking clash (``new_masking``): shown with a preview, but not held against
#: a move in vetting. Overlap is judged against a 6 dB line, so a cut that clears one band often
#: brings the pair within 6 dB in the next (0 -> 0.5-0.6) where nothing is heard to change: counted
#: in vetting, it took a keys part's mud cut out of a clean dev session's top 3 (pop909_292).
NEW_MASKING = "new_masking:"


def new_masking(
    before: SessionAnalysis, after: SessionAnalysis, track_ids: Iterable[str]
) -> list[SideEffect]:
    """Masking conflicts of the moved tracks that the move created (at least
    SIDE_EFFECT_LIMITS.new_masking_overlap, none before)."""
    moved = set(track_ids)
    was = {(c.band, c.track_a, c.track_b) for c in before.masking.conflicts}
    out = []
    for c in after.masking.conflicts:
        if (
            moved & {c.track_a, c.track_b}
            and (c.band, c.track_a, c.track_b) not in was
            and c.overlap >= SIDE_EFFECT_LIMITS.new_masking_overlap
        ):
            out.append(
                SideEffect(
                    f"{NEW_MASKING}{c.band}:{c.track_a}/{c.track_b}",
                    f"After the move, '{c.track_a}' and '{c.track_b}' clash in the {band_words(c.band)[4:]} "
                    f"(overlap {c.overlap:.2f}, none before).",
                    0.0,
                    round(c.overlap, 3),
                )
            )
    return out


def new_advice(before: Sequence[Suggestion], after: Sequence[Suggestion], track_id: str) -> list[SideEffect]:
    """First-rank advice on ``track_id`` after a move that was not there before."""
    was, now = advice_keys(before, track_id), advice_keys(after, track_id)
    out = []
    for (type_, band), priority in sorted(now.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        if priority <= SIDE_EFFECT_LIMITS.new_advice_priority and (type_, band) not in was:
            where = f" in the {band} band" if band else ""
            out.append(
                SideEffect(
                    f"new_advice_{type_}",
                    f"After the move, new {type_} advice{where}.",
                    None,
                    float(priority),
                )
            )
    return out


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
    met = _thresholds_met(suggestion, m1)
    key = (suggestion.type, suggestion.target.band)
    resolved = met if met is not None else key not in advice_keys(advice1, tid)
    effects = [
        *_quality_effects(before, after, track_type),
        *_level_effects(suggestion, before, after),
        *new_advice(advice0, advice1, tid),
    ]
    improved = not resolved and _improved(_progress(suggestion, m0, m1))
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


def session_measures(session: SessionAnalysis, suggestion: Suggestion) -> dict[str, float | None]:
    """The session-level evidence of a suggestion: masking overlap, level against the mix, loudness
    (verify_in_session adds a dominance cut's ``louder_fraction``, which needs the stems' grid)."""
    tid = suggestion.target.track_id
    out: dict[str, float | None] = {"mix_lufs": session.mix.integrated_lufs}
    pair = suggestion.evidence.get("masked_track")
    overlaps = [
        c.overlap
        for c in session.masking.conflicts
        if tid in (c.track_a, c.track_b)
        and c.band == suggestion.target.band
        and (pair is None or pair in (c.track_a, c.track_b))
    ]
    if suggestion.target.band is not None:
        out["overlap"] = max(overlaps) if overlaps else 0.0
    level = next((lv for lv in session.balance.types if tid in lv.track_ids), None)
    if level is not None:
        out["relative_db"] = level.relative_db
    return out


def verify_in_session(
    session: SessionSpec | Mapping[str, Any],
    analyses: Mapping[str, TrackAnalysis | None],
    suggestion: Suggestion,
    after: TrackAnalysis,
) -> Verification:
    """Re-run the session step with the rendered stem's analysis in place of the original.

    ``resolved``: the same advice (type and band) no longer appears on that track (a dominance cut:
    its ``louder_fraction`` is back under its threshold); ``side_effects``:
    new first-rank advice on any track of the session.
    """
    tid = suggestion.target.track_id
    now = {**analyses, tid: after}
    s0 = analyze_session(session, analyses)
    s1 = analyze_session(session, now)
    resolved, improved, m0, m1 = judge_in_session(session, analyses, now, suggestion, s0, s1)
    all0 = [s for t in s0.tracks for s in t.suggestions]
    all1 = [s for t in s1.tracks for s in t.suggestions]
    effects = new_masking(s0, s1, [tid])
    for t in s1.tracks:
        effects.extend(new_advice(all0, all1, t.track_id))
    return Verification(suggestion.id, tid, True, resolved, m0, m1, tuple(effects), improved)


def judge_in_session(
    session: SessionSpec | Mapping[str, Any],
    before: Mapping[str, TrackAnalysis | None],
    after: Mapping[str, TrackAnalysis | None],
    suggestion: Suggestion,
    s0: SessionAnalysis,
    s1: SessionAnalysis,
) -> tuple[bool, bool, dict[str, float | None], dict[str, float | None]]:
    """(resolved, improved, measures before, after) of one piece of session advice, from the
    session step run on the stems' analyses ``before`` (s0) and ``after`` (s1) the moves.

    ``after`` holds every stem, rendered ones in place: one move alone (verify_in_session) or a set
    of moves across tracks (core.verify.session.verify_session_moves) is judged the same way.
    """
    tid = suggestion.target.track_id
    m0, m1 = session_measures(s0, suggestion), session_measures(s1, suggestion)
    owner, band = suggestion.evidence.get("masked_track"), suggestion.target.band
    if "louder_fraction" in suggestion.evidence and isinstance(owner, str) and band is not None:
        for measures, now in ((m0, before), (m1, after)):
            measures["louder_fraction"] = louder_fraction(session_stem_grid(session, now), tid, owner, band)
    all1 = [s for t in s1.tracks for s in t.suggestions]
    resolved = (suggestion.type, suggestion.target.band) not in advice_keys(all1, tid)
    if m1.get("louder_fraction") is not None:
        # a dominance cut is done when the stem no longer outshines the owner; a milder overlap cut
        # may still be offered there (the two stems now share the band)
        resolved = bool(_thresholds_met(suggestion, {"louder_fraction": m1["louder_fraction"]}))
    if "carrier_share" in suggestion.evidence:
        # a carrier's cut (mud, a crowded presence band) is done when the part no longer carries
        # the band, or the mix is back in balance there
        spec = session if isinstance(session, SessionSpec) else SessionSpec.from_dict(session)
        carried = suggestion.target.band or "low_mid"
        for measures, now, result in ((m0, before, s0), (m1, after, s1)):
            ready = {k: v for k, v in now.items() if v is not None}
            measures["carrier_share"] = round(carrier_share(spec.tracks, ready, tid, carried), 4)
            measures["mix_deviation_db"] = next(
                (d.deviation_db for d in result.mix.tonal_balance if d.band == suggestion.target.band), None
            )
        share_limit = suggestion.evidence.get("carrier_share_above")
        mix_limit = suggestion.evidence.get("mix_deviation_db_above")
        share, dev = m1["carrier_share"], m1["mix_deviation_db"]
        resolved = bool(
            (isinstance(share_limit, float | int) and share is not None and share < share_limit)
            or (isinstance(mix_limit, float | int) and dev is not None and dev <= mix_limit)
        )
    improved = False
    if "carrier_share" in suggestion.evidence and not resolved:
        # either line clears a carrier (see above): progress towards either counts
        improved = _improved(_progress(suggestion, m0, m1), any_of=True)
    return resolved, improved, _rounded(m0), _rounded(m1)


def _rounded(measures: Mapping[str, float | None]) -> dict[str, float | None]:
    """Session measures to three decimals (a share or an overlap to 0.001): not float noise."""
    return {k: None if v is None else round(float(v), 3) for k, v in measures.items()}


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
