"""Socket.IO: token-authenticated connections, `subscribe` to owned rooms, snapshot first.

Events themselves are emitted by workers through the Redis message queue; these handlers only admit
clients, put them in rooms and replay the current state, so a client that reconnects misses nothing.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_socketio import ConnectionRefusedError, SocketIO, emit, join_room

from api.context import ApiContext
from api.schemas import validate
from core.errors import CodetteError
from worker.client import subscription_room, subscription_snapshot


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

    @socketio.on("subscribe")
    def subscribe(data: Any = None) -> dict[str, Any]:
        user = users.get(request.sid)  # type: ignore[attr-defined]
        if user is None:
            return {"ok": False, "error": {"code": "unauthorized", "message": "not authenticated"}}
        try:
            target = validate("Subscribe", data)
            room = subscription_room(context.services, owner=user, target=target)
            join_room(room)  # join before reading the snapshot, so no event falls in between
            snapshot, messages = subscription_snapshot(context.services, owner=user, target=target)
        except CodetteError as exc:
            return {"ok": False, "error": exc.to_dict()}
        for message in messages:
            emit(message.event.value, message.to_dict())
        return {"ok": True, "room": room, "snapshot": snapshot}
