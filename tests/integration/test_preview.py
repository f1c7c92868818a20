"""Previews against the real stack: the API queues, a real worker renders and measures, the owner
downloads the loudness-matched excerpts; the same preview again is done on arrival."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import numpy as np
import pytest
import redis
import requests
import soundfile as sf

from config import Settings
from tests.conftest import auth
from tests.integration.test_stack import connect, get, poll
from tests.integration.test_track_suggestions import rumbling_vocal

pytestmark = pytest.mark.integration


def _typed_vocal(api_url: str) -> list[dict]:
    r = requests.post(
        f"{api_url}/api/v1/analyses",
        files=[("files", ("vocal.wav", rumbling_vocal()))],
        data={"track_types": '["vocals"]'},
        headers=auth(),
        timeout=30,
    )
    assert r.status_code == 202, r.text
    job_id = r.json()["jobs"][0]["job_id"]
    job = poll(lambda: get(api_url, f"/api/v1/jobs/{job_id}"), lambda b: b["status"] in ("done", "failed"))
    assert job["status"] == "done", job
    return list(job["suggestions"])


def test_a_preview_runs_on_a_worker_and_its_excerpts_are_the_owners(api_url: str, workers: list[str]) -> None:
    high_pass = next(s for s in _typed_vocal(api_url) if s["type"] == "high_pass")
    url = f"{api_url}/api/v1/suggestions/{high_pass['id']}/preview"
    client, received = connect(api_url)
    try:
        r = requests.post(url, headers=auth(), timeout=10)
        assert r.status_code == 202, r.text
        created = r.json()
        assert r.headers["Location"].endswith(f"/api/v1/jobs/{created['job_id']}")
        ack = client.call("subscribe", {"job_id": created["job_id"]}, timeout=10)
        assert ack["ok"], ack
        job_url = f"/api/v1/jobs/{created['job_id']}"
        job = poll(lambda: get(api_url, job_url), lambda b: b["status"] in ("done", "failed"))
        assert job["status"] == "done" and job["kind"] == "preview", job
        result = job["result"]
        assert result["suggestion_id"] == high_pass["id"] and result["resolved"] is True
        assert result["after"]["share_below_db"] < result["before"]["share_below_db"]
        poll(lambda: {"events": [e for e, _ in received]}, lambda b: "job.done" in b["events"])
    finally:
        client.disconnect()
    audio = result["audio"]
    excerpts = {}
    for name in ("before", "after"):
        got = requests.get(api_url + audio[name], headers=auth(), timeout=10)
        assert got.status_code == 200 and got.headers["Content-Type"] == "audio/wav"
        excerpts[name], sr = sf.read(io.BytesIO(got.content), always_2d=True)
        assert sr == audio["sample_rate"] and excerpts[name].shape[1] == audio["channels"]
        assert requests.get(api_url + audio[name], headers=auth("bob"), timeout=10).status_code == 404
    assert excerpts["before"].shape == excerpts["after"].shape
    assert not np.allclose(excerpts["before"], excerpts["after"], atol=1e-3)  # the move is audible
    again = requests.post(url, headers=auth(), timeout=10)
    assert again.status_code == 202 and again.json()["cached"] is True and again.json()["status"] == "done"
    assert get(api_url, f"/api/v1/jobs/{again.json()['job_id']}")["result"]["after"] == result["after"]


def _blob(api_url: str, data: bytes, name: str) -> str:
    r = requests.post(f"{api_url}/api/v1/blobs", files={"file": (name, data)}, headers=auth(), timeout=30)
    assert r.status_code == 201, r.text
    return str(r.json()["sha256"])


def _analysed_session(api_url: str, prefix: str, tracks: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """PUT a new session of ``tracks`` (tempo 120), analyse it and wait: (its id, the finished job)."""
    sid = f"{prefix}-{uuid.uuid4().hex[:8]}"
    r = requests.put(f"{api_url}/api/v1/sessions/{sid}", json={"bpm": 120, "tracks": tracks}, headers=auth(),
                     timeout=10)  # fmt: skip
    assert r.status_code == 201, r.text
    r = requests.post(f"{api_url}/api/v1/sessions/{sid}/analyze", headers=auth(), timeout=10)
    assert r.status_code == 202, r.text
    job_url = f"/api/v1/jobs/{r.json()['job_id']}"
    job = poll(lambda: get(api_url, job_url), lambda b: b["status"] in ("done", "failed"))
    assert job["status"] == "done", job
    return sid, job


def test_a_session_preview_measures_the_moves_in_the_mix(api_url: str, workers: list[str]) -> None:
    t = np.arange(4 * 44_100) / 44_100
    bass = np.stack([0.4 * np.sin(2 * np.pi * 55.0 * t)] * 2, axis=1).astype(np.float32)
    buf = io.BytesIO()
    sf.write(buf, bass, 44_100, format="WAV", subtype="PCM_16")
    tracks = [
        {
            "track_id": "vox",
            "name": "Vox",
            "type": "vocals",
            "sha256": _blob(api_url, rumbling_vocal(), "v.wav"),
        },
        {
            "track_id": "bass",
            "name": "Bass",
            "type": "bass",
            "sha256": _blob(api_url, buf.getvalue(), "b.wav"),
        },
    ]
    sid, job = _analysed_session(api_url, "preview", tracks)
    advice = [s for t in job["result"]["session_analysis"]["tracks"] for s in t["suggestions"]]
    assert any("verified" in s["evidence"] for s in advice), advice  # vetted before it was stored
    high_pass = next(s for s in advice if s["type"] == "high_pass" and s["target"]["track_id"] == "vox")
    url = f"{api_url}/api/v1/sessions/{sid}/preview"
    assert requests.post(url, json={"suggestion_ids": [high_pass["id"]]}, headers=auth("bob"),
                         timeout=10).status_code == 404  # fmt: skip
    r = requests.post(url, json={"suggestion_ids": [high_pass["id"]]}, headers=auth(), timeout=10)
    assert r.status_code == 202, r.text
    preview_url = f"/api/v1/jobs/{r.json()['job_id']}"
    preview = poll(lambda: get(api_url, preview_url), lambda b: b["status"] in ("done", "failed"))
    assert preview["status"] == "done" and preview["kind"] == "preview", preview
    result = preview["result"]
    assert result["suggestion_ids"] == [high_pass["id"]] and result["track_ids"] == ["vox"]
    assert result["resolved_by_suggestion"] == {high_pass["id"]: True}
    assert result["before"]["mix_lufs"] is not None and result["after"]["mix_lufs"] is not None
    got = requests.get(api_url + result["audio"]["after"], headers=auth(), timeout=10)
    assert got.status_code == 200
    mix, sr = sf.read(io.BytesIO(got.content), always_2d=True)
    assert sr == 44_100 and mix.shape == (4 * 44_100, 2)  # the whole (short) mix, stereo


def test_a_sessions_vetting_is_shared_with_the_other_worker(
    api_url: str, workers: list[str], stack_settings: Settings
) -> None:
    """Four rumbling vocals: the session job sends helper tasks, the other worker measures some of
    the moves (its task's result says how many), and the advice comes back vetted all the same."""
    tracks = [
        {
            "track_id": f"vox{i}",
            "name": f"Vox {i}",
            "type": "vocals",
            "sha256": _blob(api_url, rumbling_vocal(p), "v.wav"),
        }
        for i, p in enumerate((196.0, 220.0, 247.0, 262.0))
    ]
    _, job = _analysed_session(api_url, "shared", tracks)
    job_id = job["job_id"]
    advice = [s for t in job["result"]["session_analysis"]["tracks"] for s in t["suggestions"]]
    vetted = [s for s in advice if "verified" in s["evidence"]]
    assert len(vetted) >= 4, advice  # enough moves to share (service.vet_share.MIN_SHARED_MOVES)
    client = redis.Redis.from_url(stack_settings.require_redis_url(), decode_responses=True)

    def helpers() -> dict[str, Any]:
        metas = [json.loads(v) for v in client.mget(client.keys("celery-task-meta-*")) if v]
        results = [m.get("result") for m in metas]
        mine = [r for r in results if isinstance(r, dict) and r.get("job_id") == job_id and "measured" in r]
        return {"seen": sum(r["measured"] + r["cached"] + r["busy"] for r in mine), "results": mine}

    try:  # every helper has reported: each went through its share of the moves
        done = poll(helpers, lambda h: h["seen"] == len(vetted))
    finally:
        client.close()
    assert sum(r["measured"] for r in done["results"]) >= 1, done  # the other worker measured some


def test_unknown_and_foreign_suggestions_and_bad_session_bodies_are_refused(api_url: str) -> None:
    r = requests.post(
        f"{api_url}/api/v1/suggestions/sug_0000000000000000/preview", headers=auth(), timeout=10
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = requests.post(f"{api_url}/api/v1/sessions/nope/preview", json={"suggestion_ids": []}, headers=auth(),
                      timeout=10)  # fmt: skip
    assert r.status_code == 422 and "suggestion_ids" in r.json()["error"]["message"]
    r = requests.post(f"{api_url}/api/v1/sessions/nope/preview", json={"suggestion_ids": ["sug_x"]},
                      headers=auth(), timeout=10)  # fmt: skip
    assert r.status_code == 404
