"""DAW context: one ``context.update`` applied (REST or Socket.IO), and the current picture."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.context import ContextState, ContextUpdate, classify_focus
from core.context_rules import ACTION_INTENT, FocusKind
from core.errors import InvalidParameter, NotFound, shown
from core.session.workflow import SOLO_ACTIONS, UNDO_ACTIONS
from service.messages import ContextChanged, session_room
from service.model import ContextResult
from service.ports import Ports
from service.workflow import record_action

#: The actions a DAW may report: those that are evidence of an intent (core.context_rules) and
#: those the workflow reads (core.session.workflow). The request schema lists them (api.schemas).
DAW_ACTIONS: tuple[str, ...] = tuple(sorted({*ACTION_INTENT, *UNDO_ACTIONS, *SOLO_ACTIONS}))
#: Track ids a refused ``selected_track``'s message lists at most.
MAX_TRACKS_NAMED = 12


def update_context(
    ports: Ports, *, owner: str, data: Mapping[str, Any], now_s: float, session_id: str | None = None
) -> ContextResult:
    """Apply one ``context.update``; publish ``context.changed`` to the session room only on a change.

    An action also joins the session's workflow history (service.workflow). InvalidParameter (422)
    for an action outside DAW_ACTIONS or a ``selected_track`` the stored session does not have
    (see ``check_selection``)."""
    update = ContextUpdate.from_dict(data, session_id=session_id)
    if update.action is not None and update.action not in DAW_ACTIONS:
        raise InvalidParameter(f"action {shown(update.action)} is not one of {', '.join(DAW_ACTIONS)}")
    if update.selected_track is not None:
        check_selection(ports, owner=owner, session_id=update.session_id, track=update.selected_track)
    learned = ports.learning
    result = ports.contexts.apply(owner, update, now_s=now_s, acted_on=lambda: learned.acted_on(owner))
    if result.changes:
        s = result.state
        message = ContextChanged(
            session_id=s.session_id,
            version=s.version,
            changes=[c.to_dict() for c in result.changes],
            state=s.state.value,
            intent=s.intent.value,
            activity=s.activity.value,
        )
        ports.publisher.publish(message, rooms=[session_room(owner, s.session_id)])
    if update.action is not None:
        record_action(ports, owner=owner, state=result.state, action=update.action, now_s=now_s)
    if result.ignored:
        ports.queue.rebuild_learning(owner)
    return result


def check_selection(ports: Ports, *, owner: str, session_id: str, track: str) -> None:
    """InvalidParameter (422) naming ``track`` when the session is stored and has no such track.

    A track is named by its ``track_id`` or its ``name``; the master bus (a name core.context reads as
    mastering) is always selectable, stems or not. A DAW reports its context from the moment the
    project opens, before it PUTs the session (if ever), so a session not stored yet accepts any name.
    """
    try:
        doc = ports.jobs.owned_session(owner, session_id)
    except NotFound:
        return
    names = {str(t.get(k)) for t in doc.get("tracks") or () for k in ("track_id", "name") if t.get(k)}
    if track in names or classify_focus(None, selected_track=track) is FocusKind.MASTERING:
        return
    ids = sorted(str(t["track_id"]) for t in doc.get("tracks") or ())
    known = ", ".join(ids[:MAX_TRACKS_NAMED]) + (", …" if len(ids) > MAX_TRACKS_NAMED else "")
    raise InvalidParameter(
        f"selected_track {shown(track)} is not a track of session {shown(session_id)} (tracks: {known})"
    )


def context_result_dict(result: ContextResult) -> dict[str, Any]:
    return {
        "changed": bool(result.changes),
        "changes": [c.to_dict() for c in result.changes],
        "context": result.state.to_dict(),
        "implicit_ignored": len(result.ignored),
    }


def owned_context(ports: Ports, *, owner: str, session_id: str) -> ContextState:
    state = ports.contexts.get(owner, session_id)
    if state is None:
        raise NotFound(
            f"session {shown(session_id)} has no context yet (POST .../context or emit context.update)"
        )
    return state


def has_context(ports: Ports, *, owner: str, session_id: str) -> bool:
    return ports.contexts.exists(owner, session_id)
