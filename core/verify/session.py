"""Vet a whole session's advice before it is stored: render each move, keep what proves itself."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from core.analysis import analyze
from core.render import is_renderable, render_suggestion
from core.results import TrackAnalysis, to_dict
from core.session.analyze import SessionAnalysis, TrackSuggestions
from core.session.spec import SessionSpec
from core.suggestions.model import Suggestion
from core.verify.in_session import NO_CONTEXT, StepContext, held, judge_in_session, step, verify_in_session
from core.verify.side_effects import SideEffect, advice_keys, band_changes_db, new_advice, new_masking
from core.verify.verdict import Verification, compare_analyses, vet_suggestions

#: Suggestions that come from the session step (cross-track) rather than the track's own rules:
#: their verdict comes from re-running the session step with the rendered stem in place.
SESSION_EVIDENCE_KEYS = frozenset(
    {"overlap", "louder_fraction", "level_error_db", "lead_over_backing_db", "carrier_share"}
)


def is_session_advice(s: Suggestion) -> bool:
    """True for advice the session step gave (masking, level balance): judged in the session."""
    return bool(SESSION_EVIDENCE_KEYS & set(s.evidence))


#: (track id, suggestion) -> the analysis of the track with that move rendered (``rendered_analysis``).
Remeasure = Callable[[str, Suggestion], TrackAnalysis]


def rendered_analysis(y: np.ndarray, sr: int, suggestion: Suggestion, *, name: str) -> TrackAnalysis:
    """The analysis of ``y`` with ``suggestion`` rendered on it (core.render), named ``name``."""
    return analyze((render_suggestion(y, sr, suggestion), sr), name=name)


def _measuring(
    audio: Mapping[str, tuple[np.ndarray, int]], track_id: str
) -> Callable[[Suggestion], TrackAnalysis]:
    y, sr = audio[track_id]  # one stem decoded at a time when ``audio`` decodes on access
    return partial(rendered_analysis, y, sr, name=track_id)


def moves_to_vet(track: TrackSuggestions, audio: Container[str]) -> list[Suggestion]:
    """The moves of one track of a session analysis that ``vet_session``
    renders and re-measures: its renderable suggestions, when the track's audio is in ``audio``."""
    if track.track_id not in audio:
        return []
    return [s for s in track.suggestions if is_renderable(s)]


def vet_session(
    session: SessionSpec | Mapping[str, object],
    audio: Mapping[str, tuple[np.ndarray, int]],
    analyses: Mapping[str, TrackAnalysis],
    result: SessionAnalysis | None = None,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    context: StepContext = NO_CONTEXT,
    remeasure: Remeasure | None = None,
) -> tuple[SessionAnalysis, dict[str, Verification]]:
    """The session analysis with every renderable suggestion verified, demoted or dropped.

    Parameters
    ----------
    session : SessionSpec or the stored session document.
    audio : track_id -> (y, sr), the decoded stems (core.audio layout).
    analyses : track_id -> TrackAnalysis of those stems.
    result : the session analysis when already computed with ``context`` (run otherwise).
    on_progress : called with (tracks done, tracks to vet) before each track.
    context : what the session step was given besides the stems (reference, style, heard tempo):
        session advice is judged on the step the user is shown.
    remeasure : (track id, suggestion) -> the analysis of that stem with the move rendered; by
        default ``rendered_analysis`` on ``audio``. The service passes one cached by the move's
        recipe (service.moved), so a session vetted again after an edit renders only what changed.

    Returns
    -------
    (the session analysis with each track's suggestions passed through vet_suggestions, the
    verdicts by suggestion id). Track advice is judged on its own track (compare_analyses),
    session advice (masking, level balance) by re-running the session step.
    """
    spec = session if isinstance(session, SessionSpec) else SessionSpec.from_dict(session)
    base = result if result is not None else step(spec, analyses, context)
    types = {t.track_id: t.type for t in spec.tracks}
    verdicts: dict[str, Verification] = {}
    todo = [(ts, moves_to_vet(ts, audio)) for ts in base.tracks]
    todo = [(ts, moves) for ts, moves in todo if moves]
    for i, (ts, moves) in enumerate(todo):
        if on_progress is not None:
            on_progress(i, len(todo))
        measure = _measuring(audio, ts.track_id) if remeasure is None else partial(remeasure, ts.track_id)
        for s in moves:
            after = measure(s)
            if is_session_advice(s):
                verdicts[s.id] = verify_in_session(spec, analyses, s, after, context=context, before=base)
            else:
                verdicts[s.id] = compare_analyses(
                    s, analyses[ts.track_id], after, track_type=types[ts.track_id], bpm=base.bpm
                )
    tracks = tuple(
        dataclasses.replace(ts, suggestions=vet_suggestions(ts.suggestions, verdicts)) for ts in base.tracks
    )
    return dataclasses.replace(base, tracks=tracks), verdicts


@dataclass(frozen=True)
class SessionVerification:
    """What a set of moves across a session's tracks did to the session.

    before / after : the session's measures (``session_moves_measures``), keyed by name.
    resolved : by suggestion id, judged as the move alone would be (session advice in the session
        step with every rendered stem in place, core.verify.in_session.judge_in_session; track advice
        on its own track, compare_analyses) but with all the moves made.
    improved : by suggestion id, not resolved but most of the way there (IMPROVE_FRACTION).
    side_effects : new first-rank advice on any track of the session.
    """

    before: dict[str, float | None]
    after: dict[str, float | None]
    resolved: dict[str, bool]
    side_effects: tuple[SideEffect, ...]
    improved: dict[str, bool] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)  # type: ignore[no-any-return]


def masking_pairs(session: SessionAnalysis, track_ids: Iterable[str]) -> set[tuple[str, str, str]]:
    """(band, track a, track b) of the session's listed masking conflicts that involve ``track_ids``."""
    ids = set(track_ids)
    return {(c.band, c.track_a, c.track_b) for c in session.masking.conflicts if ids & {c.track_a, c.track_b}}


def session_moves_measures(
    session: SessionAnalysis,
    track_ids: Iterable[str],
    pairs: Iterable[tuple[str, str, str]] | None = None,
) -> dict[str, float | None]:
    """The session's estimated mix loudness, the masking overlaps and type levels that involve
    ``track_ids`` (``overlap:<band>:<a>/<b>``, ``relative_db:<type>``), and the mix's tonal balance
    against the genre target (``tonal_deviation_db:<band>``).

    The overlaps are those of ``pairs`` (band, a, b), by default the conflicts the session lists,
    each read from the masking matrix (``MaskingResult.overlap``)."""
    ids = set(track_ids)
    out: dict[str, float | None] = {"mix_lufs": session.mix.integrated_lufs}
    for band, a, b in sorted(masking_pairs(session, ids) if pairs is None else pairs):
        out[f"overlap:{band}:{a}/{b}"] = session.masking.overlap(band, a, b)
    for level in session.balance.types:
        if ids & set(level.track_ids):
            out[f"relative_db:{level.type}"] = level.relative_db
    for d in session.mix.tonal_balance:
        out[f"tonal_deviation_db:{d.band}"] = d.deviation_db
    return {k: (None if v is None else round(float(v), 2)) for k, v in out.items()}


def verify_session_moves(
    session: SessionSpec | Mapping[str, object],
    analyses: Mapping[str, TrackAnalysis],
    suggestions: Sequence[Suggestion],
    after: Mapping[str, TrackAnalysis],
    *,
    context: StepContext = NO_CONTEXT,
) -> SessionVerification:
    """Re-run the session step (with ``context``) with the rendered stems' analyses (``after``, by
    track id) in place.

    The overlaps are those of every pair either side lists, each read from its side's masking matrix
    (the conflicts list only the worst pairs: a clash cleared frees a place for one that was there).
    """
    spec = session if isinstance(session, SessionSpec) else SessionSpec.from_dict(session)
    s0 = step(spec, analyses, context)
    s1 = step(held(spec, s0), {**analyses, **after}, context)
    ids = {s.target.track_id for s in suggestions}
    pairs = masking_pairs(s0, ids) | masking_pairs(s1, ids)
    m0, m1 = session_moves_measures(s0, ids, pairs), session_moves_measures(s1, ids, pairs)
    all0 = [s for t in s0.tracks for s in t.suggestions]
    all1 = [s for t in s1.tracks for s in t.suggestions]
    now = {**analyses, **after}
    types = {t.track_id: t.type for t in spec.tracks}
    resolved, improved = {}, {}
    for s in suggestions:
        tid = s.target.track_id
        if is_session_advice(s):
            resolved[s.id], improved[s.id], _, _ = judge_in_session(spec, analyses, now, s, s0, s1)
        elif tid in after and tid in analyses:
            v = compare_analyses(s, analyses[tid], after[tid], track_type=types[tid], bpm=s0.bpm)
            resolved[s.id], improved[s.id] = v.resolved, v.improved
        else:
            resolved[s.id] = (s.type, s.target.band) not in advice_keys(all1, tid)
            improved[s.id] = False
    moved = {t: band_changes_db(analyses.get(t), after.get(t)) for t in ids}
    effects = new_masking(s0, s1, moved)
    for t in s1.tracks:
        effects.extend(new_advice(all0, all1, t.track_id, moved))
    return SessionVerification(
        dict(sorted(m0.items())), dict(sorted(m1.items())), resolved, tuple(effects), improved
    )
