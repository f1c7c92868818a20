"""Feedback and learning: record an event, the report, export and import, the debounced rebuild.

The per-user feedback stream is the truth; a read folds what the stored profile has not seen yet
(without writing it), so a report never disagrees with the log. Every event queues a rebuild of its
user's profile; the population prior is rebuilt once per burst of feedback (store: ``take_dirty``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core import learning
from core.errors import InvalidParameter, NotFound, shown
from core.learning import FeedbackEvent
from service.ports import Ports
from service.style import export_style, parse_style


def record_feedback(
    ports: Ports, *, owner: str, body: Mapping[str, Any], now_s: float
) -> tuple[str, FeedbackEvent]:
    """Append one explicit feedback event to the user's log and queue the profile rebuild.

    A "modified" event's ``parameters_after`` must be the suggestion's own parameters, each a finite
    number in its range (core.learning.limits); InvalidParameter (422) names the value and range.
    """
    learned = ports.learning
    suggestion = learned.suggestion(owner, body["suggestion_id"])
    if suggestion is None:
        raise NotFound(f"suggestion {shown(body['suggestion_id'])} not found (not one of your analyses)")
    event = learning.feedback_event(
        suggestion,
        user_id=owner,
        kind=body["kind"],
        at_s=now_s,
        rating=body.get("rating"),
        comment=body.get("comment"),
        parameters_after=body.get("parameters_after"),
    )
    if event.parameters_after is not None:  # checked as sent, so the message quotes the client's values
        learning.check_parameters(
            event.suggestion_type,
            dict(event.parameters_before),
            body["parameters_after"],
            where="feedback.parameters_after",
        )
    stream_id = learned.append(event)
    ports.queue.rebuild_learning(owner)
    return stream_id, event


def learning_report(ports: Ports, *, owner: str) -> dict[str, Any]:
    learned = ports.learning
    return learning.learning_report(learned.profile(owner), population=learned.population()).to_dict()


def export_data(ports: Ports, *, owner: str) -> dict[str, Any]:
    """The user's feedback log with its profile, and the sessions their production style is learnt from."""
    exported = learning.export_learning(ports.learning.events(owner), user_id=owner).to_dict()
    return {**exported, "style": export_style(ports, owner=owner)}


def import_data(ports: Ports, *, owner: str, data: Any) -> dict[str, Any]:
    """Replace the user's log and style sessions with an export (validated; it must be this user's);
    an export without ``style`` clears the style. Then refold."""
    imported = learning.import_learning(data)
    if imported.user_id != owner:
        raise InvalidParameter(f"learning.user_id={shown(imported.user_id)} is not you ({shown(owner)})")
    style = parse_style(data.get("style"))
    learned = ports.learning
    learned.replace_log(owner, imported.events)
    learned.replace_style_sessions(owner, style)
    learned.refresh_profile(owner, full=True)
    ports.queue.rebuild_learning(owner)
    return export_data(ports, owner=owner)


def rebuild_learning(ports: Ports, *, user: str) -> dict[str, Any]:
    """The task body: refold ``user``'s profile; rebuild the population once per burst of feedback.

    Every feedback event queues this task. The first one to run after a burst takes the set of
    users whose log changed (cleared as it is taken), refolds them and rebuilds the population; the
    others of the same burst find the set empty and only refold their own user (a no-op by then).
    """
    learned = ports.learning
    profile = learned.refresh_profile(user, full=True)
    dirty = learned.take_dirty()
    for other in dirty:
        if other != user:
            learned.refresh_profile(other)
    rebuilt = bool(dirty)
    population = learned.rebuild_population() if rebuilt else learned.population()
    return {
        "user": user,
        "events": profile.events,
        "population_keys": len(population.rates),
        "population_rebuilt": rebuilt,
    }
