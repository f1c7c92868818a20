"""The thresholds a suggestion cites: whether a measure is back on the right side of them, and how
far it moved towards them (``IMPROVE_FRACTION`` of the way counts as improved).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from core.suggestions.model import Suggestion

#: A move that takes each cited measure at least this share of the way to its threshold improves
#: what it names: kept at its rank (a carrier's low-mid cut, capped at 6 dB, takes a mix 7-11 dB
#: over its balance 55-65 % of the way on sessions-dev; a +4 dB presence boost on a lead 22 dB
#: darker than its mids, 25 %, is demoted).
IMPROVE_FRACTION = 0.5


def _cited_thresholds(s: Suggestion) -> list[tuple[str, float, float]]:
    """(measure, threshold, sign) for each ``<measure>_above`` (+1) / ``<measure>_below`` (-1) the
    evidence names: the measure is past its line while sign * (value - threshold) > 0."""
    out = []
    for key, limit in s.evidence.items():
        for suffix, sign in (("_above", 1.0), ("_below", -1.0)):
            if key.endswith(suffix) and isinstance(limit, float | int):
                out.append((key[: -len(suffix)], float(limit), sign))
    return out


def thresholds_met(s: Suggestion, after: Mapping[str, float | None]) -> bool | None:
    """True/False when the evidence names thresholds; None when it names none."""
    verdicts = [
        sign * (value - limit) <= 0.0
        for measure, limit, sign in _cited_thresholds(s)
        if (value := after.get(measure)) is not None
    ]
    return all(verdicts) if verdicts else None


def threshold_progress(
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


def improved_enough(progress: Sequence[float], *, any_of: bool = False) -> bool:
    """Every (``any_of``: one) cited measure moved IMPROVE_FRACTION of the way to its threshold."""
    if not progress:
        return False
    reached = [p >= IMPROVE_FRACTION for p in progress]
    return any(reached) if any_of else all(reached)
