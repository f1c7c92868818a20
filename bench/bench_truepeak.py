"""True peak on music against the band-limited reconstruction, with libebur128 in the same run (issue 11).

Every file of ../shared/music-dev (read in place, never copied) is measured twice: scaled so its
sample peak is 0 dBFS (float, so inter-sample peaks go over), and driven 6 dB into a hard clip at
full scale (a loud master: clipping puts content up to Nyquist). A synthetic bright mix
(bench/music.py: differentiated white-noise hats, whose energy rises to Nyquist) is added as a
harder case. The reference is the band-limited (Whittaker-Shannon) reconstruction: FFT
interpolation at 16x of overlapping segments (2^16 samples, 2^14 of real context each side),
refined by a parabola through the top three points (< 0.001 dB at 16x), on every segment whose
sample peak is within 6 dB of the file's. Printed per subset: mean error, worst error, and the
share of channels within 0.1 dB, for

- Codette (core.loudness: 4x search, 32x measurement near the top; core/truepeak.py),
- Codette before issue 11 (one 4x pass, 24 taps per phase, Kaiser beta 6; rebuilt here with
  core.truepeak.interpolation_phases and np.convolve),
- libebur128 (pyebur128, its 4x polyphase true peak), when installed (``pip install -e .[bench]``).

Usage: ``python -m bench truepeak`` (env MUSIC_DEV=corpus, BENCH_TP_EVERY=N every N-th file).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

from bench.music import _render
from core.fft import rfft
from core.loudness import measure_loudness
from core.truepeak import interpolation_phases

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "music-dev"
SEGMENT, CONTEXT, OVERSAMPLE = 1 << 16, 1 << 14, 16

Meter = Callable[[np.ndarray, int], np.ndarray]  # (channels, n) float -> per-channel dBTP


def reference_db(x: np.ndarray) -> float:
    """Peak (dB) of the band-limited reconstruction of one channel ``x``."""
    n = len(x)
    sample_peak = float(np.abs(x).max())
    padded = np.concatenate([np.zeros(CONTEXT), x.astype(np.float64), np.zeros(CONTEXT)])
    best = sample_peak
    for start in range(0, n, SEGMENT):
        if np.abs(x[start : start + SEGMENT]).max() < sample_peak / 2:  # 6 dB below: cannot hold it
            continue
        piece = padded[start : start + SEGMENT + 2 * CONTEXT]
        size = len(piece)
        z = np.fft.irfft(rfft(piece), n=size * OVERSAMPLE) * OVERSAMPLE
        keep = np.abs(z[CONTEXT * OVERSAMPLE : (CONTEXT + min(SEGMENT, n - start)) * OVERSAMPLE])
        i = int(np.argmax(keep))
        peak = float(keep[i])
        if 0 < i < len(keep) - 1:
            a, b, c = keep[i - 1], keep[i], keep[i + 1]
            curve = a - 2 * b + c
            if curve < 0:
                peak = float(b - (a - c) ** 2 / (8 * curve))
        best = max(best, peak)
    return float(20 * np.log10(best))


def codette(y: np.ndarray, sr: int) -> np.ndarray:
    r = measure_loudness(y.astype(np.float32), sr)
    assert r.true_peak_per_channel_dbtp is not None
    return np.array([np.nan if v is None else v for v in r.true_peak_per_channel_dbtp])


def codette_before(y: np.ndarray, sr: int) -> np.ndarray:
    """The 4x-only meter Codette had before: 24 taps per phase, beta 6, samples included."""
    taps = interpolation_phases(half_width=12, beta=6.0)
    peaks = []
    for x in y:
        # np.convolve(x, taps[p])[n + 12] = sum_k taps[p, k] x[n + 12 - k] = x(n + (p + 1) / 4)
        points = [np.convolve(x, t)[12 : 12 + len(x) - 1] for t in taps]
        peaks.append(max(float(np.abs(x).max()), *(float(np.abs(q).max()) for q in points)))
    return 20 * np.log10(np.array(peaks))


def libebur128() -> Meter | None:
    try:
        import pyebur128
    except ImportError:
        return None

    def meter(y: np.ndarray, sr: int) -> np.ndarray:
        state = pyebur128.R128State(y.shape[0], sr, pyebur128.MeasurementMode.MODE_TRUE_PEAK)
        state.add_frames(np.ascontiguousarray(y.T, dtype=np.float64).ravel(), y.shape[1])
        return np.array([20 * np.log10(pyebur128.get_true_peak(state, c)) for c in range(y.shape[0])])

    return meter


def cases(corpus: Path, every: int) -> list[tuple[str, str, np.ndarray, int]]:
    """(subset, name, (channels, n) float64, sr) for every file and variant."""
    out: list[tuple[str, str, np.ndarray, int]] = []
    if (corpus / "manifest.json").exists():
        for entry in json.loads((corpus / "manifest.json").read_text())[::every]:
            y, sr = sf.read(str(corpus / entry["file"]), dtype="float64", always_2d=True)
            y = y.T / np.abs(y).max()
            out.append(("music, sample peak 0 dBFS", entry["file"], y, sr))
            out.append(("music, clipped 6 dB", entry["file"], np.clip(2.0 * y, -1.0, 1.0), sr))
    else:
        print(f"corpus {corpus} absent: music subsets skipped")
    sr = 44_100
    mix = _render(0, 30 * sr, sr, 123.0, np.random.default_rng(0)).astype(np.float64)
    out.append(("synthetic bright mix (hats to Nyquist)", "bench/music.py 30 s", mix / np.abs(mix).max(), sr))
    return out


def main() -> None:
    corpus = Path(os.environ.get("MUSIC_DEV", DEFAULT_CORPUS))
    every = int(os.environ.get("BENCH_TP_EVERY", "1"))
    meters: dict[str, Meter] = {"codette": codette, "before": codette_before}
    ebu = libebur128()
    if ebu is not None:
        meters["libebur128"] = ebu
    else:
        print("libebur128: pyebur128 not installed - skipped")
    errors: dict[tuple[str, str], list[float]] = {}
    for subset, _name, y, sr in cases(corpus, every):
        truth = np.array([reference_db(ch) for ch in y])
        for system, meter in meters.items():
            errors.setdefault((subset, system), []).extend((meter(y, sr) - truth).tolist())
    print(
        "true peak - band-limited reconstruction, dB, per channel: mean, worst low, worst high, within 0.1 dB"
    )
    for subset in dict.fromkeys(s for s, _ in errors):
        for system in meters:
            e = np.array(errors[(subset, system)])
            print(
                f"  {subset:<40} {system:<10} n={len(e):3d}  mean {e.mean():+.3f}  low {e.min():+.3f}  "
                f"high {e.max():+.3f}  within 0.1 dB {np.mean(np.abs(e) <= 0.1):.0%}"
            )


if __name__ == "__main__":
    main()
