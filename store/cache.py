"""RedisCache: the analysis cache shared by every worker and API process (core.cache.AnalysisCache).

``contains`` and ``get`` count a lookup (the one cache decision of a job, made when it is submitted);
``load`` never counts, so reading a result back or a worker re-checking the cache is not a miss.
"""

from __future__ import annotations

import json
import time
from typing import Any

import orjson
import redis

from core.cache import CacheStats
from store import keys

STATS_KEY = keys.CACHE_STATS


class RedisCache:
    """JSON values under the engine's cache key, with a TTL; hit/miss/latency counters in one hash."""

    def __init__(self, client: redis.Redis, *, ttl_s: int) -> None:
        self._redis = client
        self._ttl_s = ttl_s

    def _count(self, hit: bool, started: float) -> None:
        pipe = self._redis.pipeline(transaction=False)
        pipe.hincrby(STATS_KEY, "hits" if hit else "misses", 1)
        pipe.hincrbyfloat(STATS_KEY, "lookup_s", time.perf_counter() - started)
        pipe.execute()

    def get(self, key: str) -> dict[str, Any] | None:
        started = time.perf_counter()
        raw = self._redis.get(key)
        self._count(raw is not None, started)
        return None if raw is None else orjson.loads(raw)

    def contains(self, key: str) -> bool:
        started = time.perf_counter()
        found = bool(self._redis.exists(key))
        self._count(found, started)
        return found

    def load(self, key: str) -> dict[str, Any] | None:
        raw = self._redis.get(key)
        return None if raw is None else orjson.loads(raw)

    def exists(self, key: str) -> bool:
        return bool(self._redis.exists(key))

    def put(
        self, key: str, value: dict[str, Any], *, compute_s: float = 0.0, ttl_s: int | None = None
    ) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.set(key, json.dumps(value, allow_nan=False, separators=(",", ":")), ex=ttl_s or self._ttl_s)
        pipe.hincrby(STATS_KEY, "puts", 1)
        pipe.hincrbyfloat(STATS_KEY, "compute_s", compute_s)
        pipe.execute()

    def mark(self, key: str) -> None:
        self._redis.set(key, "{}", ex=self._ttl_s)

    def touch(self, key: str) -> None:
        """Keep a result that a job points to alive for another TTL."""
        self._redis.expire(key, self._ttl_s)

    def stats(self) -> CacheStats:
        raw = self._redis.hgetall(STATS_KEY)
        return CacheStats(
            hits=int(raw.get("hits", 0)),
            misses=int(raw.get("misses", 0)),
            puts=int(raw.get("puts", 0)),
            lookup_s_total=float(raw.get("lookup_s", 0.0)),
            compute_s_total=float(raw.get("compute_s", 0.0)),
        )
