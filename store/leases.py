"""Leases in Redis: "at most one of many processes does this, at most once per interval"
(``RedisLease``), and "one of many processes does this until it stops renewing" (``HeldLease``)."""

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


#: Take the lease when free, renew it when the caller holds it; atomic, so two callers never both take it.
_HOLD = """
local holder = redis.call('GET', KEYS[1])
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""


class HeldLease:
    """``hold(holder, ttl_s)`` is true for one holder at a time across every process: taken when free,
    renewed for ``ttl_s`` when the caller's own, refused while another holds it. Unlike
    ``RedisLease``, the same holder keeps it for as long as it renews within ``ttl_s``; when it stops
    (dies), the lease runs out and the next caller takes it."""

    def __init__(self, client: redis.Redis, key: str) -> None:
        self.key = key
        self._hold = client.register_script(_HOLD)

    def hold(self, holder: str, *, ttl_s: float) -> bool:
        return bool(self._hold(keys=[self.key], args=[holder, max(1, round(ttl_s * 1000))]))
