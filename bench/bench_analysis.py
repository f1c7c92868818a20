"""Analysis engine vs its peers, in one run, alternating (issue 2's targets).

(a) whole processes, as a command-line user runs them: ``python -m core analyze --json`` vs the
    librosa-only pipeline (target: >= 5x faster);
(b) warm, inside one long-lived process as a worker runs it: vs the librosa pipeline warm
    (>= 4x), Essentia's MusicExtractor (>= 10x; skipped unless ``pip install essentia``), and a
    floor that only reads the file and computes one STFT and the RMS (within 3x);
(c) peak memory (max RSS of a fresh process) on a 10-minute stereo file (<= 300 MB).

Usage: ``python -m bench analysis`` (env BENCH_RUNS=3 repetitions, BENCH_DIR=bench/out,
BENCH_PARTS=a,b,c to run only some parts).
"""

from __future__ import annotations

import os
import resource
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


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_process(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB, the process's own VmHWM) and CPU seconds of one fresh process.

    CPU seconds (user + system, all threads) barely move with the machine's load, where wall time
    also counts the time spent waiting for a core: on a shared machine they are the steadier ratio.
    """
    start, cpu = time.perf_counter(), _children_cpu_s()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed, cpu = time.perf_counter() - start, _children_cpu_s() - cpu
    err = proc.stderr.decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-2000:]}")
    peak_kb = int(err.rsplit(MARK, 1)[1].split()[0])
    return elapsed, peak_kb / 1024.0, cpu


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds (this process, all threads) of one call."""
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - start, time.process_time() - cpu


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
    parts = set(os.environ.get("BENCH_PARTS", "a,b,c").split(","))
    print(f"files: {track} (180 s), {long_track} (600 s); runs={runs}; parts={','.join(sorted(parts))}")
    if "a" in parts:
        _processes(track, runs)
    if "b" in parts:
        _warm(track, runs)
    if "c" in parts:
        _memory(long_track)


def _processes(track: Path, runs: int) -> None:
    """(a) whole processes, alternating; the ratio of each pair too, since load drifts between pairs."""
    wall: dict[str, list[float]] = {"codette": [], "librosa": []}
    cpu: dict[str, list[float]] = {"codette": [], "librosa": []}
    for _ in range(runs):
        for name, cmd in (("codette", _ours_cmd(track)), ("librosa", _peer_cmd("librosa", track))):
            elapsed, _, seconds = run_process(cmd)
            wall[name].append(elapsed)
            cpu[name].append(seconds)
    for label, values in (("wall", wall), ("CPU ", cpu)):
        ours, lib = statistics.median(values["codette"]), statistics.median(values["librosa"])
        pairs = [b / a for a, b in zip(values["codette"], values["librosa"], strict=True)]
        print(
            f"(a) process {label} codette {ours:.2f} s  librosa {lib:.2f} s  "
            f"ratio librosa/codette {lib / ours:.1f}x (pairs {min(pairs):.1f}-{max(pairs):.1f}x)"
            f"  (target >= 5x)"
        )


def _warm(track: Path, runs: int) -> None:
    """(b) warm, in this process, alternating."""
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
    warm_cpu: dict[str, list[float]] = {k: [] for k in contenders}
    for _ in range(runs):
        for name, fn in contenders.items():
            elapsed, seconds = timed(fn)
            warm[name].append(elapsed)
            warm_cpu[name].append(seconds)
    med = {k: statistics.median(v) for k, v in warm.items()}
    cpu = {k: statistics.median(v) for k, v in warm_cpu.items()}
    print(
        f"(b) warm     codette {med['codette']:.3f} s  librosa {med['librosa']:.3f} s  "
        f"floor {med['floor']:.3f} s"
    )
    print(
        f"    librosa/codette {med['librosa'] / med['codette']:.1f}x (target >= 4x)   "
        f"codette/floor {med['codette'] / med['floor']:.2f}x (target <= 3x)"
    )
    print(
        f"    CPU s: codette {cpu['codette']:.3f}  librosa {cpu['librosa']:.3f}  floor {cpu['floor']:.3f}"
        f"  librosa/codette {cpu['librosa'] / cpu['codette']:.1f}x  codette/floor "
        f"{cpu['codette'] / cpu['floor']:.2f}x"
        + (f"  essentia/codette {cpu['essentia'] / cpu['codette']:.1f}x" if "essentia" in cpu else "")
    )
    if "essentia" in med:
        print(
            f"    essentia {med['essentia']:.2f} s  essentia/codette {med['essentia'] / med['codette']:.1f}x"
            f" (target >= 10x)"
        )
    else:
        print("    essentia: not installed (pip install essentia) - skipped")


def _memory(long_track: Path) -> None:
    """(c) peak memory of fresh processes on the 10-minute file."""
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
