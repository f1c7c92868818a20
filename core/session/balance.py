"""Level balance between track types, against the estimated mix loudness.

Each type's loudness is the power sum of its unmuted stems' integrated loudness after the fader,
compared with the estimated mix loudness. ``BALANCE_RANGES`` are wide house rules of thumb for a
full band mix (lead vocal near the top, kick and bass next, pads and effects well under), after
M. Senior, "Mixing Secrets for the Small Studio" (2011), ch. 8 ("building the balance"); they are
only applied when the session has at least ``MIN_TYPES`` stem types, because in a sparse session
every element is necessarily near the top.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from core.results import TrackAnalysis
from core.session.spec import TrackSpec
from core.suggestions.model import Suggestion, make_suggestion

#: Type loudness relative to the mix (dB): (low, high).
BALANCE_RANGES: dict[str, tuple[float, float]] = {
    "vocals": (-7.0, 0.0),
    "backing_vocals": (-18.0, -6.0),
    "kick": (-12.0, -2.0),
    "snare": (-14.0, -3.0),
    "drums": (-10.0, -1.0),
    "bass": (-12.0, -2.0),
    "guitar": (-15.0, -3.0),
    "keys": (-16.0, -4.0),
    "synth": (-15.0, -3.0),
    "pad": (-24.0, -8.0),
    "strings": (-18.0, -4.0),
    "brass": (-16.0, -4.0),
    "fx": (-30.0, -8.0),
}
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
    track_id: str, track_type: str, delta: float, reason: str, evidence: Mapping[str, float | str | None]
) -> Suggestion:
    return make_suggestion(
        "gain",
        track_id=track_id,
        track_type=track_type,
        band=None,
        parameters={"gain_db": delta},
        priority=2,
        confidence=0.55,
        reason=reason,
        evidence=evidence,
    )


def measure_balance(
    tracks: Sequence[TrackSpec], analyses: Mapping[str, TrackAnalysis], *, mix_lufs: float | None
) -> BalanceResult:
    """Loudness per track type against the mix, with fader moves for types outside their range."""
    by_type: dict[str, list[tuple[str, float]]] = {}
    for t in tracks:
        a = analyses.get(t.track_id)
        if a is None or a.loudness.integrated_lufs is None:
            continue
        by_type.setdefault(t.type, []).append((t.track_id, a.loudness.integrated_lufs + t.volume_db))
    checked = mix_lufs is not None and len(by_type) >= MIN_TYPES
    levels, out = [], []
    for type_, members in sorted(by_type.items()):
        lufs = float(10 * np.log10(sum(10 ** (v / 10) for _, v in members)))
        rel = None if mix_lufs is None else lufs - mix_lufs
        rng = BALANCE_RANGES.get(type_)
        verdict = "unchecked"
        if checked and rng is not None and rel is not None:
            verdict = "too_loud" if rel > rng[1] else "too_quiet" if rel < rng[0] else "ok"
            if verdict != "ok":
                delta = (rng[1] if verdict == "too_loud" else rng[0]) - rel
                for tid, _ in members:
                    out.append(
                        _gain(
                            tid,
                            type_,
                            delta,
                            f"The {type_} sit {rel:+.1f} dB against the estimated mix; "
                            f"{rng[0]:g} to {rng[1]:g} dB is usual for a {type_}.",
                            {
                                "relative_db": rel,
                                "range_low_db": rng[0],
                                "range_high_db": rng[1],
                                **(
                                    {"relative_db_above": rng[1]}
                                    if verdict == "too_loud"
                                    else {"relative_db_below": rng[0]}
                                ),
                            },
                        )
                    )
        levels.append(TypeLevel(type_, tuple(tid for tid, _ in members), lufs, rel, rng, verdict))
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
