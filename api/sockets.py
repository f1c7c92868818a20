"""Socket.IO: token-authenticated connections, `subscribe` to owned rooms, snapshot first.

Events themselves are emitted by workers through the Redis message queue; these handlers only admit
clients, put them in rooms and replay the current state, so a client that reconnects misses nothing.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
from flask import request
from flask_socketio import ConnectionRefusedError, SocketIO, emit, join_room

from api.ask import answer_question
from api.context import ApiContext
from api.errors import ValidationFailed
from api.schemas import validate
from core.errors import CodetteError
from service.context import context_result_dict, update_context
from service.messages import ASK, CONTEXT_UPDATE, SUBSCRIBE
from service.snapshots import subscription_room, subscription_snapshot

log = logging.getLogger(__name__)
UNAVAILABLE = {"code": "unavailable", "message": "the job store (Redis) is unavailable; subscribe again"}


def register_socket_handlers(socketio: SocketIO, context: ApiContext) -> None:
    users: dict[str, str] = {}  # Socket.IO sid -> user, for the connections of this process

    @socketio.on("connect")
    def connect(auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        user = context.auth.user_for(token)
        if user is None:
            raise ConnectionRefusedError("unauthorized: connect with auth={'token': '<bearer token>'}")
        users[request.sid] = user  # type: ignore[attr-defined]

    @socketio.on("disconnect")
    def disconnect(reason: Any = None) -> None:
        users.pop(request.sid, None)  # type: ignore[attr-defined]

    @socketio.on(SUBSCRIBE)
    def subscribe(data: Any = None) -> dict[str, Any]:
        user = users.get(request.sid)  # type: ignore[attr-defined]
        if user is None:
            return {"ok": False, "error": {"code": "unauthorized", "message": "not authenticated"}}
        try:
            target = validate("Subscribe", data)
            room = subscription_room(context.ports, owner=user, target=target)
            join_room(room)  # join before reading the snapshot, so no event falls in between
            snapshot, messages = subscription_snapshot(context.ports, owner=user, target=target)
        except CodetteError as exc:
            return {"ok": False, "error": exc.to_dict()}
        except redis.RedisError as exc:  # answer like REST's 503, rather than never acknowledging
            log.error("subscribe: Redis unavailable: %s", exc)
            return {"ok": False, "error": dict(UNAVAILABLE)}
        for message in messages:
            emit(message.event.value, message.to_dict())
        return {"ok": True, "room": room, "snapshot": snapshot}

    @socketio.on(CONTEXT_UPDATE)
    def context_update(data: Any = None) -> dict[str, Any]:
        """The ack is REST's POST .../context body with ``ok``, or ``{"ok": false, "error"}``."""
        user = users.get(request.sid)  # type: ignore[attr-defined]
        if user is None:
            return {"ok": False, "error": {"code": "unauthorized", "message": "not authenticated"}}
        try:
            body = validate("ContextUpdate", data)
            if "session_id" not in body:
                raise ValidationFailed("$: 'session_id' is a required property")
            result = update_context(context.ports, owner=user, data=body, now_s=time.time())
        except CodetteError as exc:
            return {"ok": False, "error": exc.to_dict()}
        except redis.RedisError:
            return {
                "ok": False,
                "error": {"code": "unavailable", "message": "the store (Redis) is unavailable"},
            }
        return {"ok": True, **context_result_dict(result)}

    @socketio.on(ASK)
    def ask(data: Any = None) -> dict[str, Any]:
        """The ack is POST /api/v1/ask's body with ``ok``, or ``{"ok": false, "error"}``."""
        user = users.get(request.sid)  # type: ignore[attr-defined]
        if user is None:
            return {"ok": False, "error": {"code": "unauthorized", "message": "not authenticated"}}
        try:
            answer = answer_question(context, owner=user, body=validate("AskRequest", data))
        except CodetteError as exc:
            return {"ok": False, "error": exc.to_dict()}
        except redis.RedisError:
            error = {"code": "unavailable", "message": "the store (Redis) is unavailable"}
            return {"ok": False, "error": error}
        return {"ok": True, **answer}
