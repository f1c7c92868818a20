"""How the user works in a session, from its DAW action history (core.session.workflow).

Every ``context.update`` that carries an action appends it to the session's history with the track
selected at that moment; the workflow is recomputed from the history and ``workflow.changed`` is
published to the session room when its pattern or tips change. GET .../workflow reads the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.context import ContextState
from core.errors import NotFound
from core.session.workflow import WorkflowResult, analyze_workflow
from service.messages import WorkflowChanged, session_room
from service.ports import Ports

#: Actions kept per session for its workflow (a long mixing session at a few actions a minute).
MAX_HISTORY = 2000


def _track_types(ports: Ports, *, owner: str, session_id: str) -> dict[str, str]:
    """Track id and name -> declared type, from the stored session (empty before a PUT)."""
    try:
        doc = ports.jobs.owned_session(owner, session_id)
    except NotFound:
        return {}
    types: dict[str, str] = {}
    for t in doc.get("tracks") or ():
        if t.get("type"):
            types[str(t["track_id"])] = str(t["type"])
            if t.get("name"):
                types.setdefault(str(t["name"]), str(t["type"]))
    return types


def _workflow(
    ports: Ports, *, owner: str, session_id: str, history: Sequence[dict[str, Any]]
) -> WorkflowResult:
    return analyze_workflow(history, track_types=_track_types(ports, owner=owner, session_id=session_id))


def record_action(
    ports: Ports, *, owner: str, state: ContextState, action: str, now_s: float
) -> WorkflowResult:
    """Append ``action`` (on the track selected now) and publish ``workflow.changed`` if the pattern
    or the tips changed."""
    record = {"t": now_s, "action": action, "track_id": state.selected_track}
    history = ports.contexts.append_action(owner, state.session_id, record, keep=MAX_HISTORY)
    result = _workflow(ports, owner=owner, session_id=state.session_id, history=history)
    summary = {"pattern": result.pattern, "tips": list(result.tips)}
    if ports.contexts.swap_workflow(owner, state.session_id, summary) != summary:
        message = WorkflowChanged(
            session_id=state.session_id,
            pattern=result.pattern,
            efficiency=result.efficiency,
            reasons=list(result.reasons),
            tips=list(result.tips),
        )
        ports.publisher.publish(message, rooms=[session_room(owner, state.session_id)])
    return result


def workflow_result(ports: Ports, *, owner: str, session_id: str) -> WorkflowResult:
    """The session's workflow now; NotFound for a session with neither a document nor a context."""
    if not ports.contexts.exists(owner, session_id):
        ports.jobs.owned_session(owner, session_id)
    history = ports.contexts.actions(owner, session_id)
    return _workflow(ports, owner=owner, session_id=session_id, history=history)


def session_workflow(ports: Ports, *, owner: str, session_id: str) -> dict[str, Any]:
    """GET .../workflow: pattern, efficiency with its reasons, tips and stats."""
    return {"session_id": session_id, **workflow_result(ports, owner=owner, session_id=session_id).to_dict()}
