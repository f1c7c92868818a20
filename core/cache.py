"""The analysis cache: results keyed by ``core.analysis.cache_key``, behind one Protocol.

Two backends implement it: ``MemoryCache`` here (the embedded command line, tests) and
``worker.cache.RedisCache`` (the service, shared by every worker and API process). Values are the
JSON-clean dicts of ``TrackAnalysis.to_dict()``; the cache never sees dataclasses.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class CacheStats:
    """Counters since the cache was created (memory) or since the stats key was last cleared (Redis)."""

    hits: int
    misses: int
    puts: int
    lookup_s_total: float
    compute_s_total: float

    @property
    def hit_ratio(self) -> float | None:
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else None

    @property
    def mean_lookup_ms(self) -> float | None:
        lookups = self.hits + self.misses
        return 1000.0 * self.lookup_s_total / lookups if lookups else None

    @property
    def mean_compute_s(self) -> float | None:
        return self.compute_s_total / self.puts if self.puts else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "hits": self.hits,
            "misses": self.misses,
            "puts": self.puts,
            "hit_ratio": self.hit_ratio,
            "mean_lookup_ms": self.mean_lookup_ms,
            "mean_compute_s": self.mean_compute_s,
        }


class AnalysisCache(Protocol):
    """Where analyses live once computed. ``get``/``contains`` count as lookups; ``load`` does not."""

    def get(self, key: str) -> dict[str, Any] | None:
        """The cached value, counted as a hit or a miss (call before deciding to analyse)."""
        ...

    def contains(self, key: str) -> bool:
        """Like ``get`` without transferring the value."""
        ...

    def load(self, key: str) -> dict[str, Any] | None:
        """The cached value, not counted (reading a known result back for a client)."""
        ...

    def exists(self, key: str) -> bool:
        """Whether ``key`` is cached, not counted (blob retention asks it of every blob)."""
        ...

    def put(
        self, key: str, value: dict[str, Any], *, compute_s: float = 0.0, ttl_s: int | None = None
    ) -> None:
        """Store a value; ``compute_s`` is what the analysis cost, which each later hit saves.
        ``ttl_s``: how long this entry lives, where not the cache's own expiry."""
        ...

    def mark(self, key: str) -> None:
        """Store an empty value under ``key``, not counted as a put: a marker ``exists`` finds (blob
        retention's sign that some user's analysis of a blob is cached, service.track_job)."""
        ...

    def stats(self) -> CacheStats: ...


class MemoryCache:
    """An in-process cache for the embedded command line and tests; thread-safe, unbounded."""

    def __init__(self) -> None:
        self._values: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._hits = self._misses = self._puts = 0
        self._lookup_s = self._compute_s = 0.0

    def _lookup(self, key: str) -> dict[str, Any] | None:
        start = time.perf_counter()
        with self._lock:
            value = self._values.get(key)
            self._lookup_s += time.perf_counter() - start
            if value is None:
                self._misses += 1
            else:
                self._hits += 1
        return value

    def get(self, key: str) -> dict[str, Any] | None:
        return self._lookup(key)

    def contains(self, key: str) -> bool:
        return self._lookup(key) is not None

    def load(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return self._values.get(key)

    def exists(self, key: str) -> bool:
        with self._lock:
            return key in self._values

    def put(
        self, key: str, value: dict[str, Any], *, compute_s: float = 0.0, ttl_s: int | None = None
    ) -> None:
        with self._lock:  # nothing expires here
            self._values[key] = value
            self._puts += 1
            self._compute_s += compute_s

    def mark(self, key: str) -> None:
        with self._lock:
            self._values[key] = {}

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self._hits, self._misses, self._puts, self._lookup_s, self._compute_s)
