"""Feedback events (the append-only log the profiles are folded from) and implicit "ignored".

The service appends one ``FeedbackEvent`` per POST /api/v1/feedback, built with ``feedback_event``
from the stored suggestion, and one per expired impression (``expire_impressions``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from core.errors import InvalidParameter
from core.learning import codec
from core.learning.tables import (
    IMPLICIT_IGNORE_AFTER_ACTIONS,
    MAX_COMMENT_CHARS,
    RATING_MAX,
    RATING_MIN,
    FeedbackKind,
)


class TargetLike(Protocol):
    @property
    def track_id(self) -> str: ...


class SuggestionLike(Protocol):
    """What learning and ranking need from a suggestion (core.suggestions.Suggestion has more).

    ``priority`` runs from 1 (fix first) to 5 (polish); ``parameters`` may hold strings (filter
    shapes, ...), which learning passes through untouched.
    """

    @property
    def id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def track_type(self) -> str | None: ...
    @property
    def target(self) -> TargetLike: ...
    @property
    def parameters(self) -> Mapping[str, float | int | str]: ...
    @property
    def priority(self) -> int: ...
    @property
    def confidence(self) -> float: ...


def numeric_parameters(parameters: Mapping[str, float | int | str]) -> dict[str, float]:
    """The numeric parameters (the ones learning can move), as floats."""
    return {
        k: float(v) for k, v in parameters.items() if isinstance(v, int | float) and not isinstance(v, bool)
    }


#: The track type recorded for suggestions about the whole mix (no track_type).
MIX_TRACK_TYPE = "mix"


@dataclass(frozen=True)
class FeedbackEvent:
    """One piece of feedback; ``parameters_after`` is set exactly when ``kind`` is "modified"."""

    user_id: str
    suggestion_id: str
    suggestion_type: str
    track_type: str
    kind: FeedbackKind
    at_s: float
    rating: int | None = None
    comment: str | None = None
    parameters_before: codec.Params = ()
    parameters_after: codec.Params | None = None
    implicit: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "suggestion_id": self.suggestion_id,
            "suggestion_type": self.suggestion_type,
            "track_type": self.track_type,
            "kind": self.kind.value,
            "at_s": self.at_s,
            "rating": self.rating,
            "comment": self.comment,
            "parameters_before": dict(self.parameters_before),
            "parameters_after": None if self.parameters_after is None else dict(self.parameters_after),
            "implicit": self.implicit,
        }

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "event") -> FeedbackEvent:
        """Validate and rebuild; InvalidParameter names the bad field (``events[3].rating``)."""
        kind_raw = codec.require(data, "kind", where)
        if kind_raw not in FeedbackKind._value2member_map_:
            raise InvalidParameter(f"{where}.kind={kind_raw!r} is not one of {', '.join(FeedbackKind)}")
        kind = FeedbackKind(kind_raw)
        rating = data.get("rating")
        if rating is not None:
            rating = codec.integer(rating, f"{where}.rating", low=RATING_MIN, high=RATING_MAX)
        comment = data.get("comment")
        if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT_CHARS):
            raise InvalidParameter(f"{where}.comment must be a string of at most {MAX_COMMENT_CHARS} chars")
        after_raw = data.get("parameters_after")
        after = None if after_raw is None else codec.params(after_raw, f"{where}.parameters_after")
        if (kind is FeedbackKind.MODIFIED) != (after is not None):
            raise InvalidParameter(f"{where}.parameters_after is required for 'modified' and only for it")
        implicit = data.get("implicit", False)
        if not isinstance(implicit, bool):
            raise InvalidParameter(f"{where}.implicit={implicit!r} must be true or false")
        return cls(
            user_id=codec.name_at(data, "user_id", where),
            suggestion_id=codec.name_at(data, "suggestion_id", where),
            suggestion_type=codec.name_at(data, "suggestion_type", where),
            track_type=codec.name_at(data, "track_type", where),
            kind=kind,
            at_s=codec.number_at(data, "at_s", where),
            rating=rating,
            comment=comment,
            parameters_before=codec.params(data.get("parameters_before", {}), f"{where}.parameters_before"),
            parameters_after=after,
            implicit=implicit,
        )


def feedback_event(
    suggestion: SuggestionLike,
    *,
    user_id: str,
    kind: str,
    at_s: float,
    rating: int | None = None,
    comment: str | None = None,
    parameters_after: Mapping[str, float] | None = None,
) -> FeedbackEvent:
    """Validate POST /api/v1/feedback against the suggestion it names; InvalidParameter if bad."""
    return FeedbackEvent.from_dict(
        {
            "user_id": user_id,
            "suggestion_id": suggestion.id,
            "suggestion_type": suggestion.type,
            "track_type": suggestion.track_type or MIX_TRACK_TYPE,
            "kind": kind,
            "at_s": at_s,
            "rating": rating,
            "comment": comment,
            "parameters_before": numeric_parameters(suggestion.parameters),
            "parameters_after": None if parameters_after is None else dict(parameters_after),
        },
        where="feedback",
    )


@dataclass(frozen=True)
class Impression:
    """A suggestion shown to a user at the session's ``action_count`` (core.context)."""

    user_id: str
    suggestion_id: str
    suggestion_type: str
    track_type: str
    shown_at_action: int
    shown_at_s: float
    parameters: codec.Params = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "suggestion_id": self.suggestion_id,
            "suggestion_type": self.suggestion_type,
            "track_type": self.track_type,
            "shown_at_action": self.shown_at_action,
            "shown_at_s": self.shown_at_s,
            "parameters": dict(self.parameters),
        }

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "impression") -> Impression:
        return cls(
            user_id=codec.name_at(data, "user_id", where),
            suggestion_id=codec.name_at(data, "suggestion_id", where),
            suggestion_type=codec.name_at(data, "suggestion_type", where),
            track_type=codec.name_at(data, "track_type", where),
            shown_at_action=codec.integer_at(data, "shown_at_action", where),
            shown_at_s=codec.number_at(data, "shown_at_s", where),
            parameters=codec.params(data.get("parameters", {}), f"{where}.parameters"),
        )


def impression(suggestion: SuggestionLike, *, user_id: str, action_count: int, now_s: float) -> Impression:
    """Record that ``suggestion`` was shown now (``action_count`` from the session's ContextState)."""
    return Impression(
        user_id=user_id,
        suggestion_id=suggestion.id,
        suggestion_type=suggestion.type,
        track_type=suggestion.track_type or MIX_TRACK_TYPE,
        shown_at_action=action_count,
        shown_at_s=now_s,
        parameters=tuple(sorted(numeric_parameters(suggestion.parameters).items())),
    )


def expire_impressions(
    impressions: Iterable[Impression],
    *,
    action_count: int,
    acted_on: frozenset[str],
    now_s: float,
    after_actions: int = IMPLICIT_IGNORE_AFTER_ACTIONS,
) -> tuple[tuple[Impression, ...], tuple[FeedbackEvent, ...]]:
    """Split pending impressions into (still pending, implicit "ignored" events).

    An impression whose suggestion got explicit feedback (``acted_on`` holds its id) is dropped
    without an event; one that has waited ``after_actions`` actions becomes "ignored" at ``now_s``.
    """
    pending: list[Impression] = []
    ignored: list[FeedbackEvent] = []
    for imp in impressions:
        if imp.suggestion_id in acted_on:
            continue
        if action_count - imp.shown_at_action < after_actions:
            pending.append(imp)
            continue
        ignored.append(
            FeedbackEvent(
                user_id=imp.user_id,
                suggestion_id=imp.suggestion_id,
                suggestion_type=imp.suggestion_type,
                track_type=imp.track_type,
                kind=FeedbackKind.IGNORED,
                at_s=now_s,
                parameters_before=imp.parameters,
                implicit=True,
            )
        )
    return tuple(pending), tuple(ignored)
