"""POST /api/v1/compare on the real stack: the API in-process, Celery eager, a real Redis.

A track against itself is identical; a copy with a +6 dB bell at 300 Hz (Q 1) differs in low_mid by
what that bell does to the 250-500 Hz band's energy (measured here with an exact FFT of both
signals); the result matches its schema in the served OpenAPI document.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from scipy.signal import lfilter

from api.app import create_app
from api.openapi import build_openapi
from config import Settings
from store.wiring import build_stores
from tests.conftest import RUN_SALT, auth
from tests.fakes import RecordingPublisher
from worker.app import CodetteCelery, create_celery

SR = 44_100


@pytest.fixture
def celery_app(settings: Settings) -> CodetteCelery:
    ports = build_stores(settings, publisher=RecordingPublisher())
    return create_celery(settings, ports=ports, task_always_eager=True, task_eager_propagates=True)


@pytest.fixture
def client(settings: Settings, celery_app: CodetteCelery) -> FlaskClient:
    return create_app(settings, ports=celery_app.ports).test_client()


def pink_mix(*, seconds: float = 4.0, seed: int = 0) -> np.ndarray:
    """Stereo pink noise (-3 dB/octave), the long-term spectrum of a typical mix, at about -12 dBFS RMS."""
    rng = np.random.default_rng([seed, RUN_SALT])
    n = int(seconds * SR)
    f = np.fft.rfftfreq(n, 1 / SR)
    shape = np.where(f > 20.0, 1.0 / np.sqrt(np.maximum(f, 1.0)), 0.0)
    out = []
    for _ in range(2):
        spectrum = np.fft.rfft(rng.standard_normal(n)) * shape
        y = np.fft.irfft(spectrum, n)
        out.append(0.25 * y / np.sqrt(np.mean(y**2)))
    return np.stack(out, axis=1)


def bell(y: np.ndarray, *, freq_hz: float, gain_db: float, q: float) -> np.ndarray:
    """A peaking EQ (R. Bristow-Johnson, "Audio EQ Cookbook"), applied to every channel."""
    a_lin, w0 = 10 ** (gain_db / 40), 2 * math.pi * freq_hz / SR
    alpha = math.sin(w0) / (2 * q)
    b = [1 + alpha * a_lin, -2 * math.cos(w0), 1 - alpha * a_lin]
    a = [1 + alpha / a_lin, -2 * math.cos(w0), 1 - alpha / a_lin]
    return np.asarray(lfilter(b, a, y, axis=0))


def band_energy_db(y: np.ndarray, lo_hz: float, hi_hz: float) -> float:
    spectrum = np.abs(np.fft.rfft(y, axis=0)) ** 2
    f = np.fft.rfftfreq(y.shape[0], 1 / SR)
    return float(10 * np.log10(spectrum[(f >= lo_hz) & (f < hi_hz)].sum()))


def upload(client: FlaskClient, y: np.ndarray, name: str, user: str = "alice") -> str:
    buf = io.BytesIO()
    sf.write(buf, y.astype(np.float32), SR, format="WAV", subtype="FLOAT")
    r = client.post("/api/v1/blobs", data={"file": (io.BytesIO(buf.getvalue()), name)}, headers=auth(user),
                    content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 201, r.json
    return str(r.json["sha256"])


def compare(client: FlaskClient, a: str, b: str) -> dict[str, Any]:
    r = client.post("/api/v1/compare", json={"a": a, "b": b}, headers=auth())
    assert r.status_code == 202, r.json
    assert r.headers["Location"].endswith(r.json["job_id"])
    job = client.get(f"/api/v1/jobs/{r.json['job_id']}", headers=auth()).json
    assert job["status"] == "done" and job["kind"] == "compare", job
    return dict(job)


def test_a_track_against_itself_has_similarity_one_and_no_differences(client: FlaskClient) -> None:
    sha = upload(client, pink_mix(seed=1), "mix.wav")
    result = compare(client, sha, sha)["result"]
    assert result["similarity"] == 1.0
    assert [b["diff_db"] for b in result["bands"]] == [0.0] * 7
    assert {d["name"]: d["diff"] for d in result["loudness"]} == {
        "integrated_lufs": 0.0, "range_lu": 0.0, "true_peak_dbtp": 0.0, "plr_db": 0.0,
    }  # fmt: skip
    assert all(d["diff"] == 0.0 for d in result["dynamics"])


def test_a_bell_at_300_hz_shows_as_its_low_mid_difference(client: FlaskClient) -> None:
    mix = pink_mix(seed=2)
    boosted = bell(mix, freq_hz=300.0, gain_db=6.0, q=1.0)
    expected = band_energy_db(boosted, 250, 500) - band_energy_db(mix, 250, 500)
    assert 4.0 < expected < 5.5  # the bell does about +4.7 dB to the band's energy
    a, b = upload(client, mix, "mix.wav"), upload(client, boosted, "mix+bell.wav")
    job = compare(client, a, b)
    bands = {band["name"]: band for band in job["result"]["bands"]}
    assert bands["low_mid"]["diff_db"] == pytest.approx(expected, abs=1.0)
    assert abs(bands["brilliance"]["diff_db"]) < 0.5  # far from the bell: untouched
    assert 0.0 < job["result"]["similarity"] < 1.0

    doc = json.loads(json.dumps(build_openapi()))
    validator = Draft202012Validator({"$ref": "#/components/schemas/Job", "components": doc["components"]})
    assert [e.message for e in validator.iter_errors(job)] == []
    comparison = {"$ref": "#/components/schemas/Comparison", "components": doc["components"]}
    assert [e.message for e in Draft202012Validator(comparison).iter_errors(job["result"])] == []
    assert "/api/v1/compare" in doc["paths"]


def test_another_users_or_an_unknown_blob_is_a_404_and_a_bad_body_a_422(client: FlaskClient) -> None:
    mine, theirs = (
        upload(client, pink_mix(seed=3, seconds=1.0), "a.wav"),
        upload(client, pink_mix(seed=4, seconds=1.0), "b.wav", user="bob"),
    )
    for a, b in ((mine, theirs), ("f" * 64, mine)):
        r = client.post("/api/v1/compare", json={"a": a, "b": b}, headers=auth())
        assert r.status_code == 404 and r.json["error"]["code"] == "blob_not_found", r.json
    r = client.post("/api/v1/compare", json={"a": mine}, headers=auth())
    assert r.status_code == 422 and "b" in r.json["error"]["message"]
