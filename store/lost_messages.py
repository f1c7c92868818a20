"""What the broker holds, read for service.recovery: which jobs' messages wait in the queues and which
are delivered and not acknowledged, which track jobs have been sent for a while (through admission), and
the session, compare and preview jobs sent and not finished (keys.SENT_JOBS).

kombu's Redis transport keeps a queue as a list under its name and a delivered, unacknowledged
message in the ``unacked`` hash (delivery tag -> JSON ``[message, exchange, routing_key]``, the
message's body base64-encoded JSON ``[args, kwargs, embed]`` as Celery's protocol 2 writes it).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any, cast

import redis

from store import keys
from store.leases import HeldLease

log = logging.getLogger(__name__)


def _job_id(raw: str | bytes, *, held: bool) -> str | None:
    """The first task argument (a job id) of one message in a queue, or of one ``unacked`` entry
    (``held``: ``[message, exchange, routing_key]``); None when it does not decode."""
    try:
        message = json.loads(raw)
        if held:
            message = message[0]
        args = json.loads(base64.b64decode(message["body"]))[0]
    except (ValueError, KeyError, IndexError, TypeError, binascii.Error):
        return None
    return str(args[0]) if args and isinstance(args[0], str) else None


class RedisLostMessages:
    """service.ports.LostMessages over Redis."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client
        self._recovery = HeldLease(client, keys.RECOVERY_LEASE)

    def lead(self, holder: str, *, lease_s: float) -> bool:
        return self._recovery.hold(holder, ttl_s=lease_s)

    def queued_job_ids(self, queues: tuple[str, ...], *, limit: int) -> set[str] | None:
        pipe = self.redis.pipeline(transaction=False)
        for queue in queues:
            pipe.llen(queue)
        if sum(int(n) for n in pipe.execute()) > limit:
            return None
        for queue in queues:
            pipe.lrange(queue, 0, limit)
        waiting = [m for found in pipe.execute() for m in found]
        if len(waiting) > limit:  # the queues grew between the two reads
            return None
        return {j for j in (_job_id(m, held=False) for m in waiting) if j}

    def held_job_ids(self) -> set[str]:
        raw = cast(list[Any], self.redis.hvals(keys.KOMBU_UNACKED))
        return {j for j in (_job_id(r, held=True) for r in raw) if j}

    def record_sent(self, job_id: str, *, now_s: float, keep_s: float) -> None:
        """Note a session, compare or preview job as sent; entries older than ``keep_s`` (the jobs'
        own lifetime) are dropped on the way, so a job whose finish was never noted ages out."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.zadd(keys.SENT_JOBS, {job_id: now_s})
        pipe.zremrangebyscore(keys.SENT_JOBS, "-inf", now_s - keep_s)
        pipe.execute()

    def sent_jobs(self, *, before_s: float) -> list[str]:
        return [str(j) for j in self.redis.zrangebyscore(keys.SENT_JOBS, "-inf", before_s)]

    def forget_sent(self, job_ids: list[str]) -> None:
        if job_ids:
            self.redis.zrem(keys.SENT_JOBS, *job_ids)

    def sent_track_jobs(self, *, before_s: float) -> list[str]:
        """Every unfinished track job sent to the broker before ``before_s``: admitted from its
        user's line then, or counted active then and neither admitted nor in a line (a session's
        track, sent at once)."""
        out: list[str] = []
        for owner in sorted(cast(set[str], self.redis.smembers(keys.ACTIVE_USERS))):
            pipe = self.redis.pipeline(transaction=False)
            pipe.zrange(keys.admitted_jobs(owner), 0, -1, withscores=True)
            pipe.lrange(keys.waiting_jobs(owner), 0, -1)
            pipe.zrangebyscore(keys.active_jobs(owner), "-inf", before_s)
            admitted, waiting, active = pipe.execute()
            out.extend(str(j) for j, at in admitted if at <= before_s)
            through_a_line = {str(j) for j, _ in admitted} | {str(j) for j in waiting}  # batch tracks
            out.extend(str(j) for j in active if j not in through_a_line)
        return out
