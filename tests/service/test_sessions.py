"""The one session model at PUT, on in-memory ports: refused before anything is stored or queued."""

from __future__ import annotations

import pytest

from core.errors import InvalidParameter, NotFound
from service.ports import Ports
from service.sessions import get_session, put_session
from service.submit import submit_session
from tests.conftest import wav_bytes


def doc(sha256: str, **extra: object) -> dict:
    return {
        "bpm": 120,
        "tracks": [{"track_id": "k", "name": "Kick", "type": "kick", "sha256": sha256}],
        **extra,
    }


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"genre": "polka"}, "$.genre"),
        ({"platform": "vinyl"}, "$.platform"),
        ({"bpm": 0}, "bpm"),
    ],
)
def test_an_invalid_session_names_its_field_and_stores_and_queues_nothing(
    ports: Ports, extra: dict, field: str
) -> None:
    sha = ports.blobs.put_bytes(wav_bytes(seconds=0.2, seed=10))
    ports.jobs.add_blob("alice", sha)
    with pytest.raises(InvalidParameter, match=field.replace("$", r"\$")):
        put_session(ports, owner="alice", session_id="s", doc=doc(sha, **extra))
    with pytest.raises(NotFound):
        get_session(ports, owner="alice", session_id="s")
    with pytest.raises(NotFound):
        submit_session(ports, owner="alice", session_id="s")
    assert ports.queue.calls == []  # type: ignore[attr-defined]


def test_an_unknown_track_type_and_a_blob_of_someone_else_are_refused(ports: Ports) -> None:
    sha = ports.blobs.put_bytes(wav_bytes(seconds=0.2, seed=11))
    ports.jobs.add_blob("alice", sha)
    bad = doc(sha)
    bad["tracks"][0]["type"] = "theremin"
    with pytest.raises(InvalidParameter, match=r"\$\.tracks\[0\]\.type"):
        put_session(ports, owner="alice", session_id="s", doc=bad)
    with pytest.raises(InvalidParameter, match=r"\$\.tracks\[0\]\.sha256"):
        put_session(ports, owner="bob", session_id="s", doc=doc(sha))


def test_the_documented_platform_is_stored_and_reaches_the_session_job(ports: Ports) -> None:
    sha = ports.blobs.put_bytes(wav_bytes(seconds=0.2, seed=12))
    ports.jobs.add_blob("alice", sha)
    stored, created = put_session(ports, owner="alice", session_id="s", doc=doc(sha, platform="spotify"))
    assert created and stored["platform"] == "spotify"
    job = submit_session(ports, owner="alice", session_id="s")
    assert ports.jobs.session_input(job.job_id)["platform"] == "spotify"
    ((session_job_id, tracks),) = ports.queue.named("analyze_session")  # type: ignore[attr-defined]
    assert session_job_id == job.job_id and [sha for _, sha in tracks] == [sha]
