"""client.Codette's flows beyond uploads, over HTTP against a real API (Werkzeug serving the app, a real
Redis; no worker, so queued jobs stay queued)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from client import ClientError, Codette
from client.rest import sha256_file
from config import Settings
from tests.client.test_direct_upload import serve
from tests.conftest import TOKENS, wav_bytes

pytestmark = pytest.mark.integration


@pytest.fixture
def codette(settings: Settings) -> Iterator[Codette]:
    for url in serve(settings):
        with Codette(url, TOKENS["alice"]) as client:
            yield client


def test_compare_style_workflow_and_errors_carry_the_servers_codes(codette: Codette, tmp_path: Path) -> None:
    mix, reference = tmp_path / "mix.wav", tmp_path / "reference.wav"
    mix.write_bytes(wav_bytes(seconds=1.0, seed=7601))
    reference.write_bytes(wav_bytes(seconds=1.0, seed=7602))
    assert codette.upload([mix, reference]).uploaded == 2

    job_id = codette.compare(sha256_file(reference), sha256_file(mix))
    job = codette.api.job(job_id)
    assert job["kind"] == "compare" and job["status"] == "queued"
    with pytest.raises(ClientError) as unknown:
        codette.compare("0" * 64, sha256_file(mix))
    assert (unknown.value.status, unknown.value.code) == (404, "blob_not_found")

    style = codette.style()
    assert style["user_id"] == "alice" and isinstance(style["sessions"], int)

    session = codette.session("lib-session")
    tracks = [{"track_id": "mix", "name": "Mix", "type": "mix_bus", "sha256": sha256_file(mix)}]
    assert session.put({"bpm": 120, "tracks": tracks})["session_id"] == "lib-session"
    assert session.workflow()["pattern"] == "undetermined"
    with pytest.raises(ClientError) as not_ready:
        session.preview(["sug_0123456789abcdef"])
    assert not_ready.value.status in (404, 422)

    with pytest.raises(ClientError) as missing:
        codette.preview_audio("no-such-job", "before")
    assert (missing.value.status, missing.value.code) == (404, "not_found")
