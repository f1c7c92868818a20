"""Claims against a real Redis: one holder at a time, renewed and released only by their holder."""

from __future__ import annotations

import time

import redis

from store.claims import RedisClaims

#: A database of its own (tests/conftest.py and the other store tests use 0, 1, 7-9, 11).
CLAIMS_DB = 12


def test_a_claim_has_one_holder_until_it_is_released_or_runs_out(redis_base_url: str) -> None:
    client = redis.Redis.from_url(f"{redis_base_url}/{CLAIMS_DB}", decode_responses=True)
    client.flushdb()
    try:
        claims = RedisClaims(client)
        assert claims.claim("moved:x", "job", ttl_s=30)
        assert not claims.claim("moved:x", "helper", ttl_s=30)  # held: refused, even to its holder
        assert not claims.claim("moved:x", "job", ttl_s=30)
        assert claims.claim("moved:y", "helper", ttl_s=30)  # another key is another claim
        assert not claims.renew("moved:x", "helper", ttl_s=30)  # only the holder renews...
        claims.release("moved:x", "helper")  # ...or releases
        assert not claims.claim("moved:x", "helper", ttl_s=30)
        assert claims.renew("moved:x", "job", ttl_s=60) and client.pttl("codette:measuring:moved:x") > 50_000
        claims.release("moved:x", "job")
        assert claims.claim("moved:x", "helper", ttl_s=0.2)  # free again
        time.sleep(0.4)  # its holder died: the claim ran out
        assert not claims.renew("moved:x", "helper", ttl_s=30)  # a claim that ran out is not revived
        assert claims.claim("moved:x", "job", ttl_s=30)
        claims.release("moved:x", "helper")  # a former holder cannot free the new one's claim
        assert not claims.claim("moved:x", "helper", ttl_s=30)
    finally:
        client.flushdb()
        client.close()
