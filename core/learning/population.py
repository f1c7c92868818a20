"""The population prior and the posterior a ranking reads.

Each user contributes their own success share per (type, track type) and per type, once, however
much feedback they gave. The prior mean for a key is shrunk toward its type's mean, which is shrunk
toward BASE_RATE (empirical Bayes, as in Gelman et al., BDA3 ch. 5), and the user asking is left
out of the population (leave-one-out), so their own evidence is never counted twice.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core.learning import codec
from core.learning.profile import LearningProfile
from core.learning.tables import ANY_TRACK, BASE_RATE, POPULATION_SHRINK_USERS, PRIOR_STRENGTH


@dataclass(frozen=True)
class Beta:
    alpha: float
    beta: float

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def sd(self) -> float:
        n = self.alpha + self.beta
        return math.sqrt(self.alpha * self.beta / (n * n * (n + 1.0)))


@dataclass(frozen=True)
class PopulationRate:
    """Sum of per-user success shares for a (type, track type); track type ANY_TRACK = all tracks."""

    suggestion_type: str
    track_type: str
    rate_sum: float
    users: int


@dataclass(frozen=True)
class Population:
    rates: tuple[PopulationRate, ...] = ()

    def rate(self, suggestion_type: str, track_type: str) -> tuple[float, int]:
        for r in self.rates:
            if r.suggestion_type == suggestion_type and r.track_type == track_type:
                return r.rate_sum, r.users
        return 0.0, 0

    def to_dict(self) -> dict[str, Any]:
        return {"rates": [vars(r).copy() for r in self.rates]}

    @classmethod
    def from_dict(cls, data: Any) -> Population:
        rates = codec.sequence(codec.require(data, "rates", "population"), "population.rates")
        return cls(
            tuple(
                PopulationRate(
                    suggestion_type=codec.name_at(r, "suggestion_type", w),
                    track_type=codec.name_at(r, "track_type", w),
                    rate_sum=codec.number_at(r, "rate_sum", w),
                    users=codec.integer_at(r, "users", w),
                )
                for i, r in enumerate(rates)
                for w in (f"population.rates[{i}]",)
            )
        )


def user_rates(profile: LearningProfile) -> dict[tuple[str, str], float]:
    """The user's success share per (type, track type) and per (type, ANY_TRACK)."""
    out: dict[tuple[str, str], float] = {}
    by_type: dict[str, list[float]] = {}
    for k in profile.keys:
        total = k.successes + k.failures
        if total > 0:
            out[k.key] = k.successes / total
            acc = by_type.setdefault(k.suggestion_type, [0.0, 0.0])
            acc[0] += k.successes
            acc[1] += total
    for t, (s, n) in by_type.items():
        out[(t, ANY_TRACK)] = s / n
    return out


def build_population(profiles: Iterable[LearningProfile]) -> Population:
    """Aggregate every user's profile (sorted by user id, so the sum is order-independent)."""
    sums: dict[tuple[str, str], list[float]] = {}
    for profile in sorted(profiles, key=lambda p: p.user_id):
        for key, rate in user_rates(profile).items():
            acc = sums.setdefault(key, [0.0, 0.0])
            acc[0] += rate
            acc[1] += 1
    return Population(tuple(PopulationRate(t, tr, s, int(n)) for (t, tr), (s, n) in sorted(sums.items())))


def prior(
    population: Population | None,
    *,
    suggestion_type: str,
    track_type: str,
    exclude: LearningProfile | None = None,
) -> Beta:
    """Beta(K m, K (1 - m)), m the population mean shrunk toward the type's mean and BASE_RATE."""
    pop = population or Population()
    own = user_rates(exclude) if exclude is not None else {}

    def shrunk(key: tuple[str, str], toward: float) -> float:
        rate_sum, users = pop.rate(*key)
        if key in own and users > 0:
            rate_sum, users = rate_sum - own[key], users - 1
        return (POPULATION_SHRINK_USERS * toward + rate_sum) / (POPULATION_SHRINK_USERS + users)

    m = shrunk((suggestion_type, track_type), shrunk((suggestion_type, ANY_TRACK), BASE_RATE))
    m = min(max(m, 0.0), 1.0)
    return Beta(PRIOR_STRENGTH * m, PRIOR_STRENGTH * (1.0 - m))


def effectiveness(
    profile: LearningProfile | None,
    population: Population | None,
    *,
    suggestion_type: str,
    track_type: str,
) -> Beta:
    """Posterior effectiveness of a suggestion type on a track type for this user."""
    p = prior(population, suggestion_type=suggestion_type, track_type=track_type, exclude=profile)
    stats = profile.stats(suggestion_type, track_type) if profile is not None else None
    if stats is None:
        return p
    return Beta(p.alpha + stats.successes, p.beta + stats.failures)
