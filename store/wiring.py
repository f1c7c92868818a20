"""build_stores(settings): the Redis, filesystem and object-store adapters of one process, as Ports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import redis
from botocore.exceptions import ClientError

from config import Settings, SettingsError
from core.ask import KnowledgeBase
from core.errors import StorageUnavailable
from service.ports import Ports, Publisher, TaskQueue, Unwired
from store.admission import RedisAdmission
from store.blobs import LocalBlobStore
from store.cache import RedisCache
from store.claims import RedisClaims
from store.context import RedisContextStore
from store.events import RedisPublisher
from store.jobs import RedisJobStore
from store.knowledge import FileVectorCache, read_knowledge
from store.learning import RedisLearningStore
from store.lost_messages import RedisLostMessages
from store.objectstore import ObjectBlobStore
from store.s3 import ObjectStoreSettings, error_code
from store.workers import RedisHealth, probe_client


def redis_client(settings: Settings) -> redis.Redis:
    """A decode_responses client with the configured timeouts; connects lazily, on first use."""
    return redis.Redis.from_url(
        settings.require_redis_url(),
        decode_responses=True,
        socket_connect_timeout=settings.redis_connect_timeout_s,
        socket_timeout=settings.redis_timeout_s,
        health_check_interval=30,
    )


def blob_store(settings: Settings) -> LocalBlobStore | ObjectBlobStore:
    """The blob store CODETTE_BLOB_BACKEND names: the local directory, or the S3 bucket."""
    if settings.blob_backend == "s3":
        return ObjectBlobStore(ObjectStoreSettings.from_settings(settings))
    return LocalBlobStore(settings.blob_dir)


#: What the object store's refusal at start-up says about the settings (S3 error codes).
_S3_SETTING_AT_FAULT = {
    "NoSuchBucket": "CODETTE_S3_BUCKET (no such bucket)",
    "InvalidAccessKeyId": "AWS_ACCESS_KEY_ID (unknown to the store)",
    "SignatureDoesNotMatch": "AWS_SECRET_ACCESS_KEY (it does not match AWS_ACCESS_KEY_ID)",
    "AccessDenied": "AWS_ACCESS_KEY_ID (not allowed to list the bucket)",
}


def check_blob_store(settings: Settings) -> None:
    """At an entry point's start: with CODETTE_BLOB_BACKEND=s3, one listing of the bucket, so a host with
    a wrong endpoint, bucket or credentials stops at once, naming the setting, instead of joining the
    pool and failing every job it takes. No-op for the local backend."""
    if settings.blob_backend != "s3":
        return
    store = ObjectBlobStore(replace(ObjectStoreSettings.from_settings(settings), max_attempts=1))
    try:
        store.check_access()
    except StorageUnavailable as exc:
        cause = exc.__cause__
        code = error_code(cause) if isinstance(cause, ClientError) else ""
        culprit = _S3_SETTING_AT_FAULT.get(code) or (
            "CODETTE_S3_ENDPOINT (unreachable)" if not code else "CODETTE_S3_* and AWS_* settings"
        )
        raise SettingsError(f"CODETTE_BLOB_BACKEND=s3 is unusable: {exc.message}; check {culprit}") from exc


def check_redis_auth(settings: Settings) -> None:
    """At a worker's start: a Redis that answers but refuses REDIS_URL's password stops the process,
    naming the setting (the broker connection would otherwise retry a refused password 100 times).
    A Redis that is not reachable yet is no error here: it may be starting, and the worker waits."""
    client = probe_client(settings)
    try:
        client.ping()
    except redis.AuthenticationError as exc:
        raise SettingsError(
            "REDIS_URL: Redis refused the password (none given, or a wrong one); "
            "give the one its requirepass sets"
        ) from exc
    except redis.RedisError:
        return
    finally:
        client.close()


def build_stores(
    settings: Settings, *, queue: TaskQueue | None = None, publisher: Publisher | None = None
) -> Ports:
    """Every port of ``settings``'s stores; ``queue`` is wired by the caller (worker.queue)."""
    client = redis_client(settings)
    return Ports(
        settings=settings,
        jobs=RedisJobStore(client, ttl_s=settings.result_ttl_s),
        blobs=blob_store(settings),
        cache=RedisCache(client, ttl_s=settings.cache_ttl_s),
        learning=RedisLearningStore(client, ttl_s=settings.result_ttl_s),
        contexts=RedisContextStore(client, ttl_s=settings.result_ttl_s),
        publisher=publisher
        or RedisPublisher(settings.require_redis_url(), channel=settings.socketio_channel),
        health=RedisHealth(client, probe=probe_client(settings), heartbeat_s=settings.worker_heartbeat_s),
        queue=queue or Unwired(),
        admission=RedisAdmission(client, ttl_s=settings.result_ttl_s),
        lost=RedisLostMessages(client),
        claims=RedisClaims(client),
    )


def ask_sources(settings: Settings) -> tuple[Callable[[], KnowledgeBase], FileVectorCache]:
    """What Ask Codette reads: data/knowledge, and its embeddings kept under ``data_dir/ask``."""
    return read_knowledge, FileVectorCache(settings.data_dir / "ask")
