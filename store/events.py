"""Publishing events to Socket.IO clients from outside the API, through the Redis message queue.

The worker never imports Flask: it writes with python-socketio's RedisManager in write-only mode on
config.SOCKETIO_CHANNEL, the channel the API's Flask-SocketIO server listens on (Flask-SocketIO's
default is 'flask-socketio' and RedisManager's is 'socketio': both sides must name the same one).
"""

from __future__ import annotations

import logging

import socketio

from service.messages import Message

log = logging.getLogger(__name__)


class RedisPublisher:
    """Emits to rooms on every API process subscribed to the channel (service.ports.Publisher)."""

    def __init__(self, redis_url: str, *, channel: str) -> None:
        self._manager = socketio.RedisManager(redis_url, channel=channel, write_only=True, logger=log)

    def publish(self, message: Message, *, rooms: list[str]) -> None:
        # A list of rooms reaches each client once even when it sits in several of them.
        self._manager.emit(message.event.value, message.to_dict(), namespace="/", room=rooms)
