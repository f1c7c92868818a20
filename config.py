"""Settings: the only place that reads the environment.

Entry points (api/wsgi.py, worker/celery_app.py, the command lines) call ``load_settings()``;
everything else receives a ``Settings``. Tests build ``Settings(...)`` directly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urlsplit

#: Queue names, the Socket.IO Redis channel and key prefixes live here and nowhere else.
ANALYSIS_QUEUE = "analysis"
LEARNING_QUEUE = "learning"
SESSION_QUEUE = "analysis"  # the session step is cheap; it shares the analysis pool
SOCKETIO_CHANNEL = "codette-socketio"
#: Every Redis key Codette writes (jobs, batches, sessions, stats) starts with this; cached analyses
#: use the engine's own key (core.analysis.cache_key), which starts with "analysis:".
KEY_PREFIX = "codette:"
#: Where blobs live: a local (or shared) directory, or an S3-compatible bucket (store/objectstore.py).
BLOB_BACKENDS = ("local", "s3")
BlobBackend = Literal["local", "s3"]


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
    #: A JSON request body (sessions, context, feedback, learning imports); uploads have their own limit.
    max_json_bytes: int = 1024 * 1024
    #: Jobs one user may have queued or running at once (429 with Retry-After above).
    max_active_jobs_per_user: int = 256
    #: A user's track jobs in the broker queue at once; the rest wait in the user's own line, so one
    #: user's large batch cannot starve another user's single track (per-user round-robin admission).
    admitted_jobs_per_user: int = 4
    worker_concurrency: int = 2
    result_ttl_s: int = 7 * 24 * 3600
    cache_ttl_s: int = 30 * 24 * 3600
    #: Expiry of the measures of rendered moves (service/moved.py): ~90 KB per move of a 3-minute stem,
    #: worth keeping while a session is being worked on, not for a month.
    moved_ttl_s: int = 2 * 24 * 3600
    #: Helper tasks a session job sends to share its vetting with the worker pool (service/vet_share.py):
    #: idle workers render and measure some of the moves while the job does the rest. 0: the job alone.
    vet_helpers: int = 4
    #: How long a claim on one move's measurement lasts unrenewed (s): its holder renews it every third
    #: of this while measuring, so a helper that dies holding one delays the job by at most this much.
    vet_claim_ttl_s: float = 15.0
    task_soft_time_limit_s: int = 600
    task_time_limit_s: int = 660
    visibility_timeout_s: int = 3600
    task_max_retries: int = 3
    redis_timeout_s: float = 5.0
    redis_connect_timeout_s: float = 2.0
    #: GET /health's own Redis timeouts, so a load balancer's check gets its 503 within a second.
    health_timeout_s: float = 0.3
    #: Seconds between a worker's heartbeats (worker/heartbeat.py): /health counts a worker live for
    #: 3 beats, and an instance silent for 6 is dead and its messages are given back (30 s by default).
    #: Every API and worker host must use the same value.
    worker_heartbeat_s: float = 5.0
    socketio_channel: str = SOCKETIO_CHANNEL
    #: A learning rebuild waits this long after the feedback that queued it, so a burst of feedback
    #: rebuilds the population prior once.
    learning_debounce_s: float = 2.0
    #: Blob storage (docs/operations.md, "Object storage"): ``local`` keeps blobs under data_dir/blobs;
    #: ``s3`` in a bucket every API and worker host reaches (no shared filesystem needed).
    blob_backend: BlobBackend = "local"
    s3_endpoint: str | None = None  # None: AWS's own endpoint for the region
    s3_public_endpoint: str | None = None  # what clients reach for presigned URLs (default: s3_endpoint)
    s3_bucket: str = "codette"
    s3_region: str = "us-east-1"
    s3_prefix: str = ""  # "" or ending with "/": several deployments may share a bucket
    s3_access_key_id: str | None = field(default=None, repr=False)
    s3_secret_access_key: str | None = field(default=None, repr=False)
    #: A worker's verified local copies of S3 blobs for decoding (None: data_dir/blob-cache), bounded.
    blob_cache_dir: Path | None = None
    blob_cache_max_bytes: int = 2 << 30
    #: Retention: a blob no job, session or cached analysis references for this long is deleted
    #: (one day past the 7-day job expiry); workers sweep every blob_sweep_interval_s, one at a time.
    blob_retention_s: int = 8 * 24 * 3600
    blob_sweep_interval_s: int = 6 * 3600
    #: Monitoring (docs/operations.md): log lines as JSON objects (or classic text); the port on
    #: CODETTE_HOST where a worker serves its Prometheus metrics (None: not served); the directory
    #: prometheus-client's multiprocess mode shares between a server's processes (its own variable).
    log_json: bool = True
    worker_metrics_port: int | None = None
    metrics_multiproc_dir: Path | None = None

    def __post_init__(self) -> None:
        if not self.task_soft_time_limit_s < self.task_time_limit_s < self.visibility_timeout_s:
            raise SettingsError(
                "need CODETTE_TASK_SOFT_TIME_LIMIT_S < CODETTE_TASK_TIME_LIMIT_S"
                f" < CODETTE_VISIBILITY_TIMEOUT_S (got {self.task_soft_time_limit_s},"
                f" {self.task_time_limit_s}, {self.visibility_timeout_s}):"
                " a task must time out before the broker redelivers it"
            )
        if not 0.5 <= self.worker_heartbeat_s <= 60.0:
            raise SettingsError(f"CODETTE_WORKER_HEARTBEAT_S={self.worker_heartbeat_s:g} is outside 0.5-60 s")
        if self.blob_backend not in BLOB_BACKENDS:
            raise SettingsError(f"CODETTE_BLOB_BACKEND={self.blob_backend!r} is not one of {BLOB_BACKENDS}")
        if self.s3_prefix and not self.s3_prefix.endswith("/"):
            raise SettingsError(f"CODETTE_S3_PREFIX={self.s3_prefix!r} must be empty or end with '/'")

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def blob_cache_path(self) -> Path:
        """Where a worker keeps its local copies of object-store blobs."""
        return self.blob_cache_dir or self.data_dir / "blob-cache"

    def require_api_tokens(self) -> Mapping[str, str]:
        """The tokens, for a server's entry point: without any, every request would be a bare 401."""
        if not self.api_tokens:
            raise SettingsError(
                "CODETTE_API_TOKENS is not set: every API request would be refused (401); give"
                " name:token,name:token (make run generates one)"
            )
        return self.api_tokens

    def require_redis_url(self) -> str:
        if not self.redis_url:
            raise SettingsError("REDIS_URL is not set (make run starts a Redis and sets it)")
        return self.redis_url


def _int(environ: Mapping[str, str], name: str, default: int, *, minimum: int = 1) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not an integer") from exc
    if value < minimum:
        raise SettingsError(f"{name}={raw!r} must be {'positive' if minimum == 1 else f'at least {minimum}'}")
    return value


#: How a rediss:// URL may say whether to check the server's certificate (redis-py's and Celery's names).
SSL_CERT_REQS = ("required", "optional", "none", "cert_required", "cert_optional", "cert_none")


def redis_url_from(raw: str | None) -> str | None:
    """REDIS_URL, checked where a mistake would otherwise surface deep inside Celery: a TLS URL
    (``rediss://``) must say how the server's certificate is checked (``ssl_cert_reqs``), which
    Celery's result backend requires and the broker, the caches and Socket.IO then share. The URL
    itself is never echoed: it may hold the password."""
    if raw is None:
        return None
    if urlsplit(raw).scheme == "rediss":
        reqs = parse_qs(urlsplit(raw).query).get("ssl_cert_reqs", [""])[0]
        if reqs.lower() not in SSL_CERT_REQS:
            raise SettingsError(
                "REDIS_URL uses TLS (rediss://) but does not say how to check the server's certificate: "
                "add ?ssl_cert_reqs=required&ssl_ca_certs=/path/to/ca.pem (ssl_cert_reqs=none skips "
                "the check, which lets anyone on the path pose as Redis)"
            )
    return raw


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
        redis_url=redis_url_from(env.get("REDIS_URL") or None),
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
        max_json_bytes=_int(env, "CODETTE_MAX_JSON_BYTES", d.max_json_bytes),
        max_active_jobs_per_user=_int(env, "CODETTE_MAX_ACTIVE_JOBS_PER_USER", d.max_active_jobs_per_user),
        admitted_jobs_per_user=_int(env, "CODETTE_ADMITTED_JOBS_PER_USER", d.admitted_jobs_per_user),
        worker_concurrency=_int(env, "CODETTE_WORKER_CONCURRENCY", d.worker_concurrency),
        result_ttl_s=_int(env, "CODETTE_RESULT_TTL_S", d.result_ttl_s),
        cache_ttl_s=_int(env, "CODETTE_CACHE_TTL_S", d.cache_ttl_s),
        moved_ttl_s=_int(env, "CODETTE_MOVED_TTL_S", d.moved_ttl_s),
        vet_helpers=_int(env, "CODETTE_VET_HELPERS", d.vet_helpers, minimum=0),
        vet_claim_ttl_s=_float(env, "CODETTE_VET_CLAIM_TTL_S", d.vet_claim_ttl_s),
        task_soft_time_limit_s=_int(env, "CODETTE_TASK_SOFT_TIME_LIMIT_S", d.task_soft_time_limit_s),
        task_time_limit_s=_int(env, "CODETTE_TASK_TIME_LIMIT_S", d.task_time_limit_s),
        visibility_timeout_s=_int(env, "CODETTE_VISIBILITY_TIMEOUT_S", d.visibility_timeout_s),
        task_max_retries=_int(env, "CODETTE_TASK_MAX_RETRIES", d.task_max_retries),
        redis_timeout_s=_float(env, "CODETTE_REDIS_TIMEOUT_S", d.redis_timeout_s),
        redis_connect_timeout_s=_float(env, "CODETTE_REDIS_CONNECT_TIMEOUT_S", d.redis_connect_timeout_s),
        health_timeout_s=_float(env, "CODETTE_HEALTH_TIMEOUT_S", d.health_timeout_s),
        worker_heartbeat_s=_float(env, "CODETTE_WORKER_HEARTBEAT_S", d.worker_heartbeat_s),
        learning_debounce_s=_float(env, "CODETTE_LEARNING_DEBOUNCE_S", d.learning_debounce_s),
        blob_backend=_blob_backend(env),
        s3_endpoint=env.get("CODETTE_S3_ENDPOINT") or None,
        s3_public_endpoint=env.get("CODETTE_S3_PUBLIC_ENDPOINT") or None,
        s3_bucket=env.get("CODETTE_S3_BUCKET") or d.s3_bucket,
        s3_region=env.get("CODETTE_S3_REGION") or d.s3_region,
        s3_prefix=env.get("CODETTE_S3_PREFIX", d.s3_prefix),
        s3_access_key_id=env.get("AWS_ACCESS_KEY_ID") or None,
        s3_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY") or None,
        blob_cache_dir=Path(env["CODETTE_BLOB_CACHE_DIR"]) if env.get("CODETTE_BLOB_CACHE_DIR") else None,
        blob_cache_max_bytes=_int(env, "CODETTE_BLOB_CACHE_MAX_BYTES", d.blob_cache_max_bytes),
        blob_retention_s=_int(env, "CODETTE_BLOB_RETENTION_S", d.blob_retention_s),
        blob_sweep_interval_s=_int(env, "CODETTE_BLOB_SWEEP_INTERVAL_S", d.blob_sweep_interval_s),
        log_json=_log_json(env),
        worker_metrics_port=_int(env, "CODETTE_WORKER_METRICS_PORT", 0) or None,
        metrics_multiproc_dir=Path(env["PROMETHEUS_MULTIPROC_DIR"])
        if env.get("PROMETHEUS_MULTIPROC_DIR")
        else None,
    )


def _log_json(environ: Mapping[str, str]) -> bool:
    raw = (environ.get("CODETTE_LOG_FORMAT") or "json").strip().lower()
    if raw not in ("json", "text"):
        raise SettingsError(f"CODETTE_LOG_FORMAT={raw!r} is not json or text")
    return raw == "json"


def _blob_backend(environ: Mapping[str, str]) -> BlobBackend:
    raw = (environ.get("CODETTE_BLOB_BACKEND") or "local").strip().lower()
    if raw == "local":
        return "local"
    if raw == "s3":
        return "s3"
    raise SettingsError(f"CODETTE_BLOB_BACKEND={raw!r} is not one of {BLOB_BACKENDS}")
