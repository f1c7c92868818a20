"""The learning report (GET /api/v1/users/me/learning-report) and personalised tips."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from core.learning.limits import bounded_offset
from core.learning.population import Population, effectiveness
from core.learning.profile import LearningProfile
from core.learning.tables import (
    FAVOURITE_ABOVE,
    HELD_BACK_BELOW,
    REPORT_TOP_N,
    TIP_MIN_EVENTS,
    TIP_MIN_OFFSET_LINEAR,
    TIP_MIN_OFFSET_LOG,
    TIP_RATE_MORE_AFTER_EVENTS,
    TREND_MIN_DELTA,
    TREND_WINDOW,
)

Trend = Literal["improving", "stable", "declining"]


@dataclass(frozen=True)
class TypeEffect:
    suggestion_type: str
    track_type: str
    effectiveness: float  # posterior mean, 0-1
    uncertainty: float  # posterior standard deviation
    events: int


@dataclass(frozen=True)
class Tip:
    code: str  # stable: held_back, favourite, adapted_parameter, rate_more
    message: str
    suggestion_type: str | None = None
    track_type: str | None = None


@dataclass(frozen=True)
class LearningReport:
    user_id: str
    events: int
    application_rate: float | None  # (applied + modified) / (applied + modified + ignored)
    satisfaction: float | None  # positive and ratings mapped to 0-1, over explicit opinions
    most_effective: tuple[TypeEffect, ...]
    least_effective: tuple[TypeEffect, ...]
    trend: Trend | None  # acceptance of the last TREND_WINDOW events vs the window before
    trend_delta: float | None
    tips: tuple[Tip, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "events": self.events,
            "application_rate": self.application_rate,
            "satisfaction": self.satisfaction,
            "most_effective": [vars(t).copy() for t in self.most_effective],
            "least_effective": [vars(t).copy() for t in self.least_effective],
            "trend": self.trend,
            "trend_delta": self.trend_delta,
            "tips": [vars(t).copy() for t in self.tips],
        }


def learning_report(profile: LearningProfile, *, population: Population | None = None) -> LearningReport:
    """Summarise a profile; every rate is None when there is nothing to divide by."""
    applied = sum(k.applied + k.modified for k in profile.keys)
    ignored = sum(k.ignored for k in profile.keys)
    positive = sum(k.positive for k in profile.keys)
    negative = sum(k.negative for k in profile.keys)
    ratings = sum(k.ratings for k in profile.keys)
    rating_points = sum(k.rating_sum - k.ratings for k in profile.keys) / 4.0  # sum of (r - 1) / 4
    opinions = positive + negative + ratings
    effects = sorted(
        (_effect(profile, population, k.suggestion_type, k.track_type, k.events) for k in profile.keys),
        key=lambda t: (-t.effectiveness, t.suggestion_type, t.track_type),
    )
    # the better half (at most REPORT_TOP_N) is "most", the worse half "least", worst first
    most = tuple(effects[: min(REPORT_TOP_N, (len(effects) + 1) // 2)])
    least = tuple(reversed(effects[len(most) :][-REPORT_TOP_N:]))
    trend, delta = _trend(profile.recent_outcomes)
    return LearningReport(
        user_id=profile.user_id,
        events=profile.events,
        application_rate=_ratio(applied, applied + ignored),
        satisfaction=_ratio(positive + rating_points, opinions),
        most_effective=most,
        least_effective=least,
        trend=trend,
        trend_delta=delta,
        tips=personal_tips(profile, population=population),
    )


def personal_tips(
    profile: LearningProfile, *, population: Population | None = None, limit: int = 3
) -> tuple[Tip, ...]:
    """Tips drawn from this user's own evidence, most specific first."""
    tips: list[Tip] = []
    for k in profile.keys:
        if k.events < TIP_MIN_EVENTS:
            continue
        post = effectiveness(profile, population, suggestion_type=k.suggestion_type, track_type=k.track_type)
        what = f"{_words(k.suggestion_type)} on {k.track_type}"
        if post.mean < HELD_BACK_BELOW:
            text = (
                f"You usually pass on {what}, so Codette shows it less often (but still now and then)."
                " Rate one you liked to bring it back."
            )
            tips.append(Tip("held_back", text, *k.key))
        elif post.mean > FAVOURITE_ABOVE:
            taken = k.applied + k.modified
            text = (
                f"{what.capitalize()} works for you ({taken} of {k.events} taken), so Codette puts it first."
            )
            tips.append(Tip("favourite", text, *k.key))
    for o in profile.offsets:
        log_scale = o.scale == "log"
        offset = bounded_offset(o.suggestion_type, o.parameter, o.offset, log_scale=log_scale)
        big = abs(offset) >= (TIP_MIN_OFFSET_LOG if log_scale else TIP_MIN_OFFSET_LINEAR)
        if o.modifications >= 2 and big:
            text = (
                f"On {o.track_type} you set {_words(o.suggestion_type)} {o.parameter}"
                f" {_amount(offset, log_scale=log_scale)} what Codette suggests; new suggestions start there."
            )
            tips.append(Tip("adapted_parameter", text, o.suggestion_type, o.track_type))
    if profile.events >= TIP_RATE_MORE_AFTER_EVENTS and not any(k.ratings for k in profile.keys):
        tips.append(Tip("rate_more", "Rating a suggestion 1-5 teaches Codette faster than applying it."))
    return tuple(tips[:limit])


def _amount(offset: float, *, log_scale: bool) -> str:
    """A bounded offset in words: ``-2.5 from`` (linear units), ``+40% from``, or, from doubling
    on, ``3.2 times``."""
    if not log_scale:
        return f"{offset:+.1f} from"
    if offset >= math.log(2.0):
        return f"{round(math.exp(offset), 1):g} times"
    return f"{math.expm1(offset):+.0%} from"


def _words(suggestion_type: str) -> str:
    return suggestion_type.replace("_", " ")


def _effect(
    profile: LearningProfile,
    population: Population | None,
    suggestion_type: str,
    track_type: str,
    events: int,
) -> TypeEffect:
    post = effectiveness(profile, population, suggestion_type=suggestion_type, track_type=track_type)
    return TypeEffect(suggestion_type, track_type, round(post.mean, 4), round(post.sd, 4), events)


def _trend(outcomes: tuple[int, ...]) -> tuple[Trend | None, float | None]:
    if len(outcomes) < 2 * TREND_WINDOW:
        return None, None
    before = sum(outcomes[:TREND_WINDOW]) / TREND_WINDOW
    after = sum(outcomes[TREND_WINDOW:]) / TREND_WINDOW
    delta = round(after - before, 4)
    if delta >= TREND_MIN_DELTA:
        return "improving", delta
    if delta <= -TREND_MIN_DELTA:
        return "declining", delta
    return "stable", delta


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 4) if denominator > 0 else None
