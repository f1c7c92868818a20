"""Claims in Redis (service.ports.Claims): one holder at a time per key, with an expiry it renews.

A session job and its helpers (service/vet_share.py) claim each move's measurement before they
render it, so no move is measured twice while several workers share a session's vetting. The claim
is SET NX PX; renewing and releasing check the holder first, in one script each, so a claim that
ran out and was taken by another process is never extended or freed by its former holder.
"""

from __future__ import annotations

import redis

from store import keys

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def _ms(ttl_s: float) -> int:
    return max(1, round(ttl_s * 1000))


class RedisClaims:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    def claim(self, key: str, holder: str, *, ttl_s: float) -> bool:
        return bool(self._redis.set(keys.measuring(key), holder, nx=True, px=_ms(ttl_s)))

    def renew(self, key: str, holder: str, *, ttl_s: float) -> bool:
        return bool(self._renew(keys=[keys.measuring(key)], args=[holder, _ms(ttl_s)]))

    def release(self, key: str, holder: str) -> None:
        self._release(keys=[keys.measuring(key)], args=[holder])
