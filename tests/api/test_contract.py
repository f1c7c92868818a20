"""The typed contract: the served OpenAPI document's schemas, generated from the result dataclasses,
accept real ``to_dict()`` output (a track, a session, a suggestion, every event) and refuse a broken one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from api.openapi import build_openapi
from config import Settings
from service.messages import ContextChanged
from service.model import Upload
from service.ports import Ports
from service.session_job import run_session_job
from service.sessions import put_session
from service.snapshots import job_snapshot
from service.submit import submit_batch, submit_session
from service.track_job import run_track_job
from tests.conftest import wav_bytes
from tests.fakes import memory_ports

DOC = json.loads(json.dumps(build_openapi()))


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": DOC["components"]})


def errors(name: str, value: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator(name).iter_errors(value)]


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Ports:
    """A session of two tracks run to the end on in-memory ports, with the real analysis."""
    tmp = tmp_path_factory.mktemp("contract")
    ports = memory_ports(Settings(data_dir=tmp / "data"), blob_root=tmp / "blobs")
    shas = [ports.blobs.put_bytes(wav_bytes(seconds=2.0, seed=s)) for s in (31, 32)]
    for sha in shas:
        ports.jobs.add_blob("alice", sha)
    tracks = [
        {"track_id": "vox", "name": "Vox", "type": "vocals", "sha256": shas[0]},
        {"track_id": "pad", "name": "Pad", "type": "pad", "sha256": shas[1]},
    ]
    put_session(
        ports, owner="alice", session_id="s", doc={"bpm": 120, "platform": "spotify", "tracks": tracks}
    )
    job = submit_session(ports, owner="alice", session_id="s")
    ((_, pending),) = ports.queue.named("analyze_session")  # type: ignore[attr-defined]
    for job_id, sha in pending:
        run_track_job(ports, job_id=job_id, sha256=sha, hostname="t")
    run_session_job(ports, job_id=job.job_id)
    submit_batch(ports, owner="alice", uploads=[Upload("v.wav", shas[0], track_type="vocals")])  # cached
    return ports


def test_a_track_analysis_and_its_job_match_the_schema(finished: Ports) -> None:
    track_jobs = [j for j in finished.jobs._jobs.values() if j.kind.value == "track"]  # type: ignore[attr-defined]
    snapshot = job_snapshot(finished, track_jobs[0])
    assert snapshot["result"]["loudness"]["integrated_lufs"] is not None
    assert errors("TrackAnalysis", snapshot["result"]) == []
    assert errors("Job", snapshot) == []
    assert snapshot["suggestions"] and errors("Suggestion", snapshot["suggestions"][0]) == []


def test_a_session_result_and_its_job_match_the_schema(finished: Ports) -> None:
    job = finished.jobs.latest_session_job("alice", "s")
    snapshot = job_snapshot(finished, job)
    assert snapshot["result"]["platform"] == "spotify"
    assert errors("SessionResult", snapshot["result"]) == []
    assert errors("JobResult", snapshot["result"]) == []
    assert errors("Job", snapshot) == []


def test_every_published_event_matches_its_schema(finished: Ports) -> None:
    refs = DOC["x-socketio"]["server_events"]
    sent = finished.publisher.sent  # type: ignore[attr-defined]
    context = ContextChanged("s", 1, [{"field": "state", "from": None, "to": "mixing"}], "mixing", "x", "y")
    seen = set()
    for message, _ in [*sent, (context, [])]:
        name = refs[message.event.value].rsplit("/", 1)[-1]
        assert errors(name, json.loads(json.dumps(message.to_dict()))) == [], message.event
        seen.add(message.event.value)
    assert {"job.progress", "job.done", "batch.done", "session.done", "context.changed"} <= seen


def test_the_schemas_refuse_what_to_dict_would_never_write(finished: Ports) -> None:
    job = finished.jobs.latest_session_job("alice", "s")
    result = job_snapshot(finished, job)["result"]
    assert errors("SessionResult", {**result, "colour": "red"})  # an unknown field
    assert errors("SessionResult", {k: v for k, v in result.items() if k != "summary"})  # a missing one
    track = dict(result["session_analysis"]["mix"])
    track["integrated_lufs"] = "loud"
    assert errors("MixEstimate", track)  # a wrong type


def test_job_result_is_typed_in_the_openapi_document() -> None:
    job = DOC["components"]["schemas"]["Job"]["properties"]
    assert {"$ref": "#/components/schemas/JobResult"} in job["result"]["anyOf"]
    loudness = DOC["components"]["schemas"]["LoudnessResult"]["properties"]["integrated_lufs"]
    assert loudness == {"type": ["number", "null"]}


def test_every_store_backed_route_documents_503_and_session_gets_422() -> None:
    for path, ops in DOC["paths"].items():
        for method, op in ops.items():
            if path not in ("/health", "/api/v1/openapi.json"):
                assert "503" in op["responses"], (method, path)
    for path in ("/api/v1/sessions/{session_id}", "/api/v1/sessions/{session_id}/analysis"):
        assert "422" in DOC["paths"][path]["get"]["responses"]


def test_the_contract_schemas_are_in_the_served_document() -> None:
    names = set(DOC["components"]["schemas"])
    assert {"TrackAnalysis", "SessionResult", "Suggestion", "JobDoneEvent", "JobProgressEvent"} <= names
