"""Leases in Redis: "at most one of many processes does this, at most once per interval"."""

from __future__ import annotations

import redis


class RedisLease:
    """``acquire()`` is true for one caller per ``ttl_s`` seconds across every process (SET NX EX).

    The lease is never released early: it doubles as "done recently", so the next holder comes one
    interval later whoever held it and however long the work took.
    """

    def __init__(self, client: redis.Redis, key: str, *, ttl_s: int, holder: str) -> None:
        self.redis = client
        self.key = key
        self.ttl_s = ttl_s
        self.holder = holder

    def acquire(self) -> bool:
        return bool(self.redis.set(self.key, self.holder, nx=True, ex=self.ttl_s))
