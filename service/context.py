"""DAW context: one ``context.update`` applied (REST or Socket.IO), and the current picture."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.context import ContextState, ContextUpdate
from core.errors import NotFound
from service.messages import ContextChanged, session_room
from service.model import ContextResult
from service.ports import Ports
from service.workflow import record_action


def update_context(
    ports: Ports, *, owner: str, data: Mapping[str, Any], now_s: float, session_id: str | None = None
) -> ContextResult:
    """Apply one ``context.update``; publish ``context.changed`` to the session room only on a change.

    An action also joins the session's workflow history (service.workflow)."""
    update = ContextUpdate.from_dict(data, session_id=session_id)
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
        raise NotFound(f"session {session_id!r} has no context yet (POST .../context or emit context.update)")
    return state


def has_context(ports: Ports, *, owner: str, session_id: str) -> bool:
    return ports.contexts.exists(owner, session_id)
