"""One SeaweedFS S3 server for every store test that needs it (each test uses its own key prefix)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.s3_server import S3Server, s3_server_or_skip


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    server = s3_server_or_skip(tmp_path_factory.mktemp("seaweedfs"))
    yield server
    server.stop()
