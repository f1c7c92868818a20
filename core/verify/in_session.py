"""The verdict on one piece of session advice: the session step re-run with the rendered stem (or
stems) in place, its session-level evidence (masking overlap, level against the mix, a dominance
cut's louder fraction, a carrier's share) before and after.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.results import TrackAnalysis
from core.session.analyze import SessionAnalysis, analyze_session, session_stem_grid
from core.session.masking import louder_fraction
from core.session.mud import carrier_share
from core.session.reference import ReferenceTarget
from core.session.spec import SessionSpec
from core.session.tempo import TempoVote
from core.suggestions.model import Suggestion
from core.verify.side_effects import advice_keys, band_changes_db, new_advice, new_masking
from core.verify.thresholds import improved_enough, threshold_progress, thresholds_met
from core.verify.verdict import Verification


def session_measures(session: SessionAnalysis, suggestion: Suggestion) -> dict[str, float | None]:
    """The session-level evidence of a suggestion: masking overlap (where it cites one), level
    against the mix, loudness (judge_in_session adds a dominance cut's ``louder_fraction`` and a
    carrier's share, which need the stems).

    A cut that does not cite an overlap (a carrier's mud cut, a dominance cut) is not shown one: it
    brings its track down towards the others in the band, so the overlap rises as it works (a keys
    mud cut on sessions-dev, 0.70 -> 0.84, read as the move making something worse)."""
    tid = suggestion.target.track_id
    out: dict[str, float | None] = {"mix_lufs": session.mix.integrated_lufs}
    pair = suggestion.evidence.get("masked_track")
    if suggestion.target.band is not None and "overlap" in suggestion.evidence:
        overlaps = [
            c.overlap
            for c in session.masking.conflicts
            if tid in (c.track_a, c.track_b)
            and c.band == suggestion.target.band
            and (pair is None or pair in (c.track_a, c.track_b))
        ]
        out["overlap"] = max(overlaps, default=0.0)
    level = next((lv for lv in session.balance.types if tid in lv.track_ids), None)
    if level is not None:
        out["relative_db"] = level.relative_db
    return out


@dataclass(frozen=True)
class StepContext:
    """What the session step is given besides the stems (core.session.analyze_session's keywords):
    the user's references, production style and the tempo heard in the stems' sum. A verdict re-runs
    the step the user was shown: without the reference, a move toward it is judged against the genre,
    where it was never advised, and reads as resolved whatever it does."""

    reference: ReferenceTarget | None = None
    usual_genre: str | None = None
    usual_bpm: float | None = None
    heard_tempo: TempoVote | None = None


NO_CONTEXT = StepContext()


def step(
    session: SessionSpec | Mapping[str, Any],
    analyses: Mapping[str, TrackAnalysis | None],
    context: StepContext = NO_CONTEXT,
) -> SessionAnalysis:
    """core.session.analyze_session with ``context``."""
    return analyze_session(
        session,
        analyses,
        reference=context.reference,
        usual_genre=context.usual_genre,
        usual_bpm=context.usual_bpm,
        heard_tempo=context.heard_tempo,
    )


def held(session: SessionSpec | Mapping[str, Any], before: SessionAnalysis) -> SessionSpec:
    """The session with the genre and tempo the step ``before`` the moves used, for the step after
    them. A move does not change the song's genre or tempo, but a detection at its line can flip: a
    kick's 4.7 dB cut at 122 Hz moved pop909_391's genre confidence from 0.302 to 0.299, under
    MIN_CONFIDENCE (0.3), and the step after judged the mix against Pop's tonal target instead of
    Hip-Hop's (the kick's own sub read as 0 dB off target, from -4.6)."""
    spec = session if isinstance(session, SessionSpec) else SessionSpec.from_dict(session)
    return dataclasses.replace(spec, genre=before.genre_used, bpm=before.bpm)


def verify_in_session(
    session: SessionSpec | Mapping[str, Any],
    analyses: Mapping[str, TrackAnalysis | None],
    suggestion: Suggestion,
    after: TrackAnalysis,
    *,
    context: StepContext = NO_CONTEXT,
    before: SessionAnalysis | None = None,
) -> Verification:
    """Re-run the session step (with ``context``) with the rendered stem's analysis in place of the
    original; ``before``: the step already run on ``analyses`` with the same context.

    ``resolved``: the same advice (type and band) no longer appears on that track (a dominance cut:
    its ``louder_fraction`` is back under its threshold); ``side_effects``:
    new first-rank advice on any track of the session.
    """
    tid = suggestion.target.track_id
    now = {**analyses, tid: after}
    s0 = before if before is not None else step(session, analyses, context)
    s1 = step(held(session, s0), now, context)
    resolved, improved, m0, m1 = judge_in_session(session, analyses, now, suggestion, s0, s1)
    all0 = [s for t in s0.tracks for s in t.suggestions]
    all1 = [s for t in s1.tracks for s in t.suggestions]
    moved = {tid: band_changes_db(analyses.get(tid), after)}
    effects = new_masking(s0, s1, moved)
    for t in s1.tracks:
        effects.extend(new_advice(all0, all1, t.track_id, moved))
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
        resolved = bool(thresholds_met(suggestion, {"louder_fraction": m1["louder_fraction"]}))
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
        improved = improved_enough(threshold_progress(suggestion, m0, m1), any_of=True)
    return resolved, improved, _rounded(m0), _rounded(m1)


def _rounded(measures: Mapping[str, float | None]) -> dict[str, float | None]:
    """Session measures to three decimals (a share or an overlap to 0.001): not float noise."""
    return {k: None if v is None else round(float(v), 3) for k, v in measures.items()}
