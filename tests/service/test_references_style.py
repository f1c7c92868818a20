"""Session references and the production style on in-memory ports, with the real analysis.

A session with a bright reference gets a move toward more high end, with its parameters; a user with
three EDM sessions at 128 BPM has that style, and their next session without a declared genre is
judged against the EDM target; the style travels with the learning export and import.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import butter, sosfilt

from core.errors import BlobNotFound, InvalidParameter
from service.feedback import export_data, import_data
from service.ports import Ports
from service.session_job import run_session_job
from service.sessions import put_session
from service.snapshots import job_snapshot
from service.style import style_profile, style_report
from service.submit import submit_session
from service.track_job import run_track_job
from tests.conftest import RUN_SALT, wav_bytes

SR = 44_100


def pink(*, seconds: float, seed: int, lowpass_hz: float | None = None) -> bytes:
    """Stereo pink noise (equal energy per octave: a broadband mix), optionally darkened."""
    rng = np.random.default_rng([seed, RUN_SALT])
    n = int(seconds * SR)
    f = np.fft.rfftfreq(n, 1 / SR)
    shape = np.where(f > 20.0, 1.0 / np.sqrt(np.maximum(f, 1.0)), 0.0)
    y = np.stack([np.fft.irfft(np.fft.rfft(rng.standard_normal(n)) * shape, n) for _ in range(2)], axis=1)
    if lowpass_hz is not None:
        y = sosfilt(butter(2, lowpass_hz, fs=SR, output="sos"), y, axis=0)
    y = 0.2 * y / np.sqrt(np.mean(y**2))
    buf = io.BytesIO()
    sf.write(buf, y.astype(np.float32), SR, format="WAV", subtype="FLOAT")
    return buf.getvalue()


def owned(ports: Ports, data: bytes, owner: str = "alice") -> str:
    sha = ports.blobs.put_bytes(data)
    ports.jobs.add_blob(owner, sha)
    return sha


def analyse(ports: Ports, session_id: str, doc: dict[str, Any], owner: str = "alice") -> dict[str, Any]:
    """PUT, POST .../analyze, play the worker; the session job's result."""
    put_session(ports, owner=owner, session_id=session_id, doc=doc)
    job = submit_session(ports, owner=owner, session_id=session_id)
    for name, args in ports.queue.calls:  # type: ignore[attr-defined]
        if name == "analyze_session" and args[0] == job.job_id:
            for job_id, sha in args[1]:
                run_track_job(ports, job_id=job_id, sha256=sha, hostname="t")
    run_session_job(ports, job_id=job.job_id)
    snapshot = job_snapshot(ports, ports.jobs.job(job.job_id))  # type: ignore[arg-type]
    assert snapshot["status"] == "done", snapshot
    return dict(snapshot["result"]["session_analysis"])


def test_a_bright_reference_asks_for_more_high_end_with_parameters(ports: Ports) -> None:
    dark = owned(ports, pink(seconds=3.0, seed=1, lowpass_hz=2500.0))
    bright = owned(ports, pink(seconds=3.0, seed=2))
    tracks = [{"track_id": "syn", "name": "Synth", "type": "synth", "sha256": dark}]
    analysis = analyse(ports, "ref", {"tracks": tracks, "references": [bright]})

    assert analysis["reference"]["sha256"] == [bright]
    brilliance = {d["band"]: d for d in analysis["mix"]["tonal_balance"]}["brilliance"]
    assert brilliance["deviation_db"] < -3.0 and brilliance["outside"]
    moves = [s for t in analysis["tracks"] for s in t["suggestions"] if "reference" in s["evidence"]]
    highs = [s for s in moves if s["target"]["band"] in ("presence", "brilliance")]
    assert highs and all(s["type"] == "eq_boost" and s["target"]["track_id"] == "syn" for s in highs)
    assert all(s["parameters"]["gain_db"] > 0 and s["parameters"]["freq_hz"] >= 4000 for s in highs)
    assert any("reference" in i["message"] for i in analysis["issues"] if i["code"] == "tonal_balance")

    without = analyse(ports, "plain", {"tracks": tracks})  # the genre target instead
    assert without["reference"] is None
    assert not [s for t in without["tracks"] for s in t["suggestions"] if "reference" in s["evidence"]]


def test_a_reference_must_be_your_own_blob(ports: Ports) -> None:
    mine, theirs = owned(ports, wav_bytes(seed=3)), owned(ports, wav_bytes(seed=4), owner="bob")
    tracks = [{"track_id": "a", "type": "keys", "sha256": mine}]
    with pytest.raises(BlobNotFound, match=r"\$\.references\[1\]"):
        put_session(
            ports, owner="alice", session_id="s", doc={"tracks": tracks, "references": [mine, theirs]}
        )


def test_three_edm_sessions_at_128_make_the_style_and_the_genre_default(ports: Ports) -> None:
    sha = owned(ports, wav_bytes(seconds=1.0, seed=5))
    tracks = [
        {"track_id": "kick", "type": "kick", "sha256": sha, "inserts": ["EQ", "Compressor"]},
        {"track_id": "bass", "type": "bass", "sha256": sha, "volume_db": -6.0},
    ]
    assert style_report(ports, owner="alice")["usual_genre"] is None
    for k in range(3):
        analyse(ports, f"edm{k}", {"bpm": 128, "genre": "edm", "tracks": tracks})
    profile = style_profile(ports, owner="alice")
    assert profile.sessions == 3 and profile.tempo_median_bpm == 128
    assert profile.genres[0].genre == "Electronic/EDM" and profile.genres[0].sessions == 3
    assert {c.track_type: c.chain for c in profile.chains}["kick"] == ("eq", "compressor")
    assert style_report(ports, owner="alice")["usual_genre"] == "Electronic/EDM"
    assert style_report(ports, owner="bob")["sessions"] == 0  # per user

    assert style_report(ports, owner="alice")["usual_bpm"] == 128

    new = analyse(ports, "new", {"tracks": [{"track_id": "x", "type": "other", "sha256": sha}]})
    assert (new["genre_used"], new["genre_source"]) == ("Electronic/EDM", "style")
    stored = ports.learning.style_sessions("alice")["new"]
    assert stored["genre"] == new["genre"]["genre"]  # detection's guess, not the style fed back


def test_the_style_travels_with_the_learning_export_and_is_replaced_with_it(ports: Ports) -> None:
    sha = owned(ports, wav_bytes(seconds=1.0, seed=6))
    analyse(
        ports,
        "one",
        {"bpm": 90, "genre": "hip-hop", "tracks": [{"track_id": "k", "type": "kick", "sha256": sha}]},
    )
    exported = export_data(ports, owner="alice")
    assert [s["session_id"] for s in exported["style"]["sessions"]] == ["one"]
    assert import_data(ports, owner="alice", data=exported) == exported  # export -> import -> export

    cleared = {k: v for k, v in exported.items() if k != "style"}
    assert import_data(ports, owner="alice", data=cleared)["style"] == {"sessions": []}
    assert style_profile(ports, owner="alice").sessions == 0
    import_data(ports, owner="alice", data=exported)
    assert style_profile(ports, owner="alice").tempo_median_bpm == 90

    bad = {**exported, "style": {"sessions": [{**exported["style"]["sessions"][0], "genre": "polka"}]}}
    with pytest.raises(InvalidParameter, match=r"style\.sessions\[0\]\.genre"):
        import_data(ports, owner="alice", data=bad)
