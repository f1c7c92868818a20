"""core.dynamics on signals with known levels, clipping, offsets and silences."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.audio import CHANNEL_LAYOUTS
from core.dynamics import DynamicsAccumulator, measure_dynamics
from core.results import DynamicsResult, to_dict

SR = 44100


def _sine(freq_hz: float, amp: float, seconds: float = 1.0, sr: int = SR) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    return amp * np.sin(2 * np.pi * freq_hz * t)


def _noise(level_dbfs: float, seconds: float, seed: int) -> np.ndarray:
    """White noise whose AES17 level is level_dbfs (mean square 0.5 · 10^(level/10))."""
    sigma = np.sqrt(0.5 * 10 ** (level_dbfs / 10))
    return sigma * np.random.default_rng(seed).standard_normal(int(SR * seconds))


def _streamed(y: np.ndarray, sizes: np.ndarray, layout: tuple[str, ...] | None = None) -> DynamicsResult:
    y = np.atleast_2d(y).astype(np.float32)
    acc = DynamicsAccumulator(sr=SR, layout=layout)
    pos = 0
    for size in sizes:
        acc.update(y[:, pos : pos + int(size)])
        pos += int(size)
        if pos >= y.shape[1]:
            break
    assert pos >= y.shape[1]
    return acc.result()


def test_clean_sine_levels_and_crest_factor() -> None:
    r = measure_dynamics(_sine(997.0, 10 ** (-1 / 20)), SR)
    assert r.rms_dbfs == pytest.approx(-1.0, abs=0.01)  # AES17: a sine reads its peak level
    assert r.peak_dbfs == pytest.approx(-1.0, abs=0.01)
    assert r.crest_factor_db == pytest.approx(20 * np.log10(np.sqrt(2)), abs=0.02)
    assert r.clipped_samples == 0
    assert abs(r.dc_offset) < 1e-4
    assert r.silence_ratio == 0.0
    assert r.dynamic_range_db == pytest.approx(0.0, abs=0.1)
    assert r.noise_floor_dbfs == pytest.approx(-1.0, abs=0.05)


def test_white_noise_level() -> None:
    r = measure_dynamics(_noise(-20.0, 2.0, seed=1), SR)
    assert r.rms_dbfs == pytest.approx(-20.0, abs=0.05)
    assert 9.0 < r.crest_factor_db < 16.0  # gaussian: ~4.5 sigma over 88k samples


def _clipped_fraction(drive: float, ceiling: float) -> float:
    """Fraction of a sine of amplitude ``drive`` at or beyond ``ceiling``."""
    return 1.0 - 2.0 / np.pi * np.arcsin(ceiling / drive)


@pytest.mark.parametrize("ceiling", [1.0, 0.8])
@pytest.mark.parametrize("bits", [None, 16])
def test_hard_clipped_sines_are_counted(ceiling: float, bits: int | None) -> None:
    freq, drive = 441.0, 1.5 * ceiling
    y = np.clip(_sine(freq, drive), -ceiling, ceiling)
    if bits:
        y = np.round(y * 2 ** (bits - 1)) / 2 ** (bits - 1)
        y = np.clip(y, -1.0, 1.0 - 2.0 ** -(bits - 1))
    r = measure_dynamics(y, SR)
    expected = _clipped_fraction(drive, ceiling) * len(y)
    half_cycles = 2 * freq * len(y) / SR
    assert abs(r.clipped_samples - expected) <= 2 * half_cycles
    assert r.clipped_samples > 0.9 * expected


def test_clipping_in_one_channel_only() -> None:
    left = np.clip(_sine(100.0, 1.2), -0.9, 0.9)
    right = _sine(100.0, 0.5)
    r = measure_dynamics(np.stack([left, right]), SR, layout=("L", "R"))
    expected = _clipped_fraction(1.2, 0.9) * len(left)
    assert r.clipped_samples == pytest.approx(expected, abs=2 * 200)


def test_float_samples_beyond_full_scale_count() -> None:
    y = _sine(997.0, 1.3)
    r = measure_dynamics(y, SR)
    assert r.clipped_samples == int(np.count_nonzero(np.abs(y.astype(np.float32)) > 1.0))
    assert r.peak_dbfs == pytest.approx(20 * np.log10(1.3), abs=0.01)


def test_quantised_slow_sine_peaks_are_not_clipping() -> None:
    """A 10 Hz sine at 16 bits holds its peak value for 3-4 samples: a smooth plateau, not a clip."""
    y = np.round(_sine(10.0, 10 ** (-1 / 20), seconds=2.0) * 32767) / 32768
    peak = np.abs(y).max()
    at_peak = np.flatnonzero(np.abs(y) == peak)
    assert np.any(at_peak[2:] - at_peak[:-2] == 2)  # the plateaus exist
    assert measure_dynamics(y, SR).clipped_samples == 0


def test_a_few_equal_peak_runs_are_not_clipping() -> None:
    y = _sine(997.0, 0.5)
    y[1000:1003] = 0.6  # one flat run at the maximum is not "repeatedly"
    assert measure_dynamics(y, SR).clipped_samples == 0


def test_results_do_not_depend_on_block_boundaries() -> None:
    rng = np.random.default_rng(7)
    left = np.clip(_sine(300.0, 1.4, seconds=0.6), -1.0, 1.0) + 0.01
    right = np.clip(_sine(57.0, 1.2, seconds=0.6), -0.85, 0.85) * np.linspace(0.2, 1.0, len(left))
    y = np.stack([left, right])
    whole = measure_dynamics(y, SR, layout=("L", "R"))
    assert whole.clipped_samples > 1000
    for sizes in (rng.integers(1, 40, 40000), rng.integers(100, 5000, 1000), np.full(1000, 2205)):
        part = _streamed(y, sizes, layout=("L", "R"))
        assert part.clipped_samples == whole.clipped_samples
        for name in (
            "rms_dbfs",
            "peak_dbfs",
            "crest_factor_db",
            "dynamic_range_db",
            "dc_offset",
            "silence_ratio",
            "noise_floor_dbfs",
        ):
            assert getattr(part, name) == pytest.approx(getattr(whole, name), rel=1e-9, abs=1e-9), name


def test_dynamic_range_of_loud_and_quiet_halves() -> None:
    y = np.concatenate([_sine(440.0, 10 ** (-6 / 20), 3.0), _sine(440.0, 10 ** (-26 / 20), 3.0)])
    r = measure_dynamics(y, SR)
    assert r.dynamic_range_db == pytest.approx(20.0, abs=0.5)
    # Silence does not count towards the range.
    with_gap = np.concatenate([y, np.zeros(SR * 3)])
    assert measure_dynamics(with_gap, SR).dynamic_range_db == pytest.approx(20.0, abs=0.5)


def test_dc_offset_is_the_signed_mean_of_the_worst_channel() -> None:
    left = _sine(200.0, 0.3) - 0.05
    right = _sine(300.0, 0.3) + 0.02
    assert measure_dynamics(np.stack([left, right]), SR).dc_offset == pytest.approx(-0.05, abs=1e-4)
    assert measure_dynamics(np.stack([left + 0.1, right]), SR).dc_offset == pytest.approx(0.05, abs=1e-4)


def test_silence_ratio_and_noise_floor() -> None:
    tone = _sine(440.0, 0.5, 1.0)
    hiss = _noise(-70.0, 3.0, seed=3)
    r = measure_dynamics(np.concatenate([tone, hiss]), SR)
    assert r.silence_ratio == pytest.approx(0.75, abs=0.02)
    assert r.noise_floor_dbfs == pytest.approx(-70.0, abs=1.0)
    # Digital silence is not the noise floor; the quietest sound is.
    r = measure_dynamics(np.concatenate([tone, np.zeros(3 * SR)]), SR)
    assert r.silence_ratio == pytest.approx(0.75, abs=0.02)
    assert r.noise_floor_dbfs == pytest.approx(20 * np.log10(0.5), abs=0.1)


def test_digital_silence_gives_none_without_warnings() -> None:
    r = measure_dynamics(np.zeros((2, SR)), SR)
    assert r == DynamicsResult(None, None, None, None, 0, 0.0, 1.0, None)
    json.dumps(to_dict(r), allow_nan=False)


def test_lfe_is_left_out_of_the_level_but_not_the_peak() -> None:
    layout = CHANNEL_LAYOUTS[6]
    y = np.tile(_sine(1000.0, 0.1), (6, 1))
    y[layout.index("LFE")] = _sine(40.0, 0.9)
    r = measure_dynamics(y, SR, layout=layout)
    assert r.rms_dbfs == pytest.approx(-20.0, abs=0.02)
    assert r.peak_dbfs == pytest.approx(20 * np.log10(0.9), abs=0.01)


def test_short_and_mono_inputs() -> None:
    r = measure_dynamics(_sine(1000.0, 0.25, seconds=0.06), SR)
    assert r.rms_dbfs == pytest.approx(20 * np.log10(0.25), abs=0.05)
    assert r.dynamic_range_db is not None
    json.dumps(to_dict(r), allow_nan=False)


def _kick_loop(seconds: float = 12.0, every_s: float = 1.0) -> np.ndarray:
    """Decaying kicks (exp(-12 t) over 0.33 s) with digital silence between them."""
    y = np.zeros(int(seconds * SR))
    t = np.arange(SR // 3) / SR
    hit = 0.8 * np.sin(2 * np.pi * (50 + 60 * np.exp(-t * 30)) * t) * np.exp(-t * 12)
    for start in np.arange(0.0, seconds - 0.4, every_s):
        i = int(start * SR)
        y[i : i + hit.size] += hit
    return y


def _phrases_over_hiss(seconds: float = 12.0) -> np.ndarray:
    """2 s phrases with 1 s of hiss at -50 dBFS between them, and 1 s of digital silence at each end."""
    y = _noise(-50.0, seconds, seed=7)
    for start in np.arange(1.0, seconds - 2.0, 3.0):
        i = int(start * SR)
        y[i : i + 2 * SR] += _sine(220.0, 0.3, 2.0)
    y[:SR] = 0.0
    y[-SR:] = 0.0
    return y


def test_a_steady_floor_is_told_from_decays_passing_through_it() -> None:
    decays = measure_dynamics(_kick_loop(), SR)
    hiss = measure_dynamics(_phrases_over_hiss(), SR)
    # both have gaps and an audible "floor" well above -60 dBFS ...
    for r in (decays, hiss):
        assert r.silence_ratio >= 0.05 and r.noise_floor_dbfs is not None and r.noise_floor_dbfs > -60.0
    # ... but only the hiss sits there: the kicks' tails pass through it within a window or two
    assert hiss.noise_floor_steady is not None and hiss.noise_floor_steady >= 0.9
    assert decays.noise_floor_steady is not None and decays.noise_floor_steady <= 0.1


def _phrases_over_soft_notes(seconds: float = 12.0) -> np.ndarray:
    """2 s phrases with 1 s of a soft held note (-45 dBFS, two partials) between them: a string part
    played quietly, as steady as hiss and as far under the body, but tonal."""
    t = np.arange(SR) / SR
    soft = (
        10 ** (-45 / 20)
        * np.sqrt(2)
        * (0.8 * np.sin(2 * np.pi * 330.0 * t) + 0.6 * np.sin(2 * np.pi * 660.0 * t))
    )
    y = np.zeros(int(seconds * SR))
    for start in np.arange(1.0, seconds - 2.0, 3.0):
        i = int(start * SR)
        y[i : i + 2 * SR] += _sine(220.0, 0.3, 2.0)
        y[i + 2 * SR : i + 3 * SR] += soft[: y[i + 2 * SR : i + 3 * SR].size]
    y[:SR] = 0.0
    y[-SR:] = 0.0
    return y


def _phrases_over_buzz(seconds: float = 12.0) -> np.ndarray:
    """_phrases_over_hiss with a 60 Hz mains buzz (20 harmonics, 1/sqrt(k)) at -50 dBFS for the hiss."""
    t = np.arange(int(seconds * SR)) / SR
    buzz = sum(np.sin(2 * np.pi * 60.0 * k * t) / np.sqrt(k) for k in range(1, 21))
    y = buzz / np.sqrt(np.mean(buzz**2)) * 10 ** (-50 / 20)
    for start in np.arange(1.0, seconds - 2.0, 3.0):
        i = int(start * SR)
        y[i : i + 2 * SR] += _sine(220.0, 0.3, 2.0)
    y[:SR] = 0.0
    y[-SR:] = 0.0
    return np.asarray(y)


def test_the_floor_of_hiss_reads_as_noise_and_soft_notes_as_tonal() -> None:
    from core.analysis import analyze

    def floor(y: np.ndarray) -> DynamicsResult:
        return analyze((np.stack([y, y]).astype(np.float32), SR), name="t").dynamics

    hiss, buzz, notes = (
        floor(_phrases_over_hiss()),
        floor(_phrases_over_buzz()),
        floor(_phrases_over_soft_notes()),
    )
    # the floors are as steady and as deep ...
    for d in (hiss, buzz, notes):
        assert d.noise_floor_steady is not None and d.noise_floor_steady >= 0.9
        assert d.rms_dbfs is not None and d.noise_floor_dbfs is not None
        assert d.rms_dbfs - d.noise_floor_dbfs >= 20.0 and d.noise_floor_dbfs > -60.0
    # ... but hiss and mains buzz sound like noise, the notes do not (0.06, 0.18 and 1.0 measured,
    # against a line at 0.7): the buzz's partials pile up below the chroma's range, and its flat comb
    # of harmonics is no chord
    assert hiss.noise_floor_tonalness is not None and hiss.noise_floor_tonalness <= 0.3
    assert buzz.noise_floor_tonalness is not None and buzz.noise_floor_tonalness <= 0.4
    assert notes.noise_floor_tonalness is not None and notes.noise_floor_tonalness >= 0.9


def test_the_gate_is_offered_for_a_steady_floor_only() -> None:
    from core.analysis import analyze
    from core.suggestions import suggest_for_track

    def gates(y: np.ndarray, track_type: str) -> list[object]:
        a = analyze((np.stack([y, y]).astype(np.float32), SR), name="t")
        advice = suggest_for_track(a, track_id="t", track_type=track_type)
        return [s for s in advice if s.type == "cleanup" and s.parameters.get("process") == "gate"]

    assert gates(_phrases_over_hiss(), "vocals")
    assert gates(_phrases_over_buzz(), "guitar")
    assert not gates(_kick_loop(), "kick")
    assert not gates(_phrases_over_soft_notes(), "strings")  # the part itself, played softly
