"""Level balance: each stem against its type's usual level in the session.

A stem type has a usual place in a balance: the lead vocal on top, kick and bass about a dB under
it, snare a few dB lower, keys, strings and pads further down, cymbals lowest (``USUAL_LEVEL_DB``,
loudness relative to the lead; after M. Senior, "Mixing Secrets for the Small Studio" (2011), ch. 8,
"building the balance", and B. Owsinski, "The Mixing Engineer's Handbook" (2017), ch. 4). The
session's reference is the median over its stems of (loudness - usual level): one stem far off
cannot drag it. A stem more than ``LEVEL_TOLERANCE_DB`` from reference + usual level gets a fader
move of the full distance (capped by core.suggestions.rules.PARAMETER_LIMITS). Only applied when the
session has at least ``MIN_TYPES`` stem types: in a sparse session every element is near the top.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from core.results import TrackAnalysis
from core.session.spec import TrackSpec
from core.suggestions.model import Suggestion, make_suggestion
from core.suggestions.rules import CYMBALS_LOW_SHARE
from core.suggestions.wording import a_track

#: Usual integrated loudness of a stem type relative to the lead vocal (dB).
USUAL_LEVEL_DB: dict[str, float] = {
    "vocals": 0.0,
    "backing_vocals": -6.0,
    "kick": -1.0,
    "snare": -3.0,
    "drums": -2.0,
    "bass": -1.0,
    "guitar": -4.0,
    "keys": -5.0,
    "synth": -5.0,
    "pad": -7.0,
    "strings": -6.0,
    "brass": -5.0,
    "fx": -12.0,
}
#: A "drums" stem with less than this share of its power below 250 Hz is cymbals or percussion,
#: not a kit: it sits ``CYMBALS_LEVEL_DB`` under the lead.
CYMBALS_LEVEL_DB = -9.0
#: Distance (dB) from the usual level beyond which a stem is too loud or too quiet.
LEVEL_TOLERANCE_DB = 4.0
#: Beyond this distance (dB) the move is first-rank (priority 1).
LEVEL_URGENT_DB = 6.0
MIN_TYPES = 4
#: The lead vocal should sit at least this far above the backing vocals.
LEAD_OVER_BACKING_DB = 3.0


@dataclass(frozen=True)
class TypeLevel:
    type: str
    track_ids: tuple[str, ...]
    loudness_lufs: float | None
    relative_db: float | None
    range_db: tuple[float, float] | None
    verdict: str  # "ok", "too_loud", "too_quiet", "unchecked"


@dataclass(frozen=True)
class BalanceResult:
    mix_lufs: float | None
    types: tuple[TypeLevel, ...]
    suggestions: tuple[Suggestion, ...]


def _gain(
    track_id: str,
    track_type: str,
    delta: float,
    reason: str,
    evidence: Mapping[str, float | str | None],
    *,
    priority: int = 2,
) -> Suggestion:
    return make_suggestion(
        "gain",
        track_id=track_id,
        track_type=track_type,
        band=None,
        parameters={"gain_db": delta},
        priority=priority,
        confidence=0.7,
        reason=reason,
        evidence=evidence,
    )


def usual_level_db(track_type: str, analysis: TrackAnalysis) -> float | None:
    """The type's usual loudness against the lead (dB); cymbal-only "drums" sit lower."""
    if track_type == "drums":
        low = sum(b.share for b in analysis.spectrum.bands if b.high_hz <= 250.0)
        if low < CYMBALS_LOW_SHARE:
            return CYMBALS_LEVEL_DB
    return USUAL_LEVEL_DB.get(track_type)


def _level_move(
    t: TrackSpec, lufs: float, usual: float, reference: float, mix_lufs: float | None
) -> Suggestion:
    error = lufs - usual - reference
    side = "above" if error > 0 else "below"
    where = f"{usual:+g} dB against the lead" if t.type != "vocals" else "on top of the balance"
    return _gain(
        t.track_id,
        t.type,
        -error,
        f"'{t.name}' is {abs(error):.1f} dB {'louder' if error > 0 else 'quieter'} than "
        f"{a_track(t.type)} usually sits in a balance ({where}, judged from the other stems' "
        f"levels): move its fader {-error:+.1f} dB.",
        {
            "level_error_db": error,
            f"level_error_db_{side}": LEVEL_TOLERANCE_DB if error > 0 else -LEVEL_TOLERANCE_DB,
            "usual_level_db": usual,
            "relative_db": None if mix_lufs is None else lufs - mix_lufs,
        },
        priority=1 if abs(error) >= LEVEL_URGENT_DB else 2,
    )


def measure_balance(
    tracks: Sequence[TrackSpec], analyses: Mapping[str, TrackAnalysis], *, mix_lufs: float | None
) -> BalanceResult:
    """Each stem against its type's usual level, with a full-size fader move for those far off."""
    placed: list[tuple[TrackSpec, float, float | None]] = []
    for t in tracks:
        a = analyses.get(t.track_id)
        if a is None or a.loudness.integrated_lufs is None:
            continue
        placed.append((t, a.loudness.integrated_lufs + t.volume_db, usual_level_db(t.type, a)))
    known = [(t, lufs, u) for t, lufs, u in placed if u is not None]
    checked = len({t.type for t, _, _ in known}) >= MIN_TYPES
    reference = float(np.median([lufs - u for _, lufs, u in known])) if known else None
    out: list[Suggestion] = []
    verdicts: dict[str, str] = {}
    for t, lufs, u in known:
        if not checked or reference is None:
            continue
        error = lufs - u - reference
        verdicts[t.track_id] = (
            "too_loud" if error > LEVEL_TOLERANCE_DB else "too_quiet" if error < -LEVEL_TOLERANCE_DB else "ok"
        )
        if verdicts[t.track_id] != "ok":
            out.append(_level_move(t, lufs, u, reference, mix_lufs))
    by_type: dict[str, list[tuple[str, float]]] = {}
    for t, lufs, _ in placed:
        by_type.setdefault(t.type, []).append((t.track_id, lufs))
    levels = []
    for type_, members in sorted(by_type.items()):
        lufs = float(10 * np.log10(sum(10 ** (v / 10) for _, v in members)))
        rel = None if mix_lufs is None else lufs - mix_lufs
        ids = tuple(tid for tid, _ in members)
        marks = [verdicts[tid] for tid in ids if tid in verdicts]
        verdict = "unchecked" if not marks else next((m for m in marks if m != "ok"), "ok")
        usual = USUAL_LEVEL_DB.get(type_)
        rng = (
            None
            if usual is None or reference is None or mix_lufs is None
            else (
                reference + usual - LEVEL_TOLERANCE_DB - mix_lufs,
                reference + usual + LEVEL_TOLERANCE_DB - mix_lufs,
            )
        )
        levels.append(TypeLevel(type_, ids, lufs, rel, rng, verdict))
    lead = next((lv for lv in levels if lv.type == "vocals"), None)
    backing = next((lv for lv in levels if lv.type == "backing_vocals"), None)
    if lead and backing and lead.loudness_lufs is not None and backing.loudness_lufs is not None:
        gap = lead.loudness_lufs - backing.loudness_lufs
        if gap < LEAD_OVER_BACKING_DB:
            for tid in backing.track_ids:
                out.append(
                    _gain(
                        tid,
                        "backing_vocals",
                        gap - LEAD_OVER_BACKING_DB,
                        f"Backing vocals are only {gap:.1f} dB under the lead; keep them "
                        f"{LEAD_OVER_BACKING_DB:g} dB or more below so the lead reads.",
                        {"lead_over_backing_db": gap, "lead_over_backing_db_below": LEAD_OVER_BACKING_DB},
                    )
                )
    return BalanceResult(mix_lufs=mix_lufs, types=tuple(levels), suggestions=tuple(out))
