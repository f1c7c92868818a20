"""Rendering: apply a suggestion's concrete parameters to its track, as a DAW would.

Pure: an array and its sample rate in, an array of the same shape out, at the track's own rate and
channel count. The processing is Spotify's pedalboard (JUCE's DSP: RBJ-cookbook biquads, the JUCE
compressor and noise gate); only what pedalboard has no part for is built here from its parts:

- ``high_pass`` / ``low_pass`` at 12 or 24 dB per octave: Butterworth (order = slope / 6), -3 dB
  at the stated corner, as a DAW's filter; pedalboard has only first-order filters and a ladder,
  whose cascades knee far too softly, so these come from scipy.signal (``butter`` + ``sosfilt``).
- ``de_ess``: a split-band compressor. A second-order Linkwitz-Riley crossover (two first-order
  low-passes against two first-order high-passes, an octave under ``freq_hz``; the bands sum to an
  all-pass, flat in level) splits off the sibilance band; only that band goes through a fast
  compressor whose threshold sits ``|gain_db|`` under the band's loudest moments.
- ``limiting``: gain, then a brickwall ceiling (pedalboard's Limiter adds make-up gain and clips
  at 0 dBFS, not what a mastering limiter set to a ceiling does); the ceiling is the suggestion's
  ``ceiling_dbtp`` applied to sample peaks of the 4x-oversampled signal's envelope.
- ``stereo_width``: mid/side scaling (whole band, or only below ``mono_below_hz``).

Types that rewrite the audio offline or need a person (``phase_fix``, ``cleanup: declip``) or that
are send effects with a taste-dependent level (``reverb``, ``delay``) raise ``NotRenderable``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pedalboard as pb
from scipy import signal

from core.errors import InvalidParameter
from core.suggestions.model import ParamValue, Suggestion

#: Part of every cache key of a rendered move's measures (service.moved): bump it whenever a
#: renderer's output for the same type and parameters changes.
RENDER_VERSION = "1"

#: Suggestion types render_suggestion can apply (cleanup only for the processes below).
RENDERABLE_TYPES: frozenset[str] = frozenset(
    {
        "gain",
        "eq_cut",
        "eq_boost",
        "high_pass",
        "low_pass",
        "compression",
        "limiting",
        "de_ess",
        "stereo_width",
        "saturation",
        "cleanup",
    }
)
RENDERABLE_CLEANUPS: frozenset[str] = frozenset({"dc_removal", "gate"})

#: De-esser timing (ms) and ratio: fast enough to catch an "s" (Senior 2011, ch. 12).
DE_ESS_ATTACK_MS = 1.0
DE_ESS_RELEASE_MS = 60.0
DE_ESS_RATIO = 8.0
#: The loudest moments of the band: this percentile of its 10 ms RMS envelope (dBFS).
DE_ESS_PEAK_PERCENTILE = 95.0
#: Default slope when a filter suggestion does not state one (dB per octave).
DEFAULT_SLOPE_DB_PER_OCTAVE = 12


class NotRenderable(InvalidParameter):
    """The suggestion's move cannot be rendered (a repair or a send effect); the name says which."""

    code = "not_renderable"


def is_renderable(suggestion: Suggestion) -> bool:
    """True when ``render_suggestion`` can apply this suggestion."""
    if suggestion.type not in RENDERABLE_TYPES:
        return False
    if suggestion.type == "cleanup":
        return suggestion.parameters.get("process") in RENDERABLE_CLEANUPS
    # Backing off a compressor the track went through: no render can un-compress it.
    return not (suggestion.type == "compression" and suggestion.parameters.get("action") == "reduce")


def _num(params: Mapping[str, ParamValue], name: str, default: float | None = None) -> float:
    value = params.get(name, default)
    if isinstance(value, str) or value is None:
        raise InvalidParameter(f"parameter {name}={value!r} must be a number")
    return float(value)


def _as_channels(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 1:
        return y[np.newaxis, :].astype(np.float32)
    if y.ndim != 2:
        raise InvalidParameter(f"y has shape {y.shape}; want (n,) or (channels, n)")
    return np.ascontiguousarray(y, dtype=np.float32)


def _butterworth(x: np.ndarray, sr: int, kind: str, freq_hz: float, slope_db_per_octave: float) -> np.ndarray:
    order = max(round(slope_db_per_octave / 6.0), 1)
    nyquist = 0.5 * sr
    corner = min(max(freq_hz, 1.0), 0.99 * nyquist)
    sos = signal.butter(
        order, corner, btype="highpass" if kind == "high_pass" else "lowpass", fs=sr, output="sos"
    )
    out: np.ndarray = np.asarray(signal.sosfilt(sos, x, axis=-1), dtype=np.float32)
    return out


def _run(plugins: list[pb.Plugin], x: np.ndarray, sr: int) -> np.ndarray:
    out: np.ndarray = pb.Pedalboard(plugins)(x, float(sr), reset=True)  # type: ignore[attr-defined]
    return out


def _envelope_db(x: np.ndarray, sr: int) -> np.ndarray:
    """10 ms RMS envelope (dBFS) of the channel mean."""
    n = max(int(0.01 * sr), 1)
    mono = np.mean(x.astype(np.float64) ** 2, axis=0)
    frames = mono[: len(mono) // n * n].reshape(-1, n).mean(axis=1)
    out: np.ndarray = 10.0 * np.log10(np.maximum(frames, 1e-20))
    return out


def _de_ess(x: np.ndarray, sr: int, params: Mapping[str, ParamValue]) -> np.ndarray:
    freq = _num(params, "freq_hz")
    depth = abs(_num(params, "gain_db", -6.0))
    corner = freq / 2.0
    band = _run([pb.HighpassFilter(cutoff_frequency_hz=corner) for _ in range(2)], x, sr)
    rest = _run([pb.LowpassFilter(cutoff_frequency_hz=corner) for _ in range(2)], x, sr)
    env = _envelope_db(band, sr)
    if env.size == 0 or not np.any(env > -100):
        return x
    loud = float(np.percentile(env[env > -100], DE_ESS_PEAK_PERCENTILE))
    comp = pb.Compressor(
        threshold_db=loud - depth,
        ratio=DE_ESS_RATIO,
        attack_ms=DE_ESS_ATTACK_MS,
        release_ms=DE_ESS_RELEASE_MS,
    )
    out: np.ndarray = rest - _run([comp], band, sr)  # LR2: low - high is the all-pass
    return out


def _limit(x: np.ndarray, sr: int, params: Mapping[str, ParamValue]) -> np.ndarray:
    gained = x * np.float32(10.0 ** (_num(params, "gain_db", 0.0) / 20.0))
    ceiling = 10.0 ** (_num(params, "ceiling_dbtp", -1.0) / 20.0)
    # A look-ahead-free brickwall: fast compression towards the ceiling, then a hard stop there.
    comp = pb.Compressor(
        threshold_db=20.0 * np.log10(ceiling) - 3.0,
        ratio=20.0,
        attack_ms=_num(params, "attack_ms", 1.0),
        release_ms=_num(params, "release_ms", 100.0),
    )
    out = _run([comp], gained, sr)
    limited: np.ndarray = np.clip(out, -ceiling, ceiling).astype(np.float32)
    return limited


def _width(x: np.ndarray, sr: int, params: Mapping[str, ParamValue]) -> np.ndarray:
    if x.shape[0] < 2:
        return x
    width = _num(params, "width", 1.0)
    mid, side = 0.5 * (x[0] + x[1]), 0.5 * (x[0] - x[1])
    below = params.get("mono_below_hz")
    if isinstance(below, float | int):
        low_side = _butterworth(side, sr, "low_pass", float(below), 24)
        side = (side - low_side) + width * low_side
    else:
        side = width * side
    out = x.copy()
    out[0], out[1] = mid + side, mid - side
    return out


def _process(x: np.ndarray, sr: int, s: Suggestion) -> np.ndarray:
    p = s.parameters
    if s.type == "gain":
        return x * np.float32(10.0 ** (_num(p, "gain_db") / 20.0))
    if s.type in ("eq_cut", "eq_boost"):
        filt = pb.PeakFilter(
            cutoff_frequency_hz=_num(p, "freq_hz"), gain_db=_num(p, "gain_db"), q=_num(p, "q", 0.7071)
        )
        return _run([filt], x, sr)
    if s.type in ("high_pass", "low_pass"):
        slope = _num(p, "slope_db_per_octave", DEFAULT_SLOPE_DB_PER_OCTAVE)
        return _butterworth(x, sr, s.type, _num(p, "freq_hz"), slope)
    if s.type == "compression":
        comp = pb.Compressor(
            threshold_db=_num(p, "threshold_db"),
            ratio=max(_num(p, "ratio"), 1.0),
            attack_ms=_num(p, "attack_ms", 10.0),
            release_ms=_num(p, "release_ms", 100.0),
        )
        return _run([comp], x, sr)
    if s.type == "limiting":
        return _limit(x, sr, p)
    if s.type == "de_ess":
        return _de_ess(x, sr, p)
    if s.type == "stereo_width":
        return _width(x, sr, p)
    if s.type == "saturation":
        wet = _run([pb.Distortion(drive_db=_num(p, "drive_db", 3.0))], x, sr)
        mix = _num(p, "mix_pct", 30.0) / 100.0
        return (1.0 - mix) * x + mix * wet * np.float32(10.0 ** (-_num(p, "drive_db", 3.0) / 20.0))
    if s.type == "cleanup" and p.get("process") == "dc_removal":
        centred: np.ndarray = x - x.mean(axis=1, keepdims=True)
        return centred
    if s.type == "cleanup" and p.get("process") == "gate":
        gate = pb.NoiseGate(
            threshold_db=_num(p, "threshold_db"),
            attack_ms=_num(p, "attack_ms", 1.0),
            release_ms=_num(p, "release_ms", 100.0),
        )
        return _run([gate], x, sr)
    detail = f" ({p.get('process')})" if s.type == "cleanup" else ""
    raise NotRenderable(f"suggestion {s.id}: type {s.type!r}{detail} cannot be rendered")


def render_suggestion(y: np.ndarray, sr: int, suggestion: Suggestion) -> np.ndarray:
    """Apply one suggestion to its track.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (channels, n)
        The track, float samples in [-1, 1] (the layout core.audio decodes to).
    sr : int
        The track's sample rate (Hz); the rendering runs at this rate.
    suggestion : Suggestion
        Its ``type`` and ``parameters`` (``freq_hz``, ``gain_db``, ``q``, ``threshold_db``, ...).

    Returns
    -------
    np.ndarray, float32, the shape of ``y``. Raises NotRenderable for types it cannot apply.
    """
    if not is_renderable(suggestion):
        detail = f" ({suggestion.parameters.get('process')})" if suggestion.type == "cleanup" else ""
        raise NotRenderable(
            f"suggestion {suggestion.id}: type {suggestion.type!r}{detail} cannot be rendered"
        )
    if int(sr) <= 0:
        raise InvalidParameter(f"sr={sr!r} must be a positive sample rate")
    x = _as_channels(y)
    out = np.asarray(_process(x, int(sr), suggestion), dtype=np.float32)
    return out[0] if np.asarray(y).ndim == 1 else out


def render_chain(y: np.ndarray, sr: int, suggestions: tuple[Suggestion, ...]) -> np.ndarray:
    """Apply several suggestions to one track, in the order given (a DAW's insert order)."""
    out = np.asarray(y, dtype=np.float32)
    for s in suggestions:
        out = render_suggestion(out, sr, s)
    return out
