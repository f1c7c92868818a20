"""worker.broker against a real Redis: a channel closed after its transport let go of the connection
details reports a connection error (which kombu and Celery recover from), never an AttributeError
(which stopped the worker after Redis restarts: worker/broker.py)."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
import redis
from kombu import Connection

from config import Settings
from worker.broker import TRANSPORT
from worker.celery_config import celery_config


def test_the_worker_and_the_api_use_the_guarded_transport(settings: Settings) -> None:
    conf = celery_config(settings)
    assert conf["broker_transport"] == TRANSPORT
    # rediss:// keeps kombu's transport, which sets TLS up from the scheme's name
    tls = celery_config(replace(settings, redis_url="rediss://:secret@redis.example:6380/0"))
    assert tls["broker_transport"] is None
    with Connection(conf["broker_url"], transport=conf["broker_transport"]) as conn:
        assert conn.transport.driver_type == "redis"
        assert conn.default_channel.client.ping()


def test_closing_with_an_unacknowledged_message_after_the_transport_let_go_is_a_connection_error(
    settings: Settings,
) -> None:
    name = f"codette-broker-test-{uuid.uuid4().hex}"
    conn = Connection(settings.require_redis_url(), transport=TRANSPORT)
    try:
        queue = conn.SimpleQueue(name)
        queue.put({"n": 1})
        message = queue.get(timeout=5)  # delivered, not acknowledged: closing must give it back
        channel = message.channel
        # what kombu leaves behind once the connection is closed under the channel
        channel._disconnect_pools()
        transport_client, channel.connection.client = channel.connection.client, None
        with pytest.raises(redis.ConnectionError, match="already closed"):
            channel.close()
        assert redis.ConnectionError in conn.connection_errors  # so kombu's cleanup ignores it
        channel.connection.client = transport_client
    finally:
        r = redis.Redis.from_url(settings.require_redis_url())
        r.delete(name)
        r.close()
        conn.release()
