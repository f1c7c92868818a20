"""Export and import of one user's learning data: the events, plus the profile derived from them.

``LearningData.from_dict(data.to_dict()) == data`` and the JSON is byte-identical after a round trip.
Import validates every field (InvalidParameter names it, e.g. ``events[3].rating``), checks every
event belongs to the exported user, and refuses a profile that is not the fold of the events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core.errors import InvalidParameter
from core.learning import codec
from core.learning.events import FeedbackEvent
from core.learning.profile import LearningProfile, build_profile

EXPORT_FORMAT = "codette.learning"
EXPORT_VERSION = 1


@dataclass(frozen=True)
class LearningData:
    user_id: str
    events: tuple[FeedbackEvent, ...]
    profile: LearningProfile

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "user_id": self.user_id,
            "events": [e.to_dict() for e in self.events],
            "profile": self.profile.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> LearningData:
        if codec.require(data, "format", "learning") != EXPORT_FORMAT:
            raise InvalidParameter(f"learning.format={data['format']!r} is not {EXPORT_FORMAT!r}")
        if codec.require(data, "version", "learning") != EXPORT_VERSION:
            raise InvalidParameter(f"learning.version={data['version']!r} is not {EXPORT_VERSION}")
        user_id = codec.name(codec.require(data, "user_id", "learning"), "learning.user_id")
        raw_events = codec.sequence(codec.require(data, "events", "learning"), "learning.events")
        events = tuple(FeedbackEvent.from_dict(e, where=f"events[{i}]") for i, e in enumerate(raw_events))
        for i, e in enumerate(events):
            if e.user_id != user_id:
                raise InvalidParameter(f"events[{i}].user_id={e.user_id!r} is not the export's {user_id!r}")
        profile = build_profile(events, user_id=user_id)
        stated = LearningProfile.from_dict(codec.require(data, "profile", "learning"))
        if stated != profile:
            raise InvalidParameter("learning.profile is not the fold of learning.events")
        return cls(user_id=user_id, events=events, profile=profile)


def export_learning(events: Iterable[FeedbackEvent], *, user_id: str) -> LearningData:
    """Bundle a user's events (log order) with their profile; ``.to_dict()`` is the JSON to send."""
    evs = tuple(events)
    return LearningData(user_id=user_id, events=evs, profile=build_profile(evs, user_id=user_id))


def import_learning(data: Any) -> LearningData:
    """Validate an export; the service appends ``.events`` to the user's log."""
    return LearningData.from_dict(data)
