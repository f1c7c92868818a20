"""A deterministic synthetic mix for benchmarks: drums, bass, chords and noise, stereo, written in blocks."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf


def _render(start: int, n: int, sr: int, bpm: float, rng: np.random.Generator) -> np.ndarray:
    t = (start + np.arange(n)) / sr
    beat = 60.0 / bpm
    phase = (t % beat) / beat
    bar_pos = (t % (4 * beat)) / beat
    kick_env = np.exp(-phase * beat / 0.06) * (np.floor(bar_pos) % 2 == 0)
    kick = 0.6 * kick_env * np.sin(2 * np.pi * (50 + 80 * np.exp(-phase * beat / 0.02)) * t)
    snare_env = np.exp(-phase * beat / 0.08) * (np.floor(bar_pos) % 2 == 1)
    snare = 0.25 * snare_env * rng.standard_normal(n)
    eighth = ((t % (beat / 2)) / (beat / 2)) * beat / 2
    hats = 0.05 * np.exp(-eighth / 0.015) * np.diff(rng.standard_normal(n + 1))
    chords = np.array(
        [[261.63, 329.63, 392.0], [220.0, 261.63, 329.63], [174.61, 220.0, 261.63], [196.0, 246.94, 293.66]]
    )
    which = (np.floor(t / (4 * beat)) % 4).astype(int)
    pad = sum(0.06 * np.sin(2 * np.pi * chords[which, k] * t) for k in range(3))
    bass = 0.25 * np.sin(2 * np.pi * chords[which, 0] / 4 * t)
    noise = 0.003 * rng.standard_normal(n)
    left = kick + snare + 0.7 * hats + 1.2 * pad + bass + noise
    right = kick + snare + 1.3 * hats + 0.8 * pad + bass + noise
    return np.stack([left, right]).astype(np.float32) * 0.8


def write_mix(path: Path, *, seconds: float, sr: int = 44100, bpm: float = 123.0, seed: int = 0) -> Path:
    """Write (once) a stereo 24-bit WAV of ``seconds`` of synthetic music; return the path."""
    path = Path(path)
    if path.exists() and sf.info(str(path)).duration == seconds:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    total = int(seconds * sr)
    block = sr * 10
    with sf.SoundFile(str(path), "w", samplerate=sr, channels=2, subtype="PCM_24", format="WAV") as f:
        for start in range(0, total, block):
            f.write(_render(start, min(block, total - start), sr, bpm, rng).T)
    return path


def session_stems() -> tuple[list[Path], float, Path]:
    """The stems of the service benchmarks (bench_service, bench_vet_edit): BENCH_STEMS (16) stereo
    mixes of BENCH_STEM_S (180) seconds in BENCH_DIR (bench/out), written once and shared by both.
    Returns (paths, seconds, directory)."""
    n = int(os.environ.get("BENCH_STEMS", "16"))
    seconds = float(os.environ.get("BENCH_STEM_S", "180"))
    out = Path(os.environ.get("BENCH_DIR", Path(__file__).resolve().parent / "out"))
    paths = [
        write_mix(out / f"stem_{i:02d}_{int(seconds)}s.wav", seconds=seconds, bpm=90 + 5 * i, seed=100 + i)
        for i in range(n)
    ]
    return paths, seconds, out
