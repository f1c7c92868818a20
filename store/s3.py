"""The S3 client of the object-storage adapters: settings, the boto3 client, error translation.

Library errors are translated once, here: a missing key is core.errors.NotFound, anything else
StorageUnavailable (transient: tasks retry it, the API answers 503).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from config import Settings
from core.errors import NotFound, StorageUnavailable

#: S3's multipart rules: parts of at least 5 MiB (but the last), at most 10,000 parts.
MIN_PART_BYTES = 5 << 20
MAX_PARTS = 10_000
_NOT_FOUND = {"404", "NoSuchKey", "NotFound", "NoSuchUpload"}
_EXISTS = {"412", "PreconditionFailed", "ConditionalRequestConflict"}


@dataclass(frozen=True)
class ObjectStoreSettings:
    """Where the blobs live; built from config.Settings by ``from_settings``, by tests directly."""

    endpoint_url: str | None
    bucket: str
    region: str = "us-east-1"
    access_key_id: str | None = field(default=None, repr=False)
    secret_access_key: str | None = field(default=None, repr=False)
    #: Key prefix, so one bucket can hold several deployments ("" for none; else ends with "/").
    prefix: str = ""
    #: The endpoint clients reach for presigned URLs (defaults to endpoint_url).
    public_endpoint_url: str | None = None
    #: Worker-local copies for decoding (None: a temporary directory) and their total size bound.
    cache_dir: Path | None = None
    cache_max_bytes: int = 2 << 30
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 60.0
    max_attempts: int = 3
    part_bytes: int = 16 << 20

    @classmethod
    def from_settings(cls, settings: Settings) -> ObjectStoreSettings:
        return cls(
            endpoint_url=settings.s3_endpoint,
            bucket=settings.s3_bucket,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            prefix=settings.s3_prefix,
            public_endpoint_url=settings.s3_public_endpoint,
            cache_dir=settings.blob_cache_path,
            cache_max_bytes=settings.blob_cache_max_bytes,
        )


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextmanager
def storage_errors(what: str) -> Iterator[None]:
    """Translate boto errors once: a missing key is NotFound, anything else StorageUnavailable."""
    try:
        yield
    except ClientError as exc:
        if error_code(exc) in _NOT_FOUND:
            raise NotFound(f"{what}: not in the object store") from exc
        raise StorageUnavailable(f"{what}: the object store answered {error_code(exc) or exc}") from exc
    except BotoCoreError as exc:
        raise StorageUnavailable(f"{what}: the object store is unreachable ({exc})") from exc


def lost_conditional_write(exc: StorageUnavailable) -> bool:
    """True when a conditional write failed because the key already exists (someone else won)."""
    cause = exc.__cause__
    return isinstance(cause, ClientError) and error_code(cause) in _EXISTS


def s3_client(settings: ObjectStoreSettings, endpoint_url: str | None) -> Any:
    """A path-style SigV4 client with bounded retries and timeouts."""
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        retries={"max_attempts": settings.max_attempts, "mode": "standard"},
        connect_timeout=settings.connect_timeout_s,
        read_timeout=settings.read_timeout_s,
        # Checksums only where we ask for them (SHA-256 on put): S3-compatible servers differ on the rest.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=settings.region,
        aws_access_key_id=settings.access_key_id,
        aws_secret_access_key=settings.secret_access_key,
        config=config,
    )
