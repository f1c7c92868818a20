"""The one band table, and the 1/3-octave centres.

The seven bands are the mixing vocabulary clients rely on (names and edges are part of the API).
1/3-octave centres follow IEC 61260-1 / ANSI S1.11 base-ten nominal values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Band:
    name: str
    low_hz: float
    high_hz: float

    @property
    def centre_hz(self) -> float:
        return float(np.sqrt(self.low_hz * self.high_hz))

    def contains(self, freq_hz: float) -> bool:
        return self.low_hz <= freq_hz < self.high_hz


BANDS: tuple[Band, ...] = (
    Band("sub", 20.0, 60.0),
    Band("bass", 60.0, 250.0),
    Band("low_mid", 250.0, 500.0),
    Band("mid", 500.0, 2000.0),
    Band("upper_mid", 2000.0, 4000.0),
    Band("presence", 4000.0, 6000.0),
    Band("brilliance", 6000.0, 20000.0),
)
BAND_NAMES: tuple[str, ...] = tuple(b.name for b in BANDS)
BAND_BY_NAME: dict[str, Band] = {b.name: b for b in BANDS}

#: IEC 61260-1 nominal 1/3-octave centre frequencies, 20 Hz - 20 kHz (31 bands).
THIRD_OCTAVE_CENTRES_HZ: tuple[float, ...] = (
    20, 25, 31.5, 40, 50, 63, 80, 100, 125, 160, 200, 250, 315, 400, 500, 630, 800, 1000,
    1250, 1600, 2000, 2500, 3150, 4000, 5000, 6300, 8000, 10000, 12500, 16000, 20000,
)  # fmt: skip


def band_for(freq_hz: float) -> Band | None:
    """The band containing ``freq_hz`` (None outside 20 Hz - 20 kHz)."""
    for band in BANDS:
        if band.contains(freq_hz):
            return band
    return None


def band_masks(freqs_hz: np.ndarray) -> np.ndarray:
    """Boolean matrix (7, n_freqs): which FFT bins fall in each band."""
    f = np.asarray(freqs_hz)
    return np.stack([(f >= b.low_hz) & (f < b.high_hz) for b in BANDS])


def third_octave_edges_hz(centre_hz: float) -> tuple[float, float]:
    """Exact base-two edges of the 1/3-octave band around a nominal centre."""
    return centre_hz * 2 ** (-1 / 6), centre_hz * 2 ** (1 / 6)
