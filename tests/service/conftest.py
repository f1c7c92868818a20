"""Service tests run on the in-memory ports of tests/fakes.py: no Redis, no Celery, no Flask."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import Settings
from service.ports import Ports
from tests.fakes import memory_ports


@pytest.fixture
def ports(tmp_path: Path) -> Ports:
    return memory_ports(Settings(data_dir=tmp_path / "data"), blob_root=tmp_path / "blobs")
