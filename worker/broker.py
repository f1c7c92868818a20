"""kombu's Redis transport, with a closed connection reported as a connection error, not a crash.

When Redis goes away and comes back while a worker holds unacknowledged messages, kombu can close a
channel whose transport has already let go of its connection details: returning the messages
(``restore_unacked``, or a ``reject(requeue=True)`` on the way out) then builds a new client pool
from ``transport.client``, which is None, and raises AttributeError. kombu's and Celery's cleanup
only ignores connection errors, so the AttributeError stops the worker ("Unrecoverable error:
AttributeError: 'NoneType' object has no attribute 'hostname'", seen with kombu 5.7.0 when Redis was
stopped and started three times within ten seconds; the same failure as kombu issues #582 and #970).
Raised as a redis ConnectionError instead, it is handled where every connection loss is: the
consumer reconnects and goes on consuming, and the messages it could not give back stay in Redis's
unacknowledged set, restored by kombu's sweep after the visibility timeout (or by worker.heartbeat
when the worker is dead).
"""

from __future__ import annotations

from typing import Any

import redis
from kombu.transport import redis as kombu_redis

#: Celery's broker_transport for this transport: a class path kombu imports (never taken from a URL).
TRANSPORT = "worker.broker:Transport"


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        if self.connection.client is None:
            raise redis.ConnectionError("the broker connection is already closed")
        params: dict[str, Any] = super()._connparams(asynchronous=asynchronous)  # type: ignore[no-untyped-call]
        return params


class Transport(kombu_redis.Transport):
    Channel = Channel
