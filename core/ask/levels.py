"""Level claims in answers: each states the direction the numbers show.

Two comparisons answer "too loud" and "too quiet":

- a track against its usual place in the session's balance (core.session.balance: each type's
  loudness relative to the estimated mix, ``relative_db``, and the range its usual level allows,
  ``range_db``, centred on the usual place). That is what "is the snare too loud?" asks;
- the estimated mix against the platform's target (core.targets.PLATFORM_TARGETS), for the mix.

A claim's sign is measured minus reference: over / louder when positive, under / quieter when
negative, so -16 LUFS against a -14 LUFS target reads "2.0 dB quieter".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.session.balance import LEVEL_TOLERANCE_DB, USUAL_LEVEL_DB
from core.suggestions.wording import a_track, type_noun

#: Below this difference (dB) a level is "level with" its reference: the figures show 0.0.
LEVEL_WITH_DB = 0.05
#: The balance verdict (core.session.balance) each level problem is shown by.
VERDICT_OF: dict[str, str] = {"too_loud": "too_loud", "low_level": "too_quiet"}


@dataclass(frozen=True)
class Placement:
    """One track type's level in the session's balance, as the session step stored it."""

    type: str
    track_ids: tuple[str, ...]
    relative_db: float | None
    range_db: tuple[float, float] | None
    verdict: str  # "ok", "too_loud", "too_quiet", "unchecked"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Placement:
        rng = data.get("range_db")
        rel = data.get("relative_db")
        return cls(
            type=str(data["type"]),
            track_ids=tuple(str(t) for t in data.get("track_ids") or ()),
            relative_db=None if rel is None else float(rel),
            range_db=None if rng is None else (float(rng[0]), float(rng[1])),
            verdict=str(data.get("verdict") or "unchecked"),
        )

    @property
    def error_db(self) -> float | None:
        """Level over (+) or under (-) the usual place: relative_db minus the range's centre (dB)."""
        if self.relative_db is None or self.range_db is None or self.verdict == "unchecked":
            return None
        return self.relative_db - (self.range_db[0] + self.range_db[1]) / 2


def _by(diff_db: float, over: str, under: str) -> str:
    return f"{abs(diff_db):.1f} dB {over if diff_db > 0 else under}"


def against_target(lufs: float, *, target_lufs: float, platform: str) -> str:
    """'2.0 dB quieter than the -14 LUFS Spotify plays at' (measured minus target)."""
    diff = lufs - target_lufs
    where = f"the {target_lufs:g} LUFS {platform} plays at"
    if abs(diff) < LEVEL_WITH_DB:
        return f"level with {where}"
    return f"{_by(diff, 'louder', 'quieter')} than {where}"


def placement_claim(p: Placement, *, problem_key: str, who: str) -> tuple[str, bool] | None:
    """The sentence on ``p`` for a "too loud" / "too quiet" question, and whether it shows the problem.

    None when the balance was not judged (too few stem types) or the problem is not a level one.
    """
    error = p.error_db
    verdict = VERDICT_OF.get(problem_key)
    if error is None or verdict is None:
        return None
    shown = p.verdict == verdict
    usual = USUAL_LEVEL_DB.get(p.type, 0.0)
    usually = "on top of the balance" if usual == 0.0 else f"{abs(usual):g} dB under the lead"
    words = verdict.replace("_", " ")
    place = (
        "at its usual place"
        if abs(error) < LEVEL_WITH_DB
        else f"{_by(error, 'over', 'under')} its usual place"
    )
    return (
        f"{who} sits {place} in this balance ({a_track(p.type)} usually sits {usually}; "
        f"{LEVEL_TOLERANCE_DB:g} dB either way is fine): {'' if shown else 'not '}{words}",
        shown,
    )


def placement_who(p: Placement, name: str) -> str:
    """How a claim names the type's tracks: "'Snare'" for one, "The snare tracks" for several."""
    return f"'{name}'" if len(p.track_ids) == 1 else f"The {type_noun(p.type)} tracks"
