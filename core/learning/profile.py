"""A user's learning profile: a pure fold over their feedback events, in log order.

``build_profile(events)`` and repeated ``fold_event`` give identical profiles (same arithmetic in
the same order), so a worker rebuilding from the Redis stream gets exactly what was served before.
The profile holds the user's own evidence only; the population prior is applied when reading it
(core.learning.population), so a profile never goes stale when other users give feedback.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from core.errors import InvalidParameter
from core.learning import codec
from core.learning.events import FeedbackEvent
from core.learning.limits import bounded_offset, clamp_parameter
from core.learning.tables import (
    ACCEPTING_KINDS,
    EVIDENCE_DECAY,
    FEEDBACK_EVIDENCE,
    LOG_SCALE_NAMES,
    LOG_SCALE_SUFFIXES,
    PARAMETER_LEARNING_RATE,
    RATING_MAX,
    RATING_MIN,
    RATING_WEIGHT,
    TREND_WINDOW,
    FeedbackKind,
)

Scale = Literal["log", "linear"]
Key = tuple[str, str]  # (suggestion_type, track_type)


def parameter_scale(parameter: str) -> Scale:
    """Frequencies, times, Q and ratio adapt multiplicatively; dB and the rest additively."""
    if parameter in LOG_SCALE_NAMES or parameter.endswith(LOG_SCALE_SUFFIXES):
        return "log"
    return "linear"


@dataclass(frozen=True)
class KeyStats:
    """Evidence for one (suggestion type, track type): decayed Beta counts plus raw tallies."""

    suggestion_type: str
    track_type: str
    successes: float = 0.0
    failures: float = 0.0
    events: int = 0
    applied: int = 0
    ignored: int = 0
    modified: int = 0
    positive: int = 0
    negative: int = 0
    ratings: int = 0
    rating_sum: int = 0

    @property
    def key(self) -> Key:
        return (self.suggestion_type, self.track_type)


@dataclass(frozen=True)
class ParameterOffset:
    """How far this user moves one parameter from our suggestion (log ratio or linear units)."""

    suggestion_type: str
    track_type: str
    parameter: str
    offset: float
    modifications: int

    @property
    def scale(self) -> Scale:
        return parameter_scale(self.parameter)


@dataclass(frozen=True)
class LearningProfile:
    user_id: str
    events: int = 0
    keys: tuple[KeyStats, ...] = ()
    offsets: tuple[ParameterOffset, ...] = ()
    #: 1 (accepted) / 0 per event, the last 2 * TREND_WINDOW, oldest first.
    recent_outcomes: tuple[int, ...] = ()
    last_event_at_s: float | None = None

    def stats(self, suggestion_type: str, track_type: str) -> KeyStats | None:
        for k in self.keys:
            if k.suggestion_type == suggestion_type and k.track_type == track_type:
                return k
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "events": self.events,
            "keys": [_fields(k) for k in self.keys],
            "offsets": [_fields(o) for o in self.offsets],
            "recent_outcomes": list(self.recent_outcomes),
            "last_event_at_s": self.last_event_at_s,
        }

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "profile") -> LearningProfile:
        try:
            last = data["last_event_at_s"]
            return cls(
                user_id=codec.name(data["user_id"], f"{where}.user_id"),
                events=codec.integer(data["events"], f"{where}.events"),
                keys=tuple(KeyStats(**k) for k in codec.sequence(data["keys"], f"{where}.keys")),
                offsets=tuple(
                    ParameterOffset(**o) for o in codec.sequence(data["offsets"], f"{where}.offsets")
                ),
                recent_outcomes=tuple(
                    codec.integer(x, f"{where}.recent_outcomes[]", high=1)
                    for x in codec.sequence(data["recent_outcomes"], f"{where}.recent_outcomes")
                ),
                last_event_at_s=None if last is None else codec.number(last, f"{where}.last_event_at_s"),
            )
        except KeyError as exc:
            raise InvalidParameter(f"{where}.{exc.args[0]} is missing") from exc
        except TypeError as exc:
            raise InvalidParameter(f"{where} has a bad field: {exc}") from exc


def empty_profile(user_id: str) -> LearningProfile:
    return LearningProfile(user_id=user_id)


def build_profile(events: Iterable[FeedbackEvent], *, user_id: str) -> LearningProfile:
    """Fold a user's events (log order); events of other users are an error, not skipped."""
    acc = _Accumulator(empty_profile(user_id))
    for event in events:
        acc.add(event)
    return acc.freeze()


def fold_event(profile: LearningProfile, event: FeedbackEvent) -> LearningProfile:
    """The profile after one more event; ``build_profile`` is this, repeated."""
    acc = _Accumulator(profile)
    acc.add(event)
    return acc.freeze()


class _Accumulator:
    """Mutable only inside one call of build_profile/fold_event."""

    def __init__(self, profile: LearningProfile) -> None:
        self.user_id = profile.user_id
        self.events = profile.events
        self.keys: dict[Key, dict[str, Any]] = {k.key: _fields(k) for k in profile.keys}
        self.offsets: dict[tuple[str, str, str], dict[str, Any]] = {
            (o.suggestion_type, o.track_type, o.parameter): _fields(o) for o in profile.offsets
        }
        self.outcomes = list(profile.recent_outcomes)
        self.last = profile.last_event_at_s

    def add(self, e: FeedbackEvent) -> None:
        if e.user_id != self.user_id:
            raise InvalidParameter(f"event of user {e.user_id!r} folded into the profile of {self.user_id!r}")
        k = self.keys.setdefault(
            (e.suggestion_type, e.track_type),
            _fields(KeyStats(suggestion_type=e.suggestion_type, track_type=e.track_type)),
        )
        ev = FEEDBACK_EVIDENCE[e.kind]
        success, failure = ev.success, ev.failure
        if e.rating is not None:
            span = RATING_MAX - RATING_MIN
            success += RATING_WEIGHT * (e.rating - RATING_MIN) / span
            failure += RATING_WEIGHT * (RATING_MAX - e.rating) / span
            k["ratings"] += 1
            k["rating_sum"] += e.rating
        k["successes"] = k["successes"] * EVIDENCE_DECAY + success
        k["failures"] = k["failures"] * EVIDENCE_DECAY + failure
        k["events"] += 1
        k[e.kind.value] += 1
        if e.kind is FeedbackKind.MODIFIED and e.parameters_after is not None:
            self._adapt(e)
        self.outcomes = [*self.outcomes, int(e.kind in ACCEPTING_KINDS)][-2 * TREND_WINDOW :]
        self.events += 1
        self.last = e.at_s

    def _adapt(self, e: FeedbackEvent) -> None:
        """Move the offsets toward this event's choices. The log may hold feedback stored before it
        was range-checked: a value out of its range (core.learning.limits) counts as the nearest
        edge, and a log-scale value <= 0 is skipped."""
        before = dict(e.parameters_before)
        for name, after_raw in e.parameters_after or ():
            if name not in before:
                continue
            log_scale = parameter_scale(name) == "log"
            if log_scale and (before[name] <= 0 or after_raw <= 0):
                continue
            was = clamp_parameter(e.suggestion_type, name, before[name])
            after = clamp_parameter(e.suggestion_type, name, after_raw)
            delta = math.log(after / was) if log_scale else after - was
            delta = bounded_offset(e.suggestion_type, name, delta, log_scale=log_scale)
            o = self.offsets.setdefault(
                (e.suggestion_type, e.track_type, name),
                {
                    "suggestion_type": e.suggestion_type,
                    "track_type": e.track_type,
                    "parameter": name,
                    "offset": 0.0,
                    "modifications": 0,
                },
            )
            offset = bounded_offset(e.suggestion_type, name, o["offset"], log_scale=log_scale)
            o["offset"] = offset + PARAMETER_LEARNING_RATE * (delta - offset)
            o["modifications"] += 1

    def freeze(self) -> LearningProfile:
        return LearningProfile(
            user_id=self.user_id,
            events=self.events,
            keys=tuple(KeyStats(**self.keys[k]) for k in sorted(self.keys)),
            offsets=tuple(ParameterOffset(**self.offsets[k]) for k in sorted(self.offsets)),
            recent_outcomes=tuple(self.outcomes),
            last_event_at_s=self.last,
        )


def _fields(obj: KeyStats | ParameterOffset) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__dataclass_fields__}
