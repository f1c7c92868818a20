"""Adaptive selection: which suggestions fit now, for this user (GET .../suggestions?limit=5).

Order of decisions, each from a table below:

1. Context filter: while recording, nothing that needs a render (offline processing) is shown.
2. Tiers: in the mastering state, loudness and true-peak moves come first; then the selected
   track's suggestions; then the rest.
3. Within a tier, by score = priority weight x severity^SEVERITY_EXPONENT x confidence weight x learned
   effectiveness (the posterior mean from core.learning): what is most wrong comes first (severity,
   core.suggestions.model.severity, is how far the cited measure is past its threshold, normalised
   per measure, and travels in the evidence), and types this user keeps rejecting sink.
4. Spread: within a tier, a track's second and later polish moves (priority >= SPREAD_PRIORITY),
   and the second and later send effects (SPREAD_TYPES) of any track, wait behind every other
   move, so a short list covers the session instead of carving one stem three ways or sending
   every dry stem to a reverb; defects (priority < SPREAD_PRIORITY) are never held back.
5. Exploration: with probability EXPLORATION_RATE one suggestion from below the cut is lifted into
   the last visible slot, chosen in proportion to its posterior uncertainty, so a held-back type is
   never hidden for good and the model can notice a change of taste. It never displaces a defect
   (priority <= PROTECTED_PRIORITY): what is most wrong stays in view. It starts with the user's
   first feedback: before that there is no taste to notice a change of, and a new user's list is
   what the measurements rank first (on the advice harness, one dev session in ten had its third
   move, the keys' cut of a +8 dB bell at 3.2 kHz, replaced by a delay send). All randomness comes from the
   ``rng`` passed in: a given seed gives a given ranking.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.context import ContextState, DawState
from core.errors import InvalidParameter
from core.learning import (
    MIX_TRACK_TYPE,
    LearningProfile,
    Population,
    SuggestionLike,
    adapt_parameters,
    effectiveness,
)
from core.learning.tables import FAVOURITE_ABOVE, HELD_BACK_BELOW
from core.suggestions.rules import MAX_SEVERITY


@dataclass(frozen=True)
class TypeTraits:
    #: Needs offline processing or a re-render of audio: never offered during a take.
    needs_render: bool = False
    #: A loudness / true-peak move: first while mastering.
    loudness: bool = False
    #: Counts as a loudness move only on the master bus (e.g. gain).
    loudness_on_master: bool = False


#: Suggestion types of core.suggestions. Inserts and parameter moves are real-time and safe while
#: recording; alignment and repair rewrite the audio offline, so they wait for the take to end.
SUGGESTION_TRAITS: Mapping[str, TypeTraits] = {
    "eq_cut": TypeTraits(),
    "eq_boost": TypeTraits(),
    "high_pass": TypeTraits(),
    "low_pass": TypeTraits(),
    "compression": TypeTraits(),
    "de_ess": TypeTraits(),
    "saturation": TypeTraits(),
    "reverb": TypeTraits(),
    "delay": TypeTraits(),
    "stereo_width": TypeTraits(),
    "gain": TypeTraits(loudness_on_master=True),
    "limiting": TypeTraits(loudness=True),  # ceiling_dbtp: the true-peak move
    "phase_fix": TypeTraits(needs_render=True),
    "cleanup": TypeTraits(needs_render=True),
}
#: A type this table does not know is kept out of a take: the safe default.
UNKNOWN_TRAITS = TypeTraits(needs_render=True)
#: Track types that carry the whole mix (core.suggestions.model.BUS_TYPES, plus a missing type).
MASTER_TRACK_TYPES = frozenset({"master", "mix_bus", MIX_TRACK_TYPE})

#: Suggestion priority (1 = fix first ... 5 = polish, as core.suggestions defines it) -> weight.
PRIORITY_WEIGHT: Mapping[int, float] = {1: 1.0, 2: 0.8, 3: 0.6, 4: 0.4, 5: 0.2}
#: Severity enters the score as severity ** this: it orders moves within a priority, and lets a
#: move of the next priority down outrank one only from PRIORITY_WEIGHT's ratio squared (2.25x as
#: far past its line for 4 over 3). Linear, a snare's crest factor 5 dB over its type's line
#: (polish) outranked keys with a +6 dB bell at 3 kHz (an improvement) on sessions-dev.
SEVERITY_EXPONENT = 0.5
#: Severity assumed for a suggestion whose evidence carries none (1 = just at its threshold).
DEFAULT_SEVERITY = 1.5
#: Confidence c in [0, 1] weighs CONFIDENCE_FLOOR + (1 - CONFIDENCE_FLOOR) * c.
CONFIDENCE_FLOOR = 0.5
EXPLORATION_RATE = 0.1
#: Exploration takes the last visible slot only from polish: a suggestion of this priority or more
#: urgent (clipping, a stem 8 dB off, a buried lead) in that slot stays; the draw is still made, so
#: a seed gives the same ranking whichever suggestion sits there.
PROTECTED_PRIORITY = 2
DEFAULT_LIMIT = 5
MAX_LIMIT = 50
#: Polish from this priority on: one per track at the head of each tier, the rest after it
#: (sessions-dev and synthetic sessions: three masking cuts on one snare, each priority 4, had taken
#: a clean session's whole top 3).
SPREAD_PRIORITY = 4
#: Send effects: the same advice on every dry stem ("add reverb") is one piece of advice, so after
#: the first, a tier's other polish moves of these types wait too (sessions-dev stems are dry: the
#: vetted top 3 of a clean session had been three reverb sends).
SPREAD_TYPES = frozenset({"reverb", "delay"})


@dataclass(frozen=True)
class Ranked:
    suggestion: SuggestionLike
    score: float
    effectiveness: float
    uncertainty: float
    #: The suggestion's parameters moved toward this user's habits (core.learning.adapt).
    parameters: tuple[tuple[str, float | int | str], ...]
    #: Stable codes: mastering_first, selected_track, preferred, held_back, explored.
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The ranking's part of a response; the service merges it with the suggestion's own dict."""
        return {
            "suggestion_id": self.suggestion.id,
            "score": self.score,
            "effectiveness": self.effectiveness,
            "uncertainty": self.uncertainty,
            "parameters": dict(self.parameters),
            "reasons": list(self.reasons),
        }


def traits(suggestion_type: str) -> TypeTraits:
    return SUGGESTION_TRAITS.get(suggestion_type, UNKNOWN_TRAITS)


def needs_render(suggestion_type: str) -> bool:
    return traits(suggestion_type).needs_render


def is_loudness_move(suggestion: SuggestionLike) -> bool:
    t = traits(suggestion.type)
    on_master = (suggestion.track_type or MIX_TRACK_TYPE) in MASTER_TRACK_TYPES
    return t.loudness or (t.loudness_on_master and on_master)


def rank(
    suggestions: Iterable[SuggestionLike],
    *,
    context: ContextState | None,
    profile: LearningProfile | None,
    population: Population | None = None,
    rng: np.random.Generator,
    limit: int = DEFAULT_LIMIT,
) -> tuple[Ranked, ...]:
    """The ``limit`` suggestions that fit now, best first.

    Parameters
    ----------
    suggestions : the latest analyses' suggestions (any objects with the SuggestionLike fields).
    context : the session's ContextState (None: no context, nothing filtered or tiered).
    profile : this user's LearningProfile (None: a new user, population prior only).
    population : the population prior (core.learning.build_population); None: BASE_RATE.
    rng : the only source of randomness (exploration).
    limit : 1..MAX_LIMIT.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidParameter(f"limit={limit!r} must be an integer in 1..{MAX_LIMIT}")
    state = context.state if context is not None else None
    selected = context.selected_track if context is not None else None

    scored: list[tuple[tuple[int, int, float, str], Ranked]] = []
    for s in suggestions:
        if state is DawState.RECORDING and needs_render(s.type):
            continue
        post = effectiveness(
            profile, population, suggestion_type=s.type, track_type=s.track_type or MIX_TRACK_TYPE
        )
        reasons: list[str] = []
        mastering_first = state is DawState.MASTERING and is_loudness_move(s)
        if mastering_first:
            reasons.append("mastering_first")
        on_selected = selected is not None and s.target.track_id == selected
        if on_selected:
            reasons.append("selected_track")
        if post.mean > FAVOURITE_ABOVE:
            reasons.append("preferred")
        elif post.mean < HELD_BACK_BELOW:
            reasons.append("held_back")
        score = _base_score(s) * post.mean
        ranked = Ranked(
            suggestion=s,
            score=round(score, 6),
            effectiveness=round(post.mean, 4),
            uncertainty=round(post.sd, 4),
            parameters=adapt_parameters(
                s.parameters, suggestion_type=s.type, track_type=s.track_type, profile=profile
            ),
            reasons=tuple(reasons),
        )
        scored.append(((0 if mastering_first else 1, 0 if on_selected else 1, -score, s.id), ranked))
    ordered = sorted(scored, key=lambda item: item[0])
    order: list[Ranked] = []
    for tier in dict.fromkeys(key[:2] for key, _ in ordered):
        order.extend(_spread([r for key, r in ordered if key[:2] == tier]))
    if profile is None or profile.events == 0:
        return tuple(order[:limit])
    return _explore(order, limit=limit, rng=rng)


def _spread(order: list[Ranked]) -> list[Ranked]:
    """``order`` with each track's polish after its first, and each send effect's after its first,
    moved behind every other move (stable)."""
    head: list[Ranked] = []
    rest: list[Ranked] = []
    polished: set[str] = set()
    for r in order:
        s = r.suggestion
        keys = {f"track:{s.target.track_id}"} | ({f"type:{s.type}"} if s.type in SPREAD_TYPES else set())
        if s.priority < SPREAD_PRIORITY:
            head.append(r)
        elif keys & polished:
            rest.append(r)
        else:
            polished |= keys
            head.append(r)
    return head + rest


def _base_score(s: SuggestionLike) -> float:
    if s.priority not in PRIORITY_WEIGHT:
        raise InvalidParameter(f"suggestion {s.id!r} has priority {s.priority!r}; want 1..5")
    confidence = min(max(float(s.confidence), 0.0), 1.0)
    return (
        PRIORITY_WEIGHT[s.priority]
        * float(severity_of(s) ** SEVERITY_EXPONENT)
        * (CONFIDENCE_FLOOR + (1.0 - CONFIDENCE_FLOOR) * confidence)
    )


def severity_of(s: SuggestionLike) -> float:
    """The suggestion's severity from its evidence (``severity``), else DEFAULT_SEVERITY."""
    evidence = getattr(s, "evidence", None)
    value = evidence.get("severity") if isinstance(evidence, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, float | int):
        return DEFAULT_SEVERITY
    return min(max(float(value), 0.0), MAX_SEVERITY)


def _explore(order: list[Ranked], *, limit: int, rng: np.random.Generator) -> tuple[Ranked, ...]:
    below = order[limit:]
    if not below or rng.random() >= EXPLORATION_RATE:
        return tuple(order[:limit])
    if order[limit - 1].suggestion.priority <= PROTECTED_PRIORITY:
        return tuple(order[:limit])  # a defect to fix first is never hidden to explore
    weights = np.array([r.uncertainty for r in below], dtype=float) + 1e-9
    pick = below[int(rng.choice(len(below), p=weights / weights.sum()))]
    explored = Ranked(
        suggestion=pick.suggestion,
        score=pick.score,
        effectiveness=pick.effectiveness,
        uncertainty=pick.uncertainty,
        parameters=pick.parameters,
        reasons=(*pick.reasons, "explored"),
    )
    return (*order[: limit - 1], explored)
