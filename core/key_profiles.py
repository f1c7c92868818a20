"""Key profiles, the harmonic template that turns them into expected spectra, and the Camelot wheel.

Every table here is a published one; core.tonal matches a measured pitch-class profile against
``expected_chroma(profile)`` for each of the 24 keys.
"""

from __future__ import annotations

import numpy as np

PITCH_CLASSES: tuple[str, ...] = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
MODES: tuple[str, ...] = ("major", "minor")

#: Key profiles, tonic first, (major, minor).
PROFILES: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    # Krumhansl & Kessler (1982), probe-tone ratings; Krumhansl, "Cognitive Foundations of Musical
    # Pitch" (1990), Table 2.1.
    "krumhansl": (
        (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88),
        (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17),
    ),
    # Aarden (2003), "Dynamic melodic expectancy" (PhD thesis, Ohio State), pitch-class distributions
    # of the Essen folksong collection, as used by music21's AardenEssenWeights (percent).
    "aarden": (
        (
            17.7661,
            0.145624,
            14.9265,
            0.160186,
            19.8049,
            11.3587,
            0.291248,
            22.062,
            0.145624,
            8.15494,
            0.232998,
            4.95122,
        ),
        (
            18.2648,
            0.737619,
            14.0499,
            16.8599,
            0.702494,
            14.4362,
            0.702494,
            18.6161,
            4.56621,
            1.93186,
            7.37619,
            1.75623,
        ),
    ),
    # Temperley (1999), "What's key for key? The Krumhansl-Schmuckler key-finding algorithm
    # reconsidered", Music Perception 17(1).
    "temperley": (
        (5.0, 2.0, 3.5, 2.0, 4.5, 4.0, 2.0, 4.5, 2.0, 3.5, 1.5, 4.0),
        (5.0, 2.0, 3.5, 4.5, 2.0, 4.0, 2.0, 4.5, 3.5, 2.0, 1.5, 4.0),
    ),
}
#: The profiles core.tonal averages (the mean of the two correlations names the key). Aarden-Essen
#: (note counts) weights chromatic degrees near zero, which reads pop and chorales best but lets
#: strong non-scale overtones (harmonics 7, 9, 11 of bright synth or organ tones) pull it to the
#: subdominant; Krumhansl-Kessler (listeners' ratings) is smoother. On ../shared/music-dev the pair
#: scored MIREX 0.95 (Aarden alone 0.95, Krumhansl alone 0.86) and kept every overtone-rich
#: synthetic cadence (tests/core/test_tonal.py), where Aarden alone lost a third of them.
KEY_PROFILE_SET: tuple[str, ...] = ("aarden", "krumhansl")

#: Harmonic template (Gómez, "Tonal description of music audio signals", PhD thesis, UPF 2006,
#: sec. 4.2): a note of pitch class 0 also puts energy on the pitch classes of its harmonics 1..H,
#: harmonic h weighted HARMONIC_DECAY ** (h - 1). The third harmonic lands a fifth up, the fifth a
#: major third up: matching spectra against profiles convolved with this template, instead of the
#: bare profiles, is what stops a key being read as its dominant.
HARMONICS = 6
HARMONIC_DECAY = 0.6

#: Camelot wheel codes (Mark Davis, Mixed In Key): number by the circle of fifths, B = major, A = minor.
#: C major is 8B, A minor 8A; each step up a fifth adds one (mod 12).
CAMELOT_C_MAJOR = 8
CAMELOT_A_MINOR = 8


def harmonic_template(*, harmonics: int = HARMONICS, decay: float = HARMONIC_DECAY) -> np.ndarray:
    """Pitch-class weights (12,) of a harmonic tone on pitch class 0."""
    t = np.zeros(12)
    for h in range(1, harmonics + 1):
        t[round(12 * np.log2(h)) % 12] += decay ** (h - 1)
    return t


def expected_chroma(profile: str) -> np.ndarray:
    """Key templates, shape (2, 12, 12): [mode, tonic, pitch class], the profile convolved with the harmonics.

    ``expected[m, t, p]`` is the energy expected on pitch class ``p`` in the key with tonic ``t``
    and mode ``MODES[m]``, if each scale degree sounded as a harmonic tone weighted by the profile.
    """
    base = np.asarray(PROFILES[profile], dtype=np.float64)  # (2, 12) tonic first
    template = harmonic_template()
    # Circular convolution over pitch classes: degree d spreads to d + k with weight template[k].
    spread = np.array(
        [[np.dot(base[m], template[(p - np.arange(12)) % 12]) for p in range(12)] for m in range(2)]
    )
    shift = (np.arange(12)[None, :] - np.arange(12)[:, None]) % 12  # [tonic, pitch class] -> degree
    return np.asarray(spread[:, shift])


def camelot(tonic: int, mode: str) -> str:
    """Camelot code of a key: ``camelot(0, "major")`` is "8B", ``camelot(9, "minor")`` is "8A"."""
    if mode == "major":
        return f"{(CAMELOT_C_MAJOR - 1 + 7 * tonic) % 12 + 1}B"
    return f"{(CAMELOT_A_MINOR - 1 + 7 * (tonic - 9)) % 12 + 1}A"
