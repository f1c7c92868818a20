"""Per-user admission in Redis: the jobs each user has active, waiting and admitted to the broker.

``active:<user>`` (sorted set, job id -> time) counts queued and running jobs against the user's
limit; ``waiting:<user>`` (list) holds track jobs not yet sent to the broker, in order;
``admitted:<user>`` (sorted set) those sent and not finished; ``waiting-users`` the users with a line.
Entries older than the result TTL are dropped when counted (their jobs expired with them).
"""

from __future__ import annotations

import time
from typing import cast

import redis

from store import keys

LOCK_MS = 10_000

#: ARGV: owner, now, ttl, n_sent, sent..., dropped..., job keys of sent...
_MARK = """
local n_sent = tonumber(ARGV[4])
local ids_end = #ARGV - n_sent
for i = 5, ids_end do redis.call('LREM', KEYS[1], 1, ARGV[i]) end
for i = 1, n_sent do
  local status = redis.call('HGET', ARGV[ids_end + i], 'status')
  if status ~= 'done' and status ~= 'failed' then
    redis.call('ZADD', KEYS[2], ARGV[2], ARGV[4 + i])
  end
end
redis.call('EXPIRE', KEYS[2], ARGV[3])
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[3], ARGV[1]) end
return 0
"""


class RedisAdmission:
    """service.ports.Admission over Redis."""

    def __init__(self, client: redis.Redis, *, ttl_s: int) -> None:
        self.redis = client
        self.ttl_s = ttl_s
        self._mark = client.register_script(_MARK)

    def reserve(self, owner: str, job_ids: list[str], *, limit: int) -> int | None:
        """Count ``job_ids`` as ``owner``'s active jobs; None when done, else the count that refused it."""
        now = time.time()
        key = keys.active_jobs(owner)
        with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(key)
                    pipe.zremrangebyscore(key, "-inf", now - self.ttl_s)
                    count = int(pipe.zcard(key))
                    if count + len(job_ids) > limit:
                        pipe.unwatch()
                        return count
                    pipe.multi()
                    if job_ids:
                        pipe.zadd(key, dict.fromkeys(job_ids, now))
                        pipe.sadd(keys.ACTIVE_USERS, owner)
                    pipe.expire(key, self.ttl_s)
                    pipe.execute()
                    return None
                except redis.WatchError:
                    continue

    def active(self, owner: str) -> int:
        key = keys.active_jobs(owner)
        return int(self.redis.zcount(key, time.time() - self.ttl_s, "+inf"))

    def wait(self, owner: str, job_ids: list[str]) -> None:
        if not job_ids:
            return
        pipe = self.redis.pipeline(transaction=True)
        pipe.rpush(keys.waiting_jobs(owner), *job_ids)
        pipe.expire(keys.waiting_jobs(owner), self.ttl_s)
        pipe.sadd(keys.WAITING_USERS, owner)
        pipe.execute()

    def lock(self, owner: str) -> bool:
        return bool(self.redis.set(keys.admission_lock(owner), "1", nx=True, px=LOCK_MS))

    def unlock(self, owner: str) -> None:
        self.redis.delete(keys.admission_lock(owner))

    def candidates(self, owner: str, *, slots: int) -> list[str]:
        """The next waiting jobs that fit in ``owner``'s free slots (left in the line until marked)."""
        admitted = keys.admitted_jobs(owner)
        self.redis.zremrangebyscore(admitted, "-inf", time.time() - self.ttl_s)
        free = slots - int(self.redis.zcard(admitted))
        if free <= 0:
            return []
        return [str(j) for j in cast(list[str], self.redis.lrange(keys.waiting_jobs(owner), 0, free - 1))]

    def mark_admitted(self, owner: str, sent: list[str], dropped: list[str]) -> None:
        """Move ``sent`` from the line to the admitted set, unless finished already; drop ``dropped``.

        One script: a job that finished (and was released) between its send and this call is not
        admitted again, or its slot would never come free.
        """
        self._mark(
            keys=[keys.waiting_jobs(owner), keys.admitted_jobs(owner), keys.WAITING_USERS],
            args=[owner, time.time(), self.ttl_s, len(sent), *sent, *dropped, *(keys.job(j) for j in sent)],
        )

    def release(self, owner: str, job_id: str) -> None:
        """A job finished: it no longer counts, and its admission slot is free."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.zrem(keys.active_jobs(owner), job_id)
        pipe.zrem(keys.admitted_jobs(owner), job_id)
        pipe.execute()

    def waiting_owners(self) -> list[str]:
        return sorted(str(u) for u in cast(set[str], self.redis.smembers(keys.WAITING_USERS)))
