"""The preview job's cost on a 3-minute stereo 44.1 kHz stem: ``python -m bench preview``.

The service path a worker runs (service.preview_job.run_preview_job) on the in-memory ports: decode
from the blob store, render, re-analyse, verdict, excerpts, WAV blobs; the track's analysis cached
as a preview finds it. Printed per renderable suggestion of a vocal with rumble: the first preview
and the same preview asked again (cached by content). Then the vetting a session job adds
(core.verify.vet_session after core.session.analyze_session) on the first session of
../shared/sessions-dev, when present. Timings, not asserts: the machine is shared.
"""

from __future__ import annotations

import io
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from bench.advice_sessions import dev_sessions
from config import Settings
from core.analysis import analyze
from core.errors import CodetteError
from core.render import is_renderable
from core.session import analyze_session
from core.verify import vet_session
from service.model import Upload
from service.preview import submit_preview
from service.preview_job import run_preview_job
from service.submit import submit_batch
from service.track_job import run_track_job
from tests.fakes import memory_ports

SR = 44_100
SECONDS = 180


def stem() -> bytes:
    """A voiced tone swelling every 4 s, with 15 Hz rumble and a little noise, stereo, 24-bit."""
    rng = np.random.default_rng(3)
    t = np.arange(SECONDS * SR) / SR
    voice = sum(0.12 / k * np.sin(2 * np.pi * 220.0 * k * t + k) for k in range(1, 10))
    env = 0.6 + 0.4 * np.sin(2 * np.pi * 0.25 * t)
    y = voice * env + 0.3 * np.sin(2 * np.pi * 15 * t) + 0.01 * rng.standard_normal(t.size)
    buf = io.BytesIO()
    sf.write(buf, np.stack([y, y], axis=1).astype(np.float32), SR, format="WAV", subtype="PCM_24")
    return buf.getvalue()


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    ports = memory_ports(Settings(data_dir=tmp / "d"), blob_root=tmp / "b")
    sha = ports.blobs.put_bytes(stem())
    ports.jobs.add_blob("u", sha)
    _, (job,) = submit_batch(
        ports, owner="u", uploads=[Upload(name="v.wav", sha256=sha, track_type="vocals")]
    )
    t0 = time.perf_counter()
    run_track_job(ports, job_id=job.job_id, sha256=sha, hostname="bench")
    print(f"load average {os.getloadavg()[0]:.1f}; analysis of the stem {time.perf_counter() - t0:.2f} s")
    for s in ports.jobs.track_suggestions(job.job_id):
        try:
            preview = submit_preview(ports, owner="u", suggestion_id=s["id"])
        except CodetteError as exc:
            print(f"{s['type']:12s} refused: {exc.code}")
            continue
        t0 = time.perf_counter()
        run_preview_job(ports, job_id=preview.job_id, hostname="bench")
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = submit_preview(ports, owner="u", suggestion_id=s["id"])
        cached = time.perf_counter() - t0
        done = ports.jobs.job(preview.job_id)
        result = ports.jobs.load_json(done.result_key) if done else None
        resolved = result["resolved"] if result else None
        print(
            f"{s['type']:12s} first preview {first:.2f} s; again {1000 * cached:.1f} ms "
            f"(cached={again.cached}); resolved={resolved}"
        )
    vet_cost()


def vet_cost() -> None:
    for session in dev_sessions(limit=1):
        tracks = [{"track_id": s.track_id, "name": s.track_id, "type": s.type, "sha256": "0" * 64}
                  for s in session.stems]  # fmt: skip
        doc = {"bpm": session.bpm, "tracks": tracks}
        t0 = time.perf_counter()
        analyses = {s.track_id: analyze((s.y, session.sr), name=s.track_id) for s in session.stems}
        analysed = time.perf_counter() - t0
        base = analyze_session(doc, analyses)
        moves = sum(is_renderable(s) for t in base.tracks for s in t.suggestions)
        t0 = time.perf_counter()
        vet_session(doc, {s.track_id: (s.y, session.sr) for s in session.stems}, analyses, result=base)
        vetted = time.perf_counter() - t0
        seconds = session.stems[0].y.shape[1] / session.sr
        print(
            f"vetting {session.name} ({len(session.stems)} stems of {seconds:.0f} s): {moves} renderable "
            f"moves in {vetted:.1f} s; the stems' analyses took {analysed:.1f} s"
        )
