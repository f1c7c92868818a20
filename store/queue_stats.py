"""Broker queue depth and the age of its oldest message, read from kombu's Redis lists.

kombu's Redis transport LPUSHes each message (a JSON envelope with the message headers) onto a list
named after the queue, and workers take from the other end: the oldest waiting message is at index
-1. Its age comes from the send time the publisher stamped in its headers (worker/tracing.py).
"""

from __future__ import annotations

import json
from typing import Any

import redis


def queue_depth(client: redis.Redis, queue: str) -> int:
    return int(client.llen(queue))


def oldest_message_age_s(client: redis.Redis, queue: str, *, header: str, now_s: float) -> float | None:
    """Seconds the oldest waiting message has waited; None when the queue is empty or it has no stamp."""
    raw = client.lindex(queue, -1)
    if raw is None:
        return None
    try:
        envelope: dict[str, Any] = json.loads(raw)
        sent = float(envelope.get("headers", {})[header])
    except (ValueError, KeyError, TypeError):
        return None  # not a message we stamped
    return max(0.0, now_s - sent)
