"""GET /health when Redis refuses the API's password: a 503 that names the setting, not a bare outage."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from api.app import create_app
from config import Settings
from scripts.run_stack import free_port, redis_url, start_redis, stop


@pytest.fixture
def guarded_redis(tmp_path: Path) -> Iterator[int]:
    port = free_port()
    proc = start_redis(tmp_path / "redis", port=port, appendonly=False, password="s3cret-pass")
    yield port
    stop(proc)


@pytest.mark.parametrize("password", [None, "wrong-pass"])
def test_a_redis_refusing_the_password_reads_as_authentication_not_an_outage(
    settings: Settings, guarded_redis: int, password: str | None
) -> None:
    client = create_app(replace(settings, redis_url=redis_url(guarded_redis, password))).test_client()
    r = client.get("/health")
    assert r.status_code == 503
    assert r.get_json()["redis"] == "authentication refused: check the password in REDIS_URL"
    assert "s3cret" not in r.get_data(as_text=True)
