"""Sessions for ``python -m bench advice``: the dev multitracks (when present) and synthetic ones.

sessions-dev (../shared/sessions-dev, evaluation only, never copied here): 12 sessions of 7 stems
rendered from MIDI, levels set per stem type. The synthetic sessions are built from seeded
generators with the same seven roles and the same per-type loudness targets, so a clean session is
balanced by construction.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import signal

from core.audio import read_all
from core.loudness import measure_loudness

SESSIONS_DEV = Path(os.environ.get("CODETTE_SESSIONS_DEV", "/work/shared/sessions-dev"))
SR = 44100
#: Per-type loudness targets of the clean sessions (LUFS), as sessions-dev sets them.
TARGET_LUFS = {
    "vocals": -16,
    "kick": -17,
    "bass": -17,
    "snare": -19,
    "keys": -21,
    "strings": -22,
    "pad": -23,
    "drums": -25,
}


@dataclass(frozen=True)
class Stem:
    track_id: str
    type: str
    y: np.ndarray  # (channels, n) float32


@dataclass(frozen=True)
class Session:
    name: str
    bpm: float
    sr: int
    stems: tuple[Stem, ...]


def dev_sessions(limit: int | None = None) -> Iterator[Session]:
    """sessions-dev, decoded (none when the directory is absent)."""
    manifest = SESSIONS_DEV / "manifest.json"
    if not manifest.exists():
        return
    entries = json.loads(manifest.read_text())
    for entry in entries[:limit]:
        stems = []
        for t in entry["tracks"]:
            y, sr = read_all(str(SESSIONS_DEV / t["file"]))
            stems.append(Stem(Path(t["file"]).stem, t["type"], y))
        yield Session(entry["session"], float(entry["bpm"]), sr, tuple(stems))


def _hits(n: int, times: np.ndarray, make: np.ndarray) -> np.ndarray:
    out = np.zeros(n)
    for t in times:
        i = int(t * SR)
        seg = make[: n - i]
        out[i : i + seg.size] += seg
    return out


def _tone(
    freqs: np.ndarray, dur_s: float, harmonics: int, tilt: float, rng: np.random.Generator
) -> np.ndarray:
    t = np.arange(int(dur_s * SR)) / SR
    out = np.zeros(t.size)
    for f in freqs:
        for h in range(1, harmonics + 1):
            if f * h < 16000:
                out += (h**-tilt) * np.sin(2 * np.pi * f * h * t + rng.uniform(0, 2 * np.pi))
    return out


def _sung(dur_s: float, rng: np.random.Generator) -> np.ndarray:
    """A sung note's level: 30 ms onset, a slow decay, 50 ms release, each note at its own
    strength (0 to -6 dB). Notes of equal, flat level read as a lead squashed by a compressor
    (core.dynamics loud_spread_db 0.1 dB) and are not a clean session's lead."""
    t = np.arange(int(dur_s * SR)) / SR
    onset = np.minimum(1.0, t / 0.03)
    release = np.minimum(1.0, (dur_s - t) / 0.05)
    return onset * release * np.exp(-t * 0.8) * 10 ** (rng.uniform(-6.0, 0.0) / 20)


def synthetic_session(seed: int, *, duration_s: float = 24.0) -> Session:
    """Seven stems (kick, snare, hats, bass, keys, pad, lead) over a four-chord loop, seeded."""
    rng = np.random.default_rng(seed)
    bpm = float(rng.choice([92, 100, 110, 120, 128]))
    beat = 60.0 / bpm
    n = int(duration_s * SR)
    beats = np.arange(0, duration_s - 0.5, beat)
    root = float(rng.choice([98.0, 110.0, 123.5, 130.8]))
    chords = [root * r for r in (1.0, 4 / 3, 3 / 2, 6 / 5)]
    t = np.arange(SR // 3) / SR
    kick = np.sin(2 * np.pi * (50 + 60 * np.exp(-t * 30)) * t) * np.exp(-t * 12)
    noise = rng.standard_normal(SR // 4)
    snare = signal.sosfilt(signal.butter(2, [180, 6000], "bandpass", fs=SR, output="sos"), noise) * np.exp(
        -np.arange(noise.size) / SR * 20
    )
    hat = signal.sosfilt(signal.butter(4, 7000, "highpass", fs=SR, output="sos"), noise[: SR // 16]) * np.exp(
        -np.arange(SR // 16) / SR * 60
    )
    stems = {
        "kick": _hits(n, beats[::2], kick),
        "snare": _hits(n, beats[1::2], snare),
        "drums": _hits(n, np.arange(0, duration_s - 0.2, beat / 2), hat),
    }
    bar = 4 * beat
    bass, keys, pad, lead = (np.zeros(n) for _ in range(4))
    for k, start in enumerate(np.arange(0, duration_s, bar)):
        i = int(start * SR)
        f = chords[k % 4]
        chord = np.array([f, f * 5 / 4, f * 3 / 2]) * 2
        seg = _tone(np.array([f / 2]), bar, 6, 1.5, rng) * np.exp(-np.arange(int(bar * SR)) / SR * 1.5)
        bass[i : i + seg.size] += seg[: n - i]
        for b in range(4):
            j = i + int(b * beat * SR)
            kseg = _tone(chord, beat, 8, 1.2, rng) * np.exp(-np.arange(int(beat * SR)) / SR * 3)
            keys[j : j + kseg.size] += kseg[: max(n - j, 0)]
            note = chord[rng.integers(0, 3)] * 2
            vib = _tone(np.array([note]), beat * 0.9, 12, 0.8, rng) * _sung(beat * 0.9, rng)
            lead[j : j + vib.size] += vib[: max(n - j, 0)]
        pseg = _tone(chord, bar, 5, 2.0, rng)
        pad[i : i + pseg.size] += pseg[: n - i]
    lead = signal.sosfilt(signal.butter(2, [300, 5000], "bandpass", fs=SR, output="sos"), lead)
    stems.update({"bass": bass, "keys": keys, "pad": pad, "vocals": lead})
    out = []
    for k, (ttype, mono) in enumerate(stems.items()):
        y = np.stack([mono, mono]).astype(np.float32)
        lufs = measure_loudness(y, sr=SR).integrated_lufs or -30.0
        y = (y * 10 ** ((TARGET_LUFS[ttype] - 4.0 - lufs) / 20)).astype(np.float32)
        out.append(Stem(f"{k + 1:02d}_{ttype}", ttype, y))
    return Session(f"synthetic_{seed}", bpm, SR, tuple(out))
