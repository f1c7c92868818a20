"""The analysis result schema: frozen dataclasses, and the one JSON converter for all of them.

Field names are part of the public API (clients rely on them); units are in the names.
Silence or too-short input gives ``None``, never NaN or inf. ``to_dict`` refuses non-finite floats,
so a measure that lets one through fails loudly in tests instead of emitting invalid JSON.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import numpy as np

SCHEMA_VERSION = 1

Severity = Literal["info", "warning", "critical"]
T = TypeVar("T")


@dataclass(frozen=True)
class Curve:
    """A regularly sampled curve: ``values[i]`` at ``start_s + i * hop_s``; None where undefined."""

    hop_s: float
    values: tuple[float | None, ...]
    start_s: float = 0.0


@dataclass(frozen=True)
class LoudnessResult:
    """EBU R128 / ITU-R BS.1770-4 loudness; EBU Tech 3342 loudness range."""

    integrated_lufs: float | None
    range_lu: float | None
    momentary_max_lufs: float | None
    short_term_max_lufs: float | None
    true_peak_dbtp: float | None
    sample_peak_dbfs: float | None
    plr_db: float | None
    short_term_curve: Curve
    true_peak_per_channel_dbtp: tuple[float | None, ...] = ()


@dataclass(frozen=True)
class BandEnergy:
    name: str
    low_hz: float
    high_hz: float
    energy_db: float | None
    share: float


@dataclass(frozen=True)
class ThirdOctaveLevel:
    centre_hz: float
    level_db: float | None


@dataclass(frozen=True)
class BandCurves:
    """Band energies over time, (7, n) in dB (None = silent), for masking and arrangement."""

    hop_s: float
    names: tuple[str, ...]
    values_db: tuple[tuple[float | None, ...], ...]


@dataclass(frozen=True)
class SpectrumResult:
    bands: tuple[BandEnergy, ...]
    centroid_hz: float | None
    rolloff_hz: float | None
    flatness: float | None
    tilt_db_per_octave: float | None
    third_octave: tuple[ThirdOctaveLevel, ...]
    band_curves: BandCurves


@dataclass(frozen=True)
class DynamicsResult:
    rms_dbfs: float | None
    peak_dbfs: float | None
    crest_factor_db: float | None
    dynamic_range_db: float | None
    clipped_samples: int
    dc_offset: float
    silence_ratio: float
    noise_floor_dbfs: float | None
    #: How far the loudest 1 % of 50 ms moments rise above the 75th percentile (dB), over the
    #: windows within 30 dB of the loudest: what heavy compression flattens (core.dynamics).
    loud_spread_db: float | None = None
    #: Share (0-1) of the windows at the noise floor (within NOISE_FLOOR_STEADY_DB of it) that lie in
    #: runs of at least 0.5 s: a steady floor (hiss, hum, room noise between phrases) rather than
    #: the decays of notes and hits passing through that level (core.dynamics).
    noise_floor_steady: float | None = None
    #: Mean tonalness (0 noise - 1 chords, core.tonal.frame_tonalness) of the analysis frames at the
    #: track's own floor (within 3 dB of their 10th percentile): hiss reads near 0, a soft held
    #: note near 1 (core.tonal.floor_tonalness). A tonal floor is the part playing quietly.
    noise_floor_tonalness: float | None = None


@dataclass(frozen=True)
class StereoResult:
    correlation: float | None
    width: float | None
    balance_db: float | None
    mono_loss_db: float | None


@dataclass(frozen=True)
class TempoAlternative:
    """Half or double the tempo, with its strength relative to the tempo's (0-1)."""

    bpm: float
    relation: Literal["half", "double"]
    strength: float


@dataclass(frozen=True)
class RhythmResult:
    tempo_bpm: float | None
    tempo_confidence: float
    beats_s: tuple[float, ...]
    onsets_s: tuple[float, ...]
    onset_rate_hz: float
    tempo_alternatives: tuple[TempoAlternative, ...] = ()
    #: "estimated", or "prior" when the caller's tempo (bpm_hint) was refined and kept.
    tempo_source: str = "estimated"


@dataclass(frozen=True)
class TonalResult:
    key: str | None
    key_confidence: float
    chroma: tuple[float, ...]
    tonalness: float
    #: The key's Camelot wheel code ("8B" for C major, "8A" for A minor); None with no key.
    camelot: str | None = None
    #: Why ``key`` is None ("silence", "unpitched"); None when there is a key.
    key_reason: str | None = None


@dataclass(frozen=True)
class Section:
    start_s: float
    end_s: float
    label: str


@dataclass(frozen=True)
class StructureResult:
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class PatternsResult:
    rhythmic: float
    tonal: float
    percussive: float
    sustained: float
    detected: tuple[str, ...]


@dataclass(frozen=True)
class QualityIssue:
    code: str
    severity: Severity
    message: str
    evidence: dict[str, float | int | str | None]
    fix: str


@dataclass(frozen=True)
class QualityResult:
    score: int
    issues: tuple[QualityIssue, ...]


@dataclass(frozen=True)
class AudioSummary:
    sr: int
    channels: int
    frames: int
    duration_s: float
    format: str
    subtype: str
    layout: tuple[str, ...]


@dataclass(frozen=True)
class TrackAnalysis:
    """Everything Codette measures about one track; a pure function of (content, params, version)."""

    name: str
    cache_key: str
    analyzer_version: str
    audio: AudioSummary
    loudness: LoudnessResult
    spectrum: SpectrumResult
    dynamics: DynamicsResult
    stereo: StereoResult | None
    rhythm: RhythmResult
    tonal: TonalResult
    structure: StructureResult
    patterns: PatternsResult
    quality: QualityResult
    schema_version: int = SCHEMA_VERSION
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        plain: dict[str, Any] = to_dict(self)
        return plain

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrackAnalysis:
        return from_dict(cls, data)


# --- the one converter -------------------------------------------------------------------------


_JSON_SCALARS = frozenset({float, int, str, bool, type(None)})


def _plain(value: Any, path: str) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name), f"{path}.{f.name}") for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list | tuple):
        if all(type(v) in _JSON_SCALARS for v in value):  # fast path: curves, beats, chroma
            for i, v in enumerate(value):
                if type(v) is float and not math.isfinite(v):
                    raise ValueError(f"{path}[{i}] is {v}; results must be finite (use None)")
            return list(value)
        return [_plain(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        if not math.isfinite(v):
            raise ValueError(f"{path} is {v}; results must be finite (use None)")
        return v
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"{path} has type {type(value).__name__}, which is not JSON")


def to_dict(obj: Any) -> Any:
    """JSON-clean dict of a result dataclass (tuples become lists)."""
    return _plain(obj, type(obj).__name__)


_PRIMITIVES = (int, float, str, bool, type(None))


def _is_primitive(tp: Any) -> bool:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return all(_is_primitive(a) for a in typing.get_args(tp))
    return tp in _PRIMITIVES or tp is Any or typing.get_origin(tp) is Literal


@functools.cache
def _builder(tp: Any) -> Callable[[Any], Any]:
    """A function turning JSON for type ``tp`` into its value, built once per type.

    Rebuilding a cached analysis is on the session step's path (16 tracks, ~80 KB of JSON each),
    so the type walk happens once per type, and tuples of numbers are copied without a per-item call.
    """
    origin = typing.get_origin(tp)
    if _is_primitive(tp) or origin is dict:
        return lambda value: value
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        inner = _builder(args[0]) if len(args) == 1 else (lambda value: value)
        return lambda value: None if value is None else inner(value)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return functools.partial(from_dict, tp)
    if origin is tuple:
        items = typing.get_args(tp)
        item_type = items[0] if items else Any
        if _is_primitive(item_type):
            return tuple
        build_item = _builder(item_type)
        return lambda value: tuple(build_item(v) for v in value)
    return lambda value: value


@functools.cache
def _field_builders(cls: type) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    hints = typing.get_type_hints(cls)
    return tuple((f.name, _builder(hints[f.name])) for f in dataclasses.fields(cls))


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild a result dataclass from ``to_dict`` output (unknown keys are ignored)."""
    builders = _field_builders(cls)  # type: ignore[arg-type]  # classes are hashable
    kwargs = {name: build(data[name]) for name, build in builders if name in data}
    return cls(**kwargs)


def db(power_or_amp: float, *, power: bool = True, floor: float = 1e-20) -> float | None:
    """10·log10 (power) or 20·log10 (amplitude); None at or below ``floor`` (silence)."""
    if not power_or_amp > floor:
        return None
    return float((10.0 if power else 20.0) * np.log10(power_or_amp))
