"""Blob settings from the environment, and the backend build_stores chooses with them."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import SettingsError, load_settings
from store.blobs import LocalBlobStore
from store.objectstore import ObjectBlobStore
from store.wiring import blob_store

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
