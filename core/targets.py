"""Targets the advice is measured against: one table each, with its source.

- ``PLATFORM_TARGETS``: delivery loudness and true-peak ceiling per platform.
- ``GENRE_TARGETS``: tonal balance of a finished mix per genre, and the tempo-aware defaults
  (delay note, reverb decay, compressor release) the suggestions use for that genre.

Values are facts copied from the cited documents where a document exists; where none exists (the
genre tonal curves, the YouTube figure) the row says so, and docs/suggestions.md explains how the
numbers were chosen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.bands import BAND_NAMES, BANDS
from core.errors import InvalidParameter


@dataclass(frozen=True)
class PlatformTarget:
    key: str
    name: str
    integrated_lufs: float
    true_peak_dbtp: float
    #: How far from the target (LU) still counts as on target.
    tolerance_lu: float
    source: str


#: Delivery targets. Integrated loudness per ITU-R BS.1770-4; true peak per BS.1770-4 Annex 2.
PLATFORM_TARGETS: dict[str, PlatformTarget] = {
    t.key: t
    for t in (
        PlatformTarget(
            "spotify",
            "Spotify",
            -14.0,
            -1.0,
            1.0,
            "Spotify for Artists, 'Loudness normalization' (normal level -14 LUFS; keep below -1 dBTP,"
            " below -2 dBTP if the master is louder than -14 LUFS)",
        ),
        PlatformTarget(
            "apple_music",
            "Apple Music",
            -16.0,
            -1.0,
            1.0,
            "Apple, 'Apple Digital Masters' / Sound Check normalisation to -16 LUFS;"
            " -1 dBTP for AAC encoding",
        ),
        PlatformTarget(
            "youtube",
            "YouTube",
            -14.0,
            -1.0,
            1.0,
            "No published spec; -14 LUFS is the playback reference widely measured"
            " (e.g. loudnesspenalty.com)",
        ),
        PlatformTarget(
            "ebu_r128",
            "EBU R128 broadcast",
            -23.0,
            -1.0,
            0.5,
            "EBU R 128 (2020): programme loudness -23.0 LUFS ±0.5 LU, max true peak -1 dBTP",
        ),
        PlatformTarget(
            "atsc_a85",
            "ATSC A/85 broadcast",
            -24.0,
            -2.0,
            2.0,
            "ATSC A/85:2013: target -24 LKFS ±2 dB, true peak not above -2 dBTP",
        ),
    )
}
DEFAULT_PLATFORM = "spotify"
#: Spotify's stricter ceiling for masters louder than its reference (same source as above).
LOUD_MASTER_TRUE_PEAK_DBTP = -2.0

GENRES: tuple[str, ...] = ("Electronic/EDM", "Hip-Hop/Rap", "Rock", "Pop", "Jazz", "Classical", "Ambient")


@dataclass(frozen=True)
class GenreTarget:
    """Tonal balance and tempo-aware defaults of one genre.

    ``band_levels_db`` is the level per octave of each band of core.bands.BANDS relative to the
    ``mid`` band (band energy minus 10·log10 of the band's width in octaves, so pink noise reads
    0 dB everywhere).
    """

    genre: str
    band_levels_db: tuple[float, ...]
    tolerance_db: float
    delay_note: str
    delay_modifier: str
    reverb_decay_beats: float
    release_note: str


# Tonal curves: rounded, whole-dB readings of the genre trends in the long-term average spectra of
# commercial recordings (Pestana, Ma, Reiss, Barbosa & Black, "Spectral characteristics of popular
# commercial recordings 1950-2010", AES 135th Convention, 2013; Elowsson & Friberg, "Long-term
# average spectrum in popular music and its relation to the level of the percussion", AES 142nd
# Convention, paper 9762, 2017): more low end in electronic and hip-hop, a steeper high-frequency
# roll-off in acoustic jazz and classical. They are house approximations, not values from those
# papers, hence the wide tolerance. Delay/reverb/release defaults: common practice as charted in
# B. Owsinski, "The Mixing Engineer's Handbook" (4th ed., 2017), ch. on delay and reverb timing.
#                         sub   bass  low_mid mid  upper presence brilliance
GENRE_TARGETS: dict[str, GenreTarget] = {
    g.genre: g
    for g in (
        GenreTarget(
            "Electronic/EDM", (3.0, 3.0, 0.0, 0.0, -2.0, -3.0, -4.0), 4.0, "1/8", "dotted", 4.0, "1/16"
        ),
        GenreTarget(
            "Hip-Hop/Rap", (5.0, 4.0, 0.0, 0.0, -2.0, -3.0, -5.0), 4.0, "1/4", "straight", 2.0, "1/16"
        ),
        GenreTarget("Rock", (-3.0, 2.0, 1.0, 0.0, -1.0, -3.0, -5.0), 4.0, "1/8", "straight", 2.0, "1/8"),
        GenreTarget("Pop", (0.0, 2.0, 0.0, 0.0, -1.0, -2.0, -4.0), 4.0, "1/4", "straight", 2.0, "1/8"),
        GenreTarget("Jazz", (-6.0, 0.0, 1.0, 0.0, -3.0, -5.0, -8.0), 5.0, "1/4", "triplet", 2.0, "1/8"),
        GenreTarget(
            "Classical", (-8.0, -1.0, 1.0, 0.0, -3.0, -6.0, -9.0), 5.0, "1/4", "straight", 4.0, "1/4"
        ),
        GenreTarget("Ambient", (-2.0, 1.0, 0.0, 0.0, -3.0, -5.0, -7.0), 5.0, "1/4", "dotted", 8.0, "1/4"),
    )
}
#: Used when a session has no declared genre and detection is not confident.
DEFAULT_GENRE = "Pop"

#: Spellings users and DAWs declare, mapped to the canonical genre names above.
GENRE_ALIASES: dict[str, str] = {
    "electronic": "Electronic/EDM",
    "edm": "Electronic/EDM",
    "house": "Electronic/EDM",
    "techno": "Electronic/EDM",
    "trance": "Electronic/EDM",
    "dubstep": "Electronic/EDM",
    "hip-hop": "Hip-Hop/Rap",
    "hiphop": "Hip-Hop/Rap",
    "hip hop": "Hip-Hop/Rap",
    "rap": "Hip-Hop/Rap",
    "trap": "Hip-Hop/Rap",
    "rock": "Rock",
    "metal": "Rock",
    "punk": "Rock",
    "pop": "Pop",
    "jazz": "Jazz",
    "classical": "Classical",
    "orchestral": "Classical",
    "ambient": "Ambient",
}

#: Tonal balance is judged only on broadband material: at least TONAL_MIN_BANDS of the seven bands
#: with a per-octave level within TONAL_BROADBAND_WITHIN_DB of the second-loudest band (one band
#: standing far above the rest, a muddy or boomy mix, is the fault to judge, not a sign of narrow
#: material: sessions-dev mixes with the lead's low mids 6 dB up failed a gate on the loudest band,
#: while the stems alone pass as before: kicks, hi-hats, basses, leads, strings and pads 0 of 60,
#: snares (broadband noise) 12 of 12 under both gates, and 1 keys stem of 12). A finished mix
#: spans about 10-17 dB across the bands (the targets above); a kick and a bass (clicks and
#: harmonics 20-30 dB under their body), a vocal alone or a sine fail the gate. On broadband
#: material a band more than TONAL_SILENT_BELOW_DB under the loudest is essentially silent and is
#: not judged: a broad EQ has nothing there to lift. Same reasoning as the quality rules' broadband
#: gate (core.quality_rules.BROADBAND_MIN_OCTAVES); the numbers are house choices.
TONAL_MIN_BANDS = 6
TONAL_BROADBAND_WITHIN_DB = 20.0
TONAL_SILENT_BELOW_DB = 40.0


def broadband_bands(levels: Sequence[float | None]) -> int:
    """How many per-octave ``levels`` lie within TONAL_BROADBAND_WITHIN_DB of the second loudest."""
    present = sorted((v for v in levels if v is not None), reverse=True)
    if not present:
        return 0
    ref = present[1] if len(present) > 1 else present[0]
    return sum(v >= ref - TONAL_BROADBAND_WITHIN_DB for v in present)


#: Width of each band in octaves, for per-octave levels.
BAND_OCTAVES: tuple[float, ...] = tuple(float(np.log2(b.high_hz / b.low_hz)) for b in BANDS)
_MID = BAND_NAMES.index("mid")


def canonical_genre(name: str, *, field: str = "genre") -> str:
    """The canonical genre for a declared name ('edm', 'Hip-Hop/Rap', ...); InvalidParameter otherwise."""
    if name in GENRE_TARGETS:
        return name
    key = name.strip().lower()
    for genre in GENRES:
        if genre.lower() == key:
            return genre
    if key in GENRE_ALIASES:
        return GENRE_ALIASES[key]
    raise InvalidParameter(f"{field}: unknown genre {name!r}; expected one of {', '.join(GENRES)}")


def platform_target(key: str, *, field: str = "platform") -> PlatformTarget:
    """The target of ``key`` (case-insensitive, '-' or ' ' accepted for '_'); InvalidParameter otherwise."""
    norm = key.strip().lower().replace("-", "_").replace(" ", "_")
    if norm not in PLATFORM_TARGETS:
        raise InvalidParameter(
            f"{field}: unknown platform {key!r}; expected one of {', '.join(PLATFORM_TARGETS)}"
        )
    return PLATFORM_TARGETS[norm]


def per_octave_db(band_energy_db: tuple[float | None, ...]) -> tuple[float | None, ...]:
    """Band energies (dB) as absolute levels per octave: energy minus 10·log10(width in octaves)."""
    if len(band_energy_db) != len(BANDS):
        raise InvalidParameter(f"band_energy_db: expected {len(BANDS)} values, got {len(band_energy_db)}")
    return tuple(
        None if e is None else float(e - 10.0 * np.log10(w))
        for e, w in zip(band_energy_db, BAND_OCTAVES, strict=True)
    )


def per_octave_levels_db(band_energy_db: tuple[float | None, ...]) -> tuple[float | None, ...]:
    """Band energies (dB) as levels per octave relative to the mid band (None where silent)."""
    per_oct = per_octave_db(band_energy_db)
    ref = per_oct[_MID]
    if ref is None:
        return tuple(None for _ in per_oct)
    return tuple(None if v is None else float(v - ref) for v in per_oct)
