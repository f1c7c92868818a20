"""The stores a worker or API process talks to, built once per process from Settings."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from config import Settings
from core.cache import AnalysisCache
from worker.blobs import BlobStore
from worker.cache import RedisCache
from worker.events import Publisher, RedisPublisher
from worker.state import JobStore


@dataclass(frozen=True)
class Services:
    settings: Settings
    redis: redis.Redis
    store: JobStore
    blobs: BlobStore
    cache: AnalysisCache
    publisher: Publisher


def build_services(settings: Settings, *, publisher: Publisher | None = None) -> Services:
    """Connect lazily (nothing talks to Redis until first use) so building never blocks."""
    url = settings.require_redis_url()
    client = redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=settings.redis_connect_timeout_s,
        socket_timeout=settings.redis_timeout_s,
        health_check_interval=30,
    )
    return Services(
        settings=settings,
        redis=client,
        store=JobStore(client, ttl_s=settings.result_ttl_s),
        blobs=BlobStore(settings.blob_dir),
        cache=RedisCache(client, ttl_s=settings.cache_ttl_s),
        publisher=publisher or RedisPublisher(url, channel=settings.socketio_channel),
    )
