"""The Redis cache against a real Redis: what a value costs to keep, and for how long."""

from __future__ import annotations

import redis

from store.cache import RedisCache

#: A database of its own (tests/conftest.py and the other store tests use 0, 1, 7-9).
CACHE_DB = 11


def test_an_entry_lives_the_caches_ttl_unless_it_is_given_its_own(redis_base_url: str) -> None:
    client = redis.Redis.from_url(f"{redis_base_url}/{CACHE_DB}", decode_responses=True)
    client.flushdb()
    try:
        cache = RedisCache(client, ttl_s=600)
        cache.put("analysis:a", {"x": 1.5}, compute_s=2.0)
        cache.put("moved:b", {"x": [1, 2]}, ttl_s=60)  # the measures of a rendered move
        assert 590 < client.ttl("analysis:a") <= 600
        assert 50 < client.ttl("moved:b") <= 60
        assert cache.load("analysis:a") == {"x": 1.5} and cache.get("moved:b") == {"x": [1, 2]}
        assert cache.stats().puts == 2
    finally:
        client.flushdb()
        client.close()
