"""Build TrackAnalysis objects with chosen spectra, activity and levels (known truth for the tests).

The spectrum is given as 1/3-octave levels (dB); band energies and band curves follow from it, so
every field the suggestion and session rules read is consistent with every other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from core.bands import BAND_NAMES, BANDS, THIRD_OCTAVE_CENTRES_HZ
from core.filters import peak_response_db
from core.results import (
    AudioSummary,
    BandCurves,
    BandEnergy,
    Curve,
    DynamicsResult,
    LoudnessResult,
    PatternsResult,
    QualityResult,
    RhythmResult,
    SpectrumResult,
    StereoResult,
    StructureResult,
    ThirdOctaveLevel,
    TonalResult,
    TrackAnalysis,
)
from core.suggestions.model import Suggestion

HOP_S = 0.5
FLOOR_DB = -120.0


def spectrum(*parts: tuple[float, float, float], floor_db: float = FLOOR_DB) -> dict[float, float]:
    """1/3-octave levels: each part (low_hz, high_hz, level_db) sets the centres in [low, high]."""
    power = {c: 10 ** (floor_db / 10) for c in THIRD_OCTAVE_CENTRES_HZ}
    for lo, hi, level in parts:
        for c in THIRD_OCTAVE_CENTRES_HZ:
            if lo <= c <= hi:
                power[c] += 10 ** (level / 10)
    return {c: float(10 * np.log10(p)) for c, p in power.items()}


def band_levels(third_octave_db: Mapping[float, float]) -> np.ndarray:
    """Band energies (dB) from 1/3-octave levels: power sum of the centres inside each band."""
    out = []
    for b in BANDS:
        p = sum(10 ** (v / 10) for c, v in third_octave_db.items() if b.low_hz <= c < b.high_hz)
        out.append(10 * np.log10(p) if p > 0 else FLOOR_DB)
    return np.array(out)


def with_bell(
    third_octave_db: Mapping[float, float], freq_hz: float, gain_db: float, q: float
) -> dict[float, float]:
    """The 1/3-octave levels after an RBJ peaking bell (what core.render applies), at 44.1 kHz."""
    centres = np.array(sorted(third_octave_db))
    response = peak_response_db(centres, freq_hz, gain_db, q, sr=44100.0)
    return {float(c): third_octave_db[c] + float(r) for c, r in zip(centres, response, strict=True)}


def cut_applied(track_id: str, third_octave_db: Mapping[float, float], cut: Suggestion) -> TrackAnalysis:
    """The track's analysis after ``cut`` (an eq_cut: freq_hz, gain_db, q) on these 1/3-octave levels."""
    p = cut.parameters
    return make_analysis(
        track_id,
        third_octave_db=with_bell(third_octave_db, p["freq_hz"], p["gain_db"], p["q"]),
    )


def activity(
    duration_s: float, spans: Iterable[tuple[float, float]] | None, *, hop_s: float = HOP_S
) -> np.ndarray:
    """Boolean per frame: inside any (start_s, end_s) span (everywhere when spans is None)."""
    t = np.arange(round(duration_s / hop_s)) * hop_s
    if spans is None:
        return np.ones(t.size, dtype=bool)
    on = np.zeros(t.size, dtype=bool)
    for s, e in spans:
        on |= (t >= s) & (t < e)
    return on


def make_analysis(
    name: str = "track",
    *,
    third_octave_db: Mapping[float, float] | None = None,
    band_curves_db: np.ndarray | None = None,
    spans: Sequence[tuple[float, float]] | None = None,
    ramp_db: np.ndarray | None = None,
    duration_s: float = 60.0,
    hop_s: float = HOP_S,
    integrated_lufs: float | None = -18.0,
    true_peak_dbtp: float | None = -3.0,
    sample_peak_dbfs: float | None = None,
    range_lu: float | None = 5.0,
    rms_dbfs: float | None = -20.0,
    crest_factor_db: float | None = 12.0,
    clipped_samples: int = 0,
    dc_offset: float = 0.0,
    noise_floor_dbfs: float | None = -90.0,
    silence_ratio: float = 0.0,
    noise_floor_steady: float | None = None,
    stereo: StereoResult | None = None,
    tempo_bpm: float | None = None,
    tempo_confidence: float = 0.0,
) -> TrackAnalysis:
    """A TrackAnalysis whose measurements are the ones given.

    band_curves_db : (7, n) dB (nan = silent), or built from the spectrum's band energies while
        ``spans`` are active, plus ``ramp_db`` (per frame) when given.
    """
    tod = dict(third_octave_db or spectrum((100, 5000, -30.0)))
    levels = band_levels(tod)
    if band_curves_db is None:
        on = activity(duration_s, spans, hop_s=hop_s)
        add = np.zeros(on.size) if ramp_db is None else np.asarray(ramp_db, dtype=float)[: on.size]
        band_curves_db = np.where(on[None, :], levels[:, None] + add[None, :], np.nan)
    curves = np.asarray(band_curves_db, dtype=float)
    n = curves.shape[1]
    power = np.nan_to_num(10 ** (curves / 10), nan=0.0)
    mean_p = power.mean(axis=1)
    total = float(mean_p.sum())
    bands = tuple(
        BandEnergy(
            b.name,
            b.low_hz,
            b.high_hz,
            float(10 * np.log10(p)) if p > 0 else None,
            float(p / total) if total > 0 else 0.0,
        )
        for b, p in zip(BANDS, mean_p, strict=True)
    )
    frame_p = power.sum(axis=0)
    active_p = frame_p[frame_p > 0]
    ref = float(active_p.mean()) if active_p.size else 1.0
    st = tuple(
        None if p <= 0 or integrated_lufs is None else float(integrated_lufs + 10 * np.log10(p / ref))
        for p in frame_p
    )
    peak = (
        sample_peak_dbfs
        if sample_peak_dbfs is not None
        else (None if true_peak_dbtp is None else true_peak_dbtp - 0.3)
    )
    plr = None if true_peak_dbtp is None or integrated_lufs is None else true_peak_dbtp - integrated_lufs
    return TrackAnalysis(
        name=name,
        cache_key=f"test:{name}",
        analyzer_version="test",
        audio=AudioSummary(
            44100,
            1 if stereo is None else 2,
            int(n * hop_s * 44100),
            n * hop_s,
            "WAV",
            "PCM_24",
            ("M",) if stereo is None else ("L", "R"),
        ),
        loudness=LoudnessResult(
            integrated_lufs, range_lu, None, None, true_peak_dbtp, peak, plr, Curve(hop_s, st)
        ),
        spectrum=SpectrumResult(
            bands=bands,
            centroid_hz=None,
            rolloff_hz=None,
            flatness=None,
            tilt_db_per_octave=None,
            third_octave=tuple(ThirdOctaveLevel(float(c), float(v)) for c, v in sorted(tod.items())),
            band_curves=BandCurves(
                hop_s,
                BAND_NAMES,
                tuple(tuple(None if np.isnan(v) else float(v) for v in row) for row in curves),
            ),
        ),
        dynamics=DynamicsResult(
            rms_dbfs,
            peak,
            crest_factor_db,
            10.0,
            clipped_samples,
            dc_offset,
            silence_ratio,
            noise_floor_dbfs,
            noise_floor_steady=noise_floor_steady,
        ),
        stereo=stereo,
        rhythm=RhythmResult(tempo_bpm, tempo_confidence, (), (), 0.0),
        tonal=TonalResult(None, 0.0, (0.0,) * 12, 0.0),
        structure=StructureResult(()),
        patterns=PatternsResult(0.0, 0.0, 0.0, 0.0, ()),
        quality=QualityResult(100, ()),
    )


def track(
    track_id: str,
    type_: str,
    *,
    name: str | None = None,
    volume_db: float = 0.0,
    pan: float = 0.0,
    inserts: Sequence[str] = (),
    muted: bool = False,
) -> dict:
    """A track entry of the stored session document."""
    return {
        "track_id": track_id,
        "name": name or track_id,
        "type": type_,
        "sha256": "0" * 64,
        "volume_db": volume_db,
        "pan": pan,
        "inserts": list(inserts),
        "muted": muted,
    }


# Typical spectra (1/3-octave dB) of the instruments the tests use.
VOCAL = spectrum((125, 3150, -24.0), (4000, 8000, -38.0))
PAD = spectrum((160, 4000, -30.0))
KICK = spectrum((40, 100, -14.0), (2500, 4000, -34.0))
BASS = spectrum((40, 400, -18.0), (500, 1000, -40.0))
GUITAR = spectrum((100, 5000, -28.0))
DRUMS = spectrum((50, 12500, -26.0))
HATS = spectrum((6300, 16000, -26.0))
LOW_MID_BAND = spectrum((250, 400, -20.0))


def muddy_session_entries() -> list[tuple[dict, TrackAnalysis]]:  # type: ignore[type-arg]
    """A guitar and a pad built to mask each other at 250-400 Hz, over a kick and hats.

    The one "muddy mix" used by the Ask Codette tests (core and API) and bench/bench_ask.py.
    """
    return [
        (track("gtr", "guitar", name="Rhythm Gtr"),
         make_analysis("gtr", third_octave_db=spectrum((250, 400, -20.0), (1000, 3000, -30.0)))),
        (track("pad", "pad", name="Warm Pad"),
         make_analysis("pad", third_octave_db=spectrum((250, 400, -21.0), (1000, 3000, -45.0)))),
        (track("kick", "kick"), make_analysis("kick", third_octave_db=spectrum((31.5, 50, -14.0)))),
        (track("hats", "drums", name="Hats"), make_analysis("hats", third_octave_db=HATS)),
    ]  # fmt: skip
