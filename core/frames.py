"""The shared spectral pass: one STFT of the mono downmix, computed in chunks, reduced per frame.

The full spectrogram is never kept (a 10-minute file would need ~200 MB); each chunk of frames is
reduced at once to the per-frame features every measure needs (band powers, chroma, onset
strength, centroid, roll-off, flatness) and to a long-term average spectrum. A second, finer
Welch average (~3 Hz bins) serves hum, rumble, band energies and the 1/3-octave spectrum.

Frames follow librosa's ``center=True`` convention: frame ``k`` is centred on sample ``k * hop_length``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from core.fft import rfft
from core.filters import band_matrix, chroma_filterbank, hann, mel_filterbank

#: Per-frame feature settings (librosa defaults, scaled with the sample rate).
N_MELS = 128
ROLLOFF_PERCENT = 0.85
TOP_DB = 80.0
AMIN = 1e-10
FINE_RESOLUTION_HZ = 3.0
CHUNK_FRAMES = 1024
#: Chroma ignores bins below this: at ~21.5 Hz per bin (2048 points at 44.1 kHz) a bin under 160 Hz
#: spans more than two semitones and cannot name a pitch class, while kick drums and their pitch
#: sweeps put most of a mix's energy there. On synthetic mixes (tests/core/test_tonal.py) this took
#: the key under a drum kit from 18 to 24 of 24 cadences, and from 7 to 23 with a louder kit.
CHROMA_MIN_HZ = 160.0
#: Per-frame tonalness (FrameFeatures.tonalness): spectral flatness counts fully this many decades
#: under white noise, chroma peakiness (1 - normalised entropy) at this value, and a frame's chroma
#: fully when at least this share of its power lies above 250 Hz.
FLATNESS_DECADES_FULL = 3.0
CHROMA_PEAK_FULL = 0.08
CHROMA_COVERAGE_FULL = 0.25


def frame_size(sr: int) -> tuple[int, int]:
    """(n_fft, hop_length) for ``sr``: 2048/512 at 44.1-48 kHz, scaled by powers of two."""
    n_fft = 2048
    while sr / n_fft > 24.0 * 1.01:
        n_fft *= 2
    while sr / n_fft < 12.0 * 0.99 and n_fft > 256:
        n_fft //= 2
    return n_fft, n_fft // 4


def fine_size(sr: int) -> int:
    """Welch segment length giving bins of at most FINE_RESOLUTION_HZ."""
    return int(2 ** np.ceil(np.log2(sr / FINE_RESOLUTION_HZ)))


@dataclass(frozen=True)
class FrameFeatures:
    """Per-frame reductions of the mono STFT and two long-term spectra.

    Attributes
    ----------
    sr, n_fft, hop_length : int
    n_samples : int
        Length of the mono signal.
    band_power : ndarray, shape (7, n_frames)
        Summed power |X|^2 per band of core.bands.BANDS.
    total_power : ndarray, shape (n_frames,)
        Summed power over all bins.
    chroma : ndarray, shape (12, n_frames)
        Unnormalised chroma energy (librosa.filters.chroma applied to |X|^2), C first, from bins at
        or above CHROMA_MIN_HZ only.
    onset_env : ndarray, shape (n_frames,)
        Spectral flux of the log-mel spectrogram (librosa.onset.onset_strength's method).
    centroid_hz, rolloff_hz, flatness : ndarray, shape (n_frames,)
    ltas_power : ndarray, shape (n_fft // 2 + 1,)
        Mean |X|^2 over frames.
    fine_freqs_hz, fine_psd : ndarray
        Welch power spectral density (Hann, 50 % overlap), power per Hz of the mono signal.
    """

    sr: int
    n_fft: int
    hop_length: int
    n_samples: int
    band_power: np.ndarray
    total_power: np.ndarray
    chroma: np.ndarray
    onset_env: np.ndarray
    centroid_hz: np.ndarray
    rolloff_hz: np.ndarray
    flatness: np.ndarray
    ltas_power: np.ndarray
    fine_freqs_hz: np.ndarray
    fine_psd: np.ndarray

    @property
    def n_frames(self) -> int:
        return int(self.total_power.shape[0])

    @property
    def freqs_hz(self) -> np.ndarray:
        return np.fft.rfftfreq(self.n_fft, 1.0 / self.sr)

    @property
    def times_s(self) -> np.ndarray:
        return np.arange(self.n_frames) * (self.hop_length / self.sr)

    @cached_property
    def tonalness(self) -> np.ndarray:
        """Per-frame sqrt(flatness score · chroma peakiness), shape (n_frames,), 0 (noise) to 1
        (chords); computed once and shared (read-only) by the key, the rhythm and the noise floor."""
        flatness = np.maximum(np.asarray(self.flatness, dtype=np.float64), 1e-12)
        flat_score = np.clip(-np.log10(flatness) / FLATNESS_DECADES_FULL, 0, 1)
        chroma = np.asarray(self.chroma, dtype=np.float64)
        p = chroma / np.maximum(chroma.sum(axis=0, keepdims=True), 1e-20)
        entropy = -(p * np.log(np.maximum(p, 1e-20))).sum(axis=0) / np.log(12)
        peak_score = np.clip((1.0 - entropy) / CHROMA_PEAK_FULL, 0, 1)
        # Chroma only sees bins above CHROMA_MIN_HZ: a frame whose power is nearly all below that
        # (a kick's body, a sub bass) has chroma made of leakage, peaky by accident.
        total = np.maximum(np.asarray(self.total_power, dtype=np.float64), 1e-20)
        low = np.asarray(self.band_power, dtype=np.float64)[:2].sum(axis=0)  # sub + bass, < 250 Hz
        seen = np.clip((1.0 - low / total) / CHROMA_COVERAGE_FULL, 0, 1)
        out = np.asarray(np.sqrt(flat_score * peak_score * seen))
        out.flags.writeable = False
        return out


def rolloff_bins(magnitude: np.ndarray, percent: float, *, group: int = 32) -> np.ndarray:
    """Per row, the first bin where the cumulative sum reaches ``percent`` of the row total.

    Same result as ``(cumsum(m) < percent * total).sum()`` (librosa.feature.spectral_rolloff), but
    the running sum is taken over groups of ``group`` bins first and then only inside the one group
    that crosses the threshold: a full-width cumsum per frame was a tenth of the analysis time.
    """
    n, bins = magnitude.shape
    body = (bins - 1) // group * group
    if body == 0:
        cumulative = np.cumsum(magnitude, axis=1)
        return np.asarray((cumulative < percent * cumulative[:, -1:]).sum(axis=1))
    grouped = magnitude[:, :body].reshape(n, body // group, group)
    group_cum = np.cumsum(grouped.sum(axis=2), axis=1)
    target = percent * (group_cum[:, -1] + magnitude[:, body:].sum(axis=1))
    g = np.minimum((group_cum < target[:, None]).sum(axis=1), body // group - 1)
    rows = np.arange(n)
    before = np.where(g > 0, group_cum[rows, np.maximum(g - 1, 0)], 0.0)
    inner = np.cumsum(grouped[rows, g], axis=1) + before[:, None]
    idx = g * group + (inner < target[:, None]).sum(axis=1)
    # Past the grouped body only the tail bins remain; count them the direct way.
    beyond = idx >= body
    if beyond.any():
        tail = np.cumsum(magnitude[beyond], axis=1)
        idx[beyond] = (tail < target[beyond, None]).sum(axis=1)
    return np.asarray(idx)


def sparse_product(weights: np.ndarray, *, chunk: int = 64) -> Callable[[np.ndarray], np.ndarray]:
    """``x @ weights.T`` for a banded filter bank, multiplying only its non-zero blocks.

    Mel filters are triangles: each FFT bin feeds at most two of them, so splitting the bins into
    chunks and multiplying each chunk by the few filters it touches does ~8x fewer operations.
    """
    n_filters, bins = weights.shape
    blocks = []
    for start in range(0, bins, chunk):
        cols = weights[:, start : start + chunk]
        rows = np.flatnonzero(cols.any(axis=1))
        if rows.size:
            blocks.append(
                (
                    start,
                    start + cols.shape[1],
                    rows[0],
                    rows[-1] + 1,
                    np.ascontiguousarray(cols[rows[0] : rows[-1] + 1].T),
                )
            )

    def apply(x: np.ndarray) -> np.ndarray:
        out = np.zeros((x.shape[0], n_filters), dtype=np.float32)
        for c0, c1, r0, r1, w in blocks:
            out[:, r0:r1] += x[:, c0:c1] @ w
        return out

    return apply


class _Framer:
    """Cut a stream into overlapping frames.

    ``center=True`` pads n_fft // 2 zeros in front (librosa's center=True, pad_mode="constant");
    ``center=False`` starts at the first sample (scipy.signal.welch's segments).
    """

    def __init__(self, n_fft: int, hop: int, *, center: bool = True) -> None:
        self.n_fft, self.hop = n_fft, hop
        self._buf = np.zeros(n_fft // 2 if center else 0, dtype=np.float32)
        self._emitted = 0

    @property
    def pending(self) -> np.ndarray:
        """Samples received but not yet fully framed."""
        return self._buf

    def push(self, x: np.ndarray) -> np.ndarray:
        buf = np.concatenate([self._buf, x.astype(np.float32, copy=False)])
        if len(buf) < self.n_fft:
            self._buf = buf
            return np.zeros((0, self.n_fft), dtype=np.float32)
        n = 1 + (len(buf) - self.n_fft) // self.hop
        frames = np.lib.stride_tricks.sliding_window_view(buf, self.n_fft)[:: self.hop][:n]
        frames = frames.copy()
        self._buf = buf[n * self.hop :]
        self._emitted += n
        return frames

    def flush(self, n_samples: int) -> np.ndarray:
        """The last frames, so that there are exactly 1 + n_samples // hop in all."""
        remaining = max(1 + n_samples // self.hop - self._emitted, 0)
        tail = np.concatenate([self._buf, np.zeros(self.n_fft, dtype=np.float32)])
        frames = np.lib.stride_tricks.sliding_window_view(tail, self.n_fft)[:: self.hop][:remaining]
        self._emitted += len(frames)
        return frames.copy()


class FrameAccumulator:
    """Feed mono blocks, then ``result()``. One per analysis call; never shared between calls."""

    def __init__(self, sr: int) -> None:
        self.sr = sr
        self.n_fft, self.hop = frame_size(sr)
        self._framer = _Framer(self.n_fft, self.hop)
        self._window = hann(self.n_fft)
        freqs = np.fft.rfftfreq(self.n_fft, 1.0 / sr)
        self._freqs = freqs.astype(np.float32)
        self._band_masks = band_matrix(sr=sr, n_fft=self.n_fft)
        self._mel_apply = sparse_product(mel_filterbank(sr=sr, n_fft=self.n_fft, n_mels=N_MELS))
        self._chroma_fb = chroma_filterbank(sr=sr, n_fft=self.n_fft) * (freqs >= CHROMA_MIN_HZ).astype(
            np.float32
        )
        self._prev_logmel: np.ndarray | None = None
        self._logmel_max = -np.inf
        self._parts: dict[str, list[np.ndarray]] = {
            k: [] for k in ("band_power", "total_power", "chroma", "onset", "centroid", "rolloff", "flatness")
        }
        self._ltas = np.zeros(len(freqs), dtype=np.float64)
        self._n_samples = 0
        # Fine Welch spectrum
        self._fine_n = fine_size(sr)
        self._fine_framer = _Framer(self._fine_n, self._fine_n // 2, center=False)
        self._fine_window = hann(self._fine_n)
        self._fine_sum = np.zeros(self._fine_n // 2 + 1, dtype=np.float64)
        self._fine_count = 0

    def update(self, mono: np.ndarray) -> None:
        self._n_samples += mono.shape[0]
        self._consume(self._framer.push(mono))
        self._consume_fine(self._fine_framer.push(mono))

    def _consume(self, frames: np.ndarray) -> None:
        for start in range(0, len(frames), CHUNK_FRAMES):
            self._reduce(frames[start : start + CHUNK_FRAMES])

    def _consume_fine(self, frames: np.ndarray) -> None:
        if len(frames) == 0:
            return
        spec = rfft(frames * self._fine_window, axis=1)
        self._fine_sum += (spec.real**2 + spec.imag**2).sum(axis=0, dtype=np.float64)
        self._fine_count += len(frames)

    def _reduce(self, frames: np.ndarray) -> None:
        if len(frames) == 0:
            return
        frames *= self._window  # frames are the framer's own copy
        spec = rfft(frames, axis=1)  # float32 in, complex64 out
        power = spec.real**2
        power += spec.imag**2  # (n, bins), float32
        self._ltas += power.sum(axis=0, dtype=np.float64)
        total = power.sum(axis=1)
        self._parts["total_power"].append(total)
        self._parts["band_power"].append(power @ self._band_masks.T)
        self._parts["chroma"].append(power @ self._chroma_fb.T)
        # Centroid and roll-off weight the magnitude, flatness the power (librosa.feature's conventions).
        magnitude = np.sqrt(power)
        mag_total = magnitude.sum(axis=1)
        self._parts["centroid"].append((magnitude @ self._freqs) / np.maximum(mag_total, AMIN))
        idx = rolloff_bins(magnitude, ROLLOFF_PERCENT)
        self._parts["rolloff"].append(self._freqs[np.minimum(idx, len(self._freqs) - 1)])
        floored = np.maximum(power, AMIN)
        gmean = np.exp(np.mean(np.log(floored), axis=1))
        self._parts["flatness"].append(gmean / np.mean(floored, axis=1))
        # Spectral flux on log-mel (librosa.onset.onset_strength: lag 1, mean over mel bands).
        logmel = 10.0 * np.log10(np.maximum(self._mel_apply(power), AMIN))
        # librosa floors at the file's maximum - 80 dB; streaming, we use the maximum so far, and
        # floor the previous frame with the same floor so a rising maximum adds no flux.
        self._logmel_max = max(self._logmel_max, float(logmel.max()))
        prev = self._prev_logmel if self._prev_logmel is not None else logmel[:1]
        self._prev_logmel = logmel[-1:].copy()
        both = np.maximum(np.concatenate([prev, logmel]), self._logmel_max - TOP_DB)
        flux = np.maximum(0.0, np.diff(both, axis=0)).mean(axis=1)
        self._parts["onset"].append(flux.astype(np.float32))

    def result(self) -> FrameFeatures:
        self._consume(self._framer.flush(self._n_samples))
        fine_window_energy = float((self._fine_window.astype(np.float64) ** 2).sum())
        if self._fine_count == 0:
            # Shorter than one Welch segment: one periodogram of the signal centred in the segment,
            # normalised by the part of the window it covers (unbiased for stationary signals).
            x = self._fine_framer.pending[: self._fine_n]
            start = (self._fine_n - len(x)) // 2
            segment = np.zeros((1, self._fine_n), dtype=np.float32)
            segment[0, start : start + len(x)] = x
            self._consume_fine(segment)
            covered = self._fine_window[start : start + len(x)].astype(np.float64)
            fine_window_energy = max(float((covered**2).sum()), AMIN)
        parts = {
            k: np.concatenate(v, axis=0) if v else np.zeros(0, np.float32) for k, v in self._parts.items()
        }
        n_frames = len(parts["total_power"])
        # Delay the flux by half a window, as librosa does with center=True: frame k starts
        # seeing an onset n_fft/2 samples before it happens.
        delay = min(self.n_fft // (2 * self.hop), n_frames)
        parts["onset"] = np.concatenate([np.zeros(delay, np.float32), parts["onset"][: n_frames - delay]])
        fine_scale = 1.0 / (self.sr * fine_window_energy * max(self._fine_count, 1))
        fine_psd = self._fine_sum * fine_scale
        fine_psd[1:-1] *= 2.0  # one-sided
        return FrameFeatures(
            sr=self.sr,
            n_fft=self.n_fft,
            hop_length=self.hop,
            n_samples=self._n_samples,
            band_power=parts["band_power"].T.reshape(-1, n_frames) if n_frames else np.zeros((7, 0)),
            total_power=parts["total_power"],
            chroma=parts["chroma"].T.reshape(12, n_frames) if n_frames else np.zeros((12, 0)),
            onset_env=parts["onset"],
            centroid_hz=parts["centroid"],
            rolloff_hz=parts["rolloff"],
            flatness=parts["flatness"],
            ltas_power=(self._ltas / max(n_frames, 1)).astype(np.float64),
            fine_freqs_hz=np.fft.rfftfreq(self._fine_n, 1.0 / self.sr),
            fine_psd=fine_psd,
        )


def mono_downmix(block: np.ndarray, layout: tuple[str, ...]) -> np.ndarray:
    """Mean of the channels of a (channels, n) block, LFE excluded."""
    keep = [i for i, label in enumerate(layout) if label != "LFE"]
    if len(keep) == block.shape[0]:
        return np.asarray(block.mean(axis=0) if block.shape[0] > 1 else block[0])
    return np.asarray(block[keep].mean(axis=0))


def compute_frames(blocks: Iterable[np.ndarray], *, sr: int) -> FrameFeatures:
    """Frame features of a mono signal given as blocks of shape (n,)."""
    acc = FrameAccumulator(sr)
    for block in blocks:
        acc.update(block)
    return acc.result()
