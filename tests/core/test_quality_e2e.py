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
