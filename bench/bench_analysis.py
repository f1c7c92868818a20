"""Analysis engine vs its peers, in one run, alternating (issue 2's targets).

(a) whole processes, as a command-line user runs them: ``python -m core analyze --json`` vs the
    librosa-only pipeline (target: >= 5x faster);
(b) warm, inside one long-lived process as a worker runs it: vs the librosa pipeline warm
    (>= 4x), Essentia's MusicExtractor (>= 10x; skipped unless ``pip install essentia``), and a
    floor that only reads the file and computes one STFT and the RMS (within 3x);
(c) peak memory (max RSS of a fresh process) on a 10-minute stereo file (<= 300 MB).

Usage: ``python -m bench analysis`` (env BENCH_RUNS=3 repetitions, BENCH_DIR=bench/out).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.memprobe import MARK
from bench.music import write_mix
from bench.peers import PEERS

ROOT = Path(__file__).resolve().parent.parent


def _ours_cmd(path: Path) -> list[str]:
    return [sys.executable, "-m", "bench.memprobe", "core", "analyze", "--json", str(path)]


def _peer_cmd(name: str, path: Path) -> list[str]:
    return [sys.executable, "-m", "bench.memprobe", "bench.peers", name, str(path)]


def run_process(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB, the process's own VmHWM) of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    err = proc.stderr.decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-2000:]}")
    peak_kb = int(err.rsplit(MARK, 1)[1].split()[0])
    return elapsed, peak_kb / 1024.0


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def has_essentia() -> bool:
    try:
        import essentia  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> None:
    runs = int(os.environ.get("BENCH_RUNS", "3"))
    out = Path(os.environ.get("BENCH_DIR", ROOT / "bench" / "out"))
    track = write_mix(out / "mix_180s.wav", seconds=180.0)
    long_track = write_mix(out / "mix_600s.wav", seconds=600.0, seed=1)
    print(f"files: {track} (180 s), {long_track} (600 s); runs={runs}")

    # (a) whole processes, alternating.
    proc: dict[str, list[float]] = {"codette": [], "librosa": []}
    for _ in range(runs):
        proc["codette"].append(run_process(_ours_cmd(track))[0])
        proc["librosa"].append(run_process(_peer_cmd("librosa", track))[0])
    a_ours, a_lib = statistics.median(proc["codette"]), statistics.median(proc["librosa"])
    print(
        f"(a) process  codette {a_ours:.2f} s  librosa {a_lib:.2f} s  "
        f"ratio librosa/codette {a_lib / a_ours:.1f}x"
        f"  (target >= 5x)"
    )

    # (b) warm, in this process, alternating.
    from core.analysis import analyze

    contenders: dict[str, Callable[[], object]] = {
        "codette": lambda: analyze(str(track)),
        "librosa": lambda: PEERS["librosa"](str(track)),
        "floor": lambda: PEERS["floor"](str(track)),
    }
    if has_essentia():
        contenders["essentia"] = lambda: PEERS["essentia"](str(track))
    for fn in contenders.values():
        fn()  # warm-up: imports, numba compilation, filter caches
    warm: dict[str, list[float]] = {k: [] for k in contenders}
    for _ in range(runs):
        for name, fn in contenders.items():
            warm[name].append(timed(fn))
    med = {k: statistics.median(v) for k, v in warm.items()}
    print(
        f"(b) warm     codette {med['codette']:.3f} s  librosa {med['librosa']:.3f} s  "
        f"floor {med['floor']:.3f} s"
    )
    print(
        f"    librosa/codette {med['librosa'] / med['codette']:.1f}x (target >= 4x)   "
        f"codette/floor {med['codette'] / med['floor']:.2f}x (target <= 3x)"
    )
    if "essentia" in med:
        print(
            f"    essentia {med['essentia']:.2f} s  essentia/codette {med['essentia'] / med['codette']:.1f}x"
            f" (target >= 10x)"
        )
    else:
        print("    essentia: not installed (pip install essentia) - skipped")

    # (c) peak memory of fresh processes on the 10-minute file.
    mem = {
        "codette": run_process(_ours_cmd(long_track))[1],
        "librosa": run_process(_peer_cmd("librosa", long_track))[1],
        "floor": run_process(_peer_cmd("floor", long_track))[1],
    }
    print(
        f"(c) peak RSS, 600 s stereo: codette {mem['codette']:.0f} MB  librosa {mem['librosa']:.0f} MB  "
        f"floor {mem['floor']:.0f} MB  (target codette <= 300 MB)"
    )


if __name__ == "__main__":
    main()
