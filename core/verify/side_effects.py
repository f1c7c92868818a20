"""Side effects of a move: what got worse beyond a threshold (``SIDE_EFFECT_LIMITS``).

A new or more severe quality issue (as the user reads it for the track's type), new inter-sample
overs or clipped samples, a loudness shift an EQ should not cause, new first-rank advice on a track,
or a masking clash the move created between two tracks of a session.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.quality import for_track_type
from core.results import TrackAnalysis
from core.session.analyze import SessionAnalysis
from core.session.masking import MIN_OVERLAP
from core.suggestions.model import Suggestion
from core.suggestions.wording import band_words

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
    #: pair had none (under core.session.masking.MIN_OVERLAP), is a side effect: the move pushed the
    #: pair together there (a part raised 9 dB to within 6 dB of another).
    new_masking_overlap: float = 0.5
    #: ...and only where a moved track of the pair got at least this much louder (dB) in that band. A
    #: clash line crossed by a track that came down (a cut, a fader move) is the cut track now sharing
    #: the band it dominated: the other track is less masked than before, not more (a keys part's mud
    #: cut on sessions-dev "clashed" with the snare at 0.81 in the low mids it had just cleared).
    new_masking_rise_db: float = 0.5


SIDE_EFFECT_LIMITS = SideEffectLimits()
_LEVEL_TYPES = frozenset({"gain", "compression", "limiting", "cleanup"})


@dataclass(frozen=True)
class SideEffect:
    code: str
    message: str
    before: float | None
    after: float | None


def advice_keys(suggestions: Sequence[Suggestion], track_id: str) -> dict[tuple[str, str | None], int]:
    out: dict[tuple[str, str | None], int] = {}
    for s in suggestions:
        if s.target.track_id == track_id:
            key = (s.type, s.target.band)
            out[key] = min(out.get(key, 9), s.priority)
    return out


def quality_effects(before: TrackAnalysis, after: TrackAnalysis, track_type: str) -> list[SideEffect]:
    """Quality issues that appear or worsen, as the user reads them for this track's type (a stem is
    not judged on a full mix's tonal balance: core.quality.for_track_type)."""
    was = {i.code: _SEVERITY_RANK[i.severity] for i in for_track_type(before.quality, track_type).issues}
    out = []
    for issue in for_track_type(after.quality, track_type).issues:
        rank = _SEVERITY_RANK[issue.severity]
        if rank >= 1 and rank > was.get(issue.code, -1):
            out.append(SideEffect(f"quality_{issue.code}", issue.message, was.get(issue.code), float(rank)))
    return out


def level_effects(s: Suggestion, before: TrackAnalysis, after: TrackAnalysis) -> list[SideEffect]:
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
#: in vetting, it took a keys part's mud cut out of a clean dev session's top 3 (pop909_292). A crossing
#: by a track that came down is no clash at all (SIDE_EFFECT_LIMITS.new_masking_rise_db).
NEW_MASKING = "new_masking:"


def band_changes_db(before: TrackAnalysis | None, after: TrackAnalysis | None) -> dict[str, float] | None:
    """How much each band's energy moved (dB, after - before); None when either analysis is missing."""
    if before is None or after is None:
        return None
    was = {b.name: b.energy_db for b in before.spectrum.bands}
    return {
        b.name: b.energy_db - e
        for b in after.spectrum.bands
        if b.energy_db is not None and (e := was.get(b.name)) is not None
    }


def louder(changes: Mapping[str, float] | None, band: str) -> bool:
    """Did a moved track (``changes``: its band_changes_db; None, unknown, counts as louder) get
    SIDE_EFFECT_LIMITS.new_masking_rise_db louder in ``band``?"""
    return changes is None or changes.get(band, 0.0) >= SIDE_EFFECT_LIMITS.new_masking_rise_db


def new_masking(
    before: SessionAnalysis, after: SessionAnalysis, moved: Mapping[str, Mapping[str, float] | None]
) -> list[SideEffect]:
    """Masking conflicts of the moved tracks that the move created: at least
    SIDE_EFFECT_LIMITS.new_masking_overlap, none before, and a moved track of the pair louder in that
    band by SIDE_EFFECT_LIMITS.new_masking_rise_db (``moved``: track id -> band_changes_db; None,
    unknown, counts as louder)."""
    was = {(c.band, c.track_a, c.track_b) for c in before.masking.conflicts}
    was |= {
        (c.band, c.track_a, c.track_b)
        for c in after.masking.conflicts
        if before.masking.overlap(c.band, c.track_a, c.track_b) >= MIN_OVERLAP  # past the list's cap
    }

    out = []
    for c in after.masking.conflicts:
        if (
            any(louder(moved[t], c.band) for t in (c.track_a, c.track_b) if t in moved)
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


#: Advice that takes a band down: the move created its cause only if it made that band louder.
_REDUCING_TYPES = frozenset({"eq_cut", "high_pass", "low_pass", "de_ess"})


def new_advice(
    before: Sequence[Suggestion],
    after: Sequence[Suggestion],
    track_id: str,
    moved: Mapping[str, Mapping[str, float] | None] | None = None,
) -> list[SideEffect]:
    """First-rank advice on ``track_id`` after a move that was not there before.

    With ``moved`` (track id -> band_changes_db of each moved track; None, unknown, counts as louder),
    advice to take a band down (``_REDUCING_TYPES``) counts only where a moved track got
    SIDE_EFFECT_LIMITS.new_masking_rise_db louder in that band. Where none did, the energy there is
    what it was, and the advice's line was crossed against a smaller whole: a kick cut 4.7 dB at
    122 Hz on sessions-dev (pop909_391) lost 2.5 dB of level, its unchanged sub then read as rumble
    against the rest, and the cut that cleared the session's worst kick/bass clash was demoted for it.
    """

    def raised(band: str | None) -> bool:
        return moved is None or band is None or any(louder(c, band) for c in moved.values())

    was, now = advice_keys(before, track_id), advice_keys(after, track_id)
    out = []
    for (type_, band), priority in sorted(now.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        if type_ in _REDUCING_TYPES and not raised(band):
            continue
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
