"""Blob settings from the environment, the backend build_stores chooses with them, and the start-up
check that stops a process whose object-store settings a real server refuses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import Settings, SettingsError, load_settings
from scripts.run_stack import free_port, redis_url, start_redis, stop
from store.blobs import LocalBlobStore
from store.objectstore import ObjectBlobStore
from store.wiring import blob_store, check_blob_store, check_redis_auth
from tests.conftest import ROOT
from tests.s3_server import S3Server

S3_ENV = {
    "CODETTE_BLOB_BACKEND": "s3",
    "CODETTE_S3_ENDPOINT": "http://objects.internal:8333",
    "CODETTE_S3_PUBLIC_ENDPOINT": "https://objects.example.com",
    "CODETTE_S3_BUCKET": "stems",
    "CODETTE_S3_REGION": "eu-west-1",
    "CODETTE_S3_PREFIX": "prod/",
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "very-secret-key",
    "CODETTE_BLOB_CACHE_DIR": "/var/cache/codette",
    "CODETTE_BLOB_CACHE_MAX_BYTES": "1000000",
    "CODETTE_BLOB_RETENTION_S": "86400",
}


def test_the_local_directory_is_the_default(tmp_path: Path) -> None:
    settings = load_settings({"CODETTE_DATA_DIR": str(tmp_path)})
    store = blob_store(settings)
    assert isinstance(store, LocalBlobStore) and store.root == tmp_path / "blobs"
    assert settings.blob_retention_s == 8 * 24 * 3600


def test_s3_settings_reach_the_object_store_and_secrets_stay_out_of_repr() -> None:
    settings = load_settings(S3_ENV)
    store = blob_store(settings)
    assert isinstance(store, ObjectBlobStore)
    s = store.settings
    assert (s.endpoint_url, s.public_endpoint_url, s.bucket, s.region, s.prefix) == (
        "http://objects.internal:8333", "https://objects.example.com", "stems", "eu-west-1", "prod/"
    )  # fmt: skip
    assert (s.access_key_id, s.secret_access_key) == ("AKIDEXAMPLE", "very-secret-key")
    assert store.copies.root == Path("/var/cache/codette") and store.copies.max_bytes == 1_000_000
    assert settings.blob_retention_s == 86400
    assert "very-secret-key" not in repr(settings) and "very-secret-key" not in repr(s)


@pytest.mark.parametrize(
    ("name", "value"), [("CODETTE_BLOB_BACKEND", "nfs"), ("CODETTE_S3_PREFIX", "prod"),
                        ("CODETTE_BLOB_RETENTION_S", "0")],
)  # fmt: skip
def test_bad_blob_settings_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({**S3_ENV, name: value})


def _s3_env(s3: S3Server, tmp_path: Path, **changes: str) -> dict[str, str]:
    return {**s3.env(), "CODETTE_DATA_DIR": str(tmp_path), **changes}


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"AWS_SECRET_ACCESS_KEY": "not-the-secret"}, "check AWS_SECRET_ACCESS_KEY"),
        ({"AWS_ACCESS_KEY_ID": "nobody"}, "check AWS_ACCESS_KEY_ID"),
        ({"CODETTE_S3_BUCKET": "no-such-bucket"}, "check CODETTE_S3_BUCKET"),
        ({"CODETTE_S3_ENDPOINT": f"http://127.0.0.1:{free_port()}"}, "check CODETTE_S3_ENDPOINT"),
    ],
)
def test_a_wrong_object_store_setting_stops_a_process_at_start_naming_it(
    s3: S3Server, tmp_path: Path, change: dict[str, str], named: str
) -> None:
    """The real server's refusal (SeaweedFS), turned into the setting an operator has to fix."""
    check_blob_store(load_settings(_s3_env(s3, tmp_path)))  # the right settings pass
    with pytest.raises(SettingsError, match=named) as raised:
        check_blob_store(load_settings(_s3_env(s3, tmp_path, **change)))
    assert s3.secret_access_key not in str(raised.value)


def test_a_worker_with_a_wrong_secret_exits_instead_of_joining_the_pool(s3: S3Server, tmp_path: Path) -> None:
    """`celery -A worker.celery_app worker` itself: it exits before it connects to Redis (none is given)."""
    env = {**os.environ, **_s3_env(s3, tmp_path, AWS_SECRET_ACCESS_KEY="not-the-secret")}
    env.update(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", CODETTE_LOG_FORMAT="text")
    cmd = [sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker", "-Q", "analysis", "-c", "1"]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "SettingsError: CODETTE_BLOB_BACKEND=s3 is unusable" in done.stderr + done.stdout
    assert "check AWS_SECRET_ACCESS_KEY" in done.stderr + done.stdout


def test_an_api_server_without_tokens_refuses_to_start() -> None:
    with pytest.raises(SettingsError, match="CODETTE_API_TOKENS is not set"):
        load_settings({}).require_api_tokens()
    assert load_settings({"CODETTE_API_TOKENS": "alice:t0k"}).require_api_tokens() == {"alice": "t0k"}


def test_a_worker_stops_on_a_redis_that_refuses_its_password_but_waits_for_one_not_up(tmp_path: Path) -> None:
    """check_redis_auth, at a worker's start: a refused password names REDIS_URL (never the password);
    the right password passes; a Redis not reachable yet is left to the broker's own retries."""
    port = free_port()
    proc = start_redis(tmp_path / "redis", port=port, appendonly=False, password="right-pass")
    try:
        for given in (None, "wrong-pass"):
            with pytest.raises(SettingsError, match="REDIS_URL: Redis refused the password") as err:
                check_redis_auth(Settings(redis_url=redis_url(port, given), data_dir=tmp_path))
            assert "right-pass" not in str(err.value) and "wrong-pass" not in str(err.value)
        check_redis_auth(Settings(redis_url=redis_url(port, "right-pass"), data_dir=tmp_path))
    finally:
        stop(proc)
    check_redis_auth(Settings(redis_url=redis_url(free_port(), "right-pass"), data_dir=tmp_path))
