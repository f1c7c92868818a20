"""The session step on 16 tracks, against what surrounds it, in one run (was a timed unit test).

core.session.analyze_session (masking matrix, balance, mix estimate, genre, arrangement,
suggestions) runs on a 16-track session built from tests/core/session_fixtures.py, alternating with
two peers measured in the same process and run:

- **cache read**: rebuilding the same 16 TrackAnalysis objects from their cached JSON, which the
  service's session job does before every step (service/session_job.py);
- **one stem**: core.analysis.analyze of one 10 s stereo stem, warm (a track job's work).

Both ratios are printed with the step's absolute median, for reading only (issue 4 budgeted 50 ms
for the step; the unit test that timed it against 0.1 s is gone: no timed tests).

Usage: ``python -m bench session`` (env BENCH_RUNS=15).
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable

import numpy as np

from core.analysis import analyze
from core.results import TrackAnalysis
from core.session import SessionSpec, analyze_session
from tests.core.session_fixtures import BASS, GUITAR, HATS, KICK, PAD, VOCAL, make_analysis, spectrum, track

SR = 44_100


def sixteen_tracks() -> tuple[SessionSpec, dict[str, TrackAnalysis]]:
    """Six typed stems and ten synths in seeded bands: 16 tracks, as the unit test had them."""
    typed = [
        ("vox", "vocals", "Lead Vox", 0.0, VOCAL, -16),
        ("kick", "kick", "Kick", 0.0, KICK, -20),
        ("bass", "bass", "Bass DI", 0.0, BASS, -20),
        ("gtr", "guitar", "Gtr L", -0.6, GUITAR, -22),
        ("pad", "pad", "Pad", 0.0, PAD, -28),
        ("hats", "drums", "Hats", 0.0, HATS, -26),
    ]
    entries = [
        (
            track(tid, kind, name=name, pan=pan),
            make_analysis(tid, third_octave_db=bands, integrated_lufs=lufs),
        )
        for tid, kind, name, pan, bands, lufs in typed
    ]
    rng = np.random.default_rng(7)
    for k in range(10):
        lo = float(rng.choice([63, 160, 400, 1000, 2500]))
        spans = [(float(rng.uniform(0, 20)), float(rng.uniform(30, 60)))]
        analysis = make_analysis(
            f"x{k}", third_octave_db=spectrum((lo, lo * 4, -25.0)), integrated_lufs=-24, spans=spans
        )
        entries.append((track(f"x{k}", "synth", pan=float(rng.uniform(-1, 1))), analysis))
    doc = {"bpm": 120.0, "genre": None, "platform": None, "tracks": [t for t, _ in entries]}
    return SessionSpec.from_dict(doc), {t["track_id"]: a for t, a in entries}


def _stem(seconds: float = 10.0) -> np.ndarray:
    rng = np.random.default_rng(3)
    t = np.arange(int(seconds * SR)) / SR
    tone = 0.2 * np.sin(2 * np.pi * 110.0 * t) * (1 + 0.5 * np.sin(2 * np.pi * 2.0 * t))
    return np.stack([tone + 0.01 * rng.standard_normal(t.size) for _ in range(2)]).astype(np.float32)


def main() -> None:
    runs = int(os.environ.get("BENCH_RUNS", "15"))
    spec, analyses = sixteen_tracks()
    cached = [json.dumps(a.to_dict()) for a in analyses.values()]
    stem = _stem()
    contenders: dict[str, Callable[[], object]] = {
        "step": lambda: analyze_session(spec, analyses),
        "cache read": lambda: [TrackAnalysis.from_dict(json.loads(s)) for s in cached],
        "one stem": lambda: analyze((stem, SR), name="stem"),
    }
    for fn in contenders.values():
        fn()  # warm-up
    times: dict[str, list[float]] = {k: [] for k in contenders}
    for _ in range(runs):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    med = {k: statistics.median(v) for k, v in times.items()}
    lo_hi = {k: (min(v), max(v)) for k, v in times.items()}
    print(f"16-track session step, runs={runs} (median, min-max):")
    for name in contenders:
        print(
            f"  {name:<10} {1e3 * med[name]:8.1f} ms  ({1e3 * lo_hi[name][0]:.1f}-{1e3 * lo_hi[name][1]:.1f})"
        )
    print(
        f"  step / cache read of its 16 inputs {med['step'] / med['cache read']:.2f}x   "
        f"step / one 10 s stem's analysis {med['step'] / med['one stem']:.2f}x"
    )


if __name__ == "__main__":
    main()
