"""A track submitted with its type comes back with suggestions that feedback can name."""

from __future__ import annotations

import io

import numpy as np
import pytest
import requests
import soundfile as sf

from tests.conftest import RUN_SALT, auth
from tests.integration.test_stack import get, poll

pytestmark = pytest.mark.integration
SR = 44_100


def rumbling_vocal(pitch_hz: float = 220.0) -> bytes:
    """A voiced tone with 15 Hz rumble and sibilance: a vocal that needs a high-pass and a de-esser.
    Unique to the run (RUN_SALT) and, by ``pitch_hz``, within it."""
    rng = np.random.default_rng([11, RUN_SALT])
    t = np.arange(4 * SR) / SR
    voice = sum(0.15 / k * np.sin(2 * np.pi * pitch_hz * k * t) for k in range(1, 8))
    rumble = 0.3 * np.sin(2 * np.pi * 15.0 * t)
    hiss = np.convolve(rng.standard_normal(t.size), np.ones(3) / 3, mode="same")
    sibilance = 0.08 * hiss * (np.sin(2 * np.pi * 2.0 * t) > 0.6)
    y = np.stack([voice + rumble + sibilance] * 2, axis=1)
    buf = io.BytesIO()
    sf.write(buf, y.astype(np.float32), SR, format="WAV", subtype="PCM_24")
    return buf.getvalue()


def test_typed_track_gets_suggestions_and_feedback_on_one_is_accepted(
    api_url: str, workers: list[str]
) -> None:
    r = requests.post(
        f"{api_url}/api/v1/analyses",
        files=[("files", ("lead vocal.wav", rumbling_vocal()))],
        data={"track_types": '["vocals"]'},
        headers=auth(),
        timeout=30,
    )
    assert r.status_code == 202, r.text
    job_id = r.json()["jobs"][0]["job_id"]
    job = poll(lambda: get(api_url, f"/api/v1/jobs/{job_id}"), lambda b: b["status"] in ("done", "failed"))
    assert job["status"] == "done", job
    types = {s["type"] for s in job["suggestions"]}
    assert "high_pass" in types, types
    assert all(s["track_type"] == "vocals" for s in job["suggestions"])
    chosen = job["suggestions"][0]["id"]
    fb = requests.post(
        f"{api_url}/api/v1/feedback",
        json={"suggestion_id": chosen, "kind": "applied"},
        headers=auth(),
        timeout=10,
    )
    assert fb.status_code == 201, fb.text


def test_unknown_track_type_is_refused_naming_it(api_url: str) -> None:
    r = requests.post(
        f"{api_url}/api/v1/analyses",
        files=[("files", ("x.wav", rumbling_vocal()))],
        data={"track_types": '["vocal"]'},
        headers=auth(),
        timeout=30,
    )
    assert r.status_code == 422
    assert "vocal" in r.json()["error"]["message"]
