"""Quality end to end: one defect injected into the clean base, analysed by core.analysis.analyze."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from core.analysis import analyze
from core.results import TrackAnalysis
from tests.core.mixes import DEFECTS, SR, clean_mix

#: Codes a defect may raise besides its own, and why: driving into a clipper also overshoots the
#: true peak and flattens the crest; all else must stay silent.
SIDE_EFFECTS: dict[str, set[str]] = {
    "clipping": {"true_peak_over", "over_compression"},
}


@pytest.fixture(scope="module")
def base() -> np.ndarray:
    return clean_mix()


def run(y: np.ndarray, name: str) -> TrackAnalysis:
    return analyze((y.astype(np.float32), SR), name=name)


def flagged(result: TrackAnalysis) -> dict[str, str]:
    return {i.code: i.severity for i in result.quality.issues if i.severity != "info"}


def test_clean_base_is_clean_and_levelled(base: np.ndarray) -> None:
    result = run(base, "clean")
    assert flagged(result) == {}
    assert result.quality.score == 100
    assert result.loudness.integrated_lufs == pytest.approx(-16.5, abs=1.0)


@pytest.mark.parametrize("code", sorted(DEFECTS))
def test_defect_raises_its_code(base: np.ndarray, code: str) -> None:
    defect: Callable[[np.ndarray], np.ndarray] = DEFECTS[code]
    result = run(defect(base), code)
    codes = flagged(result)
    assert code in codes, result.quality
    assert set(codes) - {code} <= SIDE_EFFECTS.get(code, set()), result.quality
    assert result.quality.score < 100
    issue = next(i for i in result.quality.issues if i.code == code)
    assert issue.evidence["value"] is not None and issue.fix


def test_hum_names_60_hz_mains(base: np.ndarray) -> None:
    from tests.core.mixes import hum

    issue = next(i for i in run(hum(base, 60.0), "hum60").quality.issues if i.code == "hum")
    assert issue.evidence["mains_hz"] == 60.0


@pytest.mark.parametrize("sr", [22050, 44100])
@pytest.mark.parametrize("freq_hz", [330.0, 440.0, 1000.0])
def test_quantisation_distortion_of_a_16_bit_sine_is_not_hum(sr: int, freq_hz: float) -> None:
    """A pure tone written at 16 bits has periodic rounding error with harmonics near -100 dBFS."""
    import io

    import soundfile as sf

    t = np.arange(int(2.0 * sr)) / sr
    y = 0.3 * np.sin(2 * np.pi * freq_hz * t)
    buf = io.BytesIO()
    sf.write(buf, np.stack([y, y], axis=1).astype(np.float32), sr, format="WAV", subtype="PCM_16")
    codes = {issue.code for issue in analyze(buf.getvalue()).quality.issues}
    assert "hum" not in codes


# --- the clipped share is of all samples (frames x channels) -------------------------------------


def _square_wav(channels: int, *, freq_hz: float = 100.0, seconds: float = 5.0) -> bytes:
    """A full-scale square wave (no zero samples) in every channel, written as 16-bit PCM."""
    import io

    import soundfile as sf

    n = int(seconds * SR)
    y = np.where((np.arange(n) * freq_hz / SR) % 1.0 < 0.5, 1.0, -1.0)
    buf = io.BytesIO()
    sf.write(
        buf, np.repeat(y[:, None], channels, axis=1).astype(np.float32), SR, format="WAV", subtype="PCM_16"
    )
    return buf.getvalue()


@pytest.mark.parametrize("channels", [2, 8])
def test_a_square_wave_clipped_throughout_reads_100_percent(channels: int) -> None:
    """Every sample of every channel sits at full scale in runs of 220-221: all of them are clipped."""
    result = analyze(_square_wav(channels), name="square")
    assert result.audio.channels == channels
    n = result.audio.frames * channels
    assert result.dynamics.clipped_samples == n
    issue = next(i for i in result.quality.issues if i.code == "clipping")
    assert issue.evidence["clipped_percent"] == 100.0
    assert issue.severity == "critical"
    assert f"{n} clipped samples across its {channels} channels (100.0000 % of the samples)" in issue.message


def test_a_mono_file_with_a_known_number_of_clipped_samples() -> None:
    """Three runs of 147 samples at full scale in a 2 s, -6 dBFS sine: 441 of 88,200 samples, 0.5 %."""
    t = np.arange(2 * SR) / SR
    y = 0.5 * np.sin(2 * np.pi * 440.0 * t)
    for start in (10_000, 40_000, 70_000):
        y[start : start + 147] = 1.0
    result = analyze((y.astype(np.float32), SR), name="mono")
    assert result.audio.channels == 1
    assert result.dynamics.clipped_samples == 441
    issue = next(i for i in result.quality.issues if i.code == "clipping")
    assert issue.evidence["clipped_percent"] == 0.5
    assert issue.severity == "critical"
    assert "441 clipped samples (0.5000 % of the samples)" in issue.message
