"""worker.broker against a real Redis: a channel closed after its transport let go of the connection
details reports a connection error (which kombu and Celery recover from), never an AttributeError
(which stopped the worker after Redis restarts: worker/broker.py)."""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest
import redis
from celery import Celery

from config import Settings, SettingsError, load_settings
from tests.conftest import API_DB
from tests.resilience.tls import TlsTerminator
from tests.resilience.tls import tls_url as tls_redis_url
from worker.broker import TRANSPORT
from worker.celery_config import celery_config


@pytest.fixture(scope="module")
def tls_url(redis_base_url: str) -> Iterator[str]:
    """The tests' Redis behind TLS (tests/resilience/tls.py), as a certificate-checking rediss:// URL."""
    terminator = TlsTerminator(int(redis_base_url.rsplit(":", 1)[1])).start()
    yield tls_redis_url(terminator.port, db=API_DB)
    terminator.close()


@pytest.fixture(params=["redis", "rediss"])
def url(request: pytest.FixtureRequest, settings: Settings) -> str:
    if request.param == "rediss":
        return str(request.getfixturevalue("tls_url"))
    return settings.require_redis_url()


def test_the_worker_and_the_api_use_the_guarded_transport(settings: Settings, url: str) -> None:
    conf = celery_config(replace(settings, redis_url=url))
    assert conf["broker_transport"] == TRANSPORT
    app = Celery("codette-broker-test")
    app.conf.update(conf)
    with app.connection_for_write() as conn:
        assert conn.transport.driver_type == "redis"
        channel = conn.default_channel
        assert channel.client.ping()
        # over TLS the URL's certificate check reaches the connection, whatever the transport's name
        tls = channel._connparams().get("ssl_cert_reqs")
        assert (tls == ssl.CERT_REQUIRED) if url.startswith("rediss://") else tls is None


def test_a_tls_url_must_say_how_the_certificate_is_checked() -> None:
    with pytest.raises(SettingsError, match="ssl_cert_reqs=required"):
        load_settings({"REDIS_URL": "rediss://:secret@redis.example:6380/0"})
    assert load_settings({"REDIS_URL": "rediss://redis.example:6380/0?ssl_cert_reqs=required"}).redis_url


def test_closing_with_an_unacknowledged_message_after_the_transport_let_go_is_a_connection_error(
    settings: Settings, url: str
) -> None:
    name = f"codette-broker-test-{uuid.uuid4().hex}"
    conf = celery_config(replace(settings, redis_url=url))
    app = Celery("codette-broker-test")
    app.conf.update(conf)
    conn = app.connection_for_write()
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
        r = redis.Redis.from_url(url)
        r.delete(name)
        r.close()
        conn.release()
