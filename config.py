"""Settings: the only place that reads the environment.

Entry points (api/wsgi.py, worker/celery_app.py, the command lines) call ``load_settings()``;
everything else receives a ``Settings``. Tests build ``Settings(...)`` directly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

#: Queue names, the Socket.IO Redis channel and key prefixes live here and nowhere else.
ANALYSIS_QUEUE = "analysis"
LEARNING_QUEUE = "learning"
SESSION_QUEUE = "analysis"  # the session step is cheap; it shares the analysis pool
SOCKETIO_CHANNEL = "codette-socketio"
#: Every Redis key Codette writes (jobs, batches, sessions, stats) starts with this; cached analyses
#: use the engine's own key (core.analysis.cache_key), which starts with "analysis:".
KEY_PREFIX = "codette:"


class SettingsError(ValueError):
    """An environment variable has a value we cannot use; the message names it."""


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with the defaults documented in README.md and .env.example."""

    redis_url: str | None = None
    port: int = 5000
    host: str = "127.0.0.1"
    data_dir: Path = Path("var")
    api_tokens: Mapping[str, str] = field(default_factory=dict)  # user name -> token
    cors_origins: tuple[str, ...] = ()
    max_upload_bytes: int = 512 * 1024 * 1024
    max_file_bytes: int = 256 * 1024 * 1024
    max_files_per_batch: int = 64
    max_tracks_per_session: int = 128
    max_duration_s: float = 30 * 60.0
    worker_concurrency: int = 2
    result_ttl_s: int = 7 * 24 * 3600
    cache_ttl_s: int = 30 * 24 * 3600
    task_soft_time_limit_s: int = 600
    task_time_limit_s: int = 660
    visibility_timeout_s: int = 3600
    task_max_retries: int = 3
    redis_timeout_s: float = 5.0
    redis_connect_timeout_s: float = 2.0
    socketio_channel: str = SOCKETIO_CHANNEL

    def __post_init__(self) -> None:
        if not self.task_soft_time_limit_s < self.task_time_limit_s < self.visibility_timeout_s:
            raise SettingsError(
                "need CODETTE_TASK_SOFT_TIME_LIMIT_S < CODETTE_TASK_TIME_LIMIT_S"
                f" < CODETTE_VISIBILITY_TIMEOUT_S (got {self.task_soft_time_limit_s},"
                f" {self.task_time_limit_s}, {self.visibility_timeout_s}):"
                " a task must time out before the broker redelivers it"
            )

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    def require_redis_url(self) -> str:
        if not self.redis_url:
            raise SettingsError("REDIS_URL is not set (make run starts a Redis and sets it)")
        return self.redis_url


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not an integer") from exc
    if value <= 0:
        raise SettingsError(f"{name}={raw!r} must be positive")
    return value


def _float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not a number") from exc
    if not value > 0:
        raise SettingsError(f"{name}={raw!r} must be positive")
    return value


def parse_tokens(raw: str) -> dict[str, str]:
    """Parse ``"name:token,name:token"``; names and tokens must be non-empty and unique."""
    tokens: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        name, sep, token = item.partition(":")
        if not sep or not name.strip() or not token.strip():
            raise SettingsError(f"CODETTE_API_TOKENS entry {name.strip() or '?'!r} is not name:token")
        if name.strip() in tokens:
            raise SettingsError(f"CODETTE_API_TOKENS names user {name.strip()!r} twice")
        tokens[name.strip()] = token.strip()
    if len(set(tokens.values())) != len(tokens):
        raise SettingsError("CODETTE_API_TOKENS gives two users the same token")
    return tokens


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from the environment (``os.environ`` when not given)."""
    env = os.environ if environ is None else environ
    d = Settings()
    origins = tuple(o.strip() for o in env.get("CODETTE_CORS_ORIGINS", "").split(",") if o.strip())
    if "*" in origins:
        raise SettingsError("CODETTE_CORS_ORIGINS may not contain '*'; list the origins")
    return Settings(
        redis_url=env.get("REDIS_URL") or None,
        port=_int(env, "PORT", d.port),
        host=env.get("CODETTE_HOST", d.host),
        data_dir=Path(env.get("CODETTE_DATA_DIR") or d.data_dir),
        api_tokens=parse_tokens(env.get("CODETTE_API_TOKENS", "")),
        cors_origins=origins,
        max_upload_bytes=_int(env, "CODETTE_MAX_UPLOAD_BYTES", d.max_upload_bytes),
        max_file_bytes=_int(env, "CODETTE_MAX_FILE_BYTES", d.max_file_bytes),
        max_files_per_batch=_int(env, "CODETTE_MAX_FILES_PER_BATCH", d.max_files_per_batch),
        max_tracks_per_session=_int(env, "CODETTE_MAX_TRACKS_PER_SESSION", d.max_tracks_per_session),
        max_duration_s=_float(env, "CODETTE_MAX_DURATION_S", d.max_duration_s),
        worker_concurrency=_int(env, "CODETTE_WORKER_CONCURRENCY", d.worker_concurrency),
        result_ttl_s=_int(env, "CODETTE_RESULT_TTL_S", d.result_ttl_s),
        cache_ttl_s=_int(env, "CODETTE_CACHE_TTL_S", d.cache_ttl_s),
        task_soft_time_limit_s=_int(env, "CODETTE_TASK_SOFT_TIME_LIMIT_S", d.task_soft_time_limit_s),
        task_time_limit_s=_int(env, "CODETTE_TASK_TIME_LIMIT_S", d.task_time_limit_s),
        visibility_timeout_s=_int(env, "CODETTE_VISIBILITY_TIMEOUT_S", d.visibility_timeout_s),
        task_max_retries=_int(env, "CODETTE_TASK_MAX_RETRIES", d.task_max_retries),
        redis_timeout_s=_float(env, "CODETTE_REDIS_TIMEOUT_S", d.redis_timeout_s),
        redis_connect_timeout_s=_float(env, "CODETTE_REDIS_CONNECT_TIMEOUT_S", d.redis_connect_timeout_s),
    )
