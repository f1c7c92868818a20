"""The one orchestrator: decode once, stream blocks through every measure, share the spectral pass.

Memory is bounded by the block size: blocks are fed to the loudness, dynamics, stereo and frame
accumulators and dropped; only per-frame reductions (~100 floats a frame) outlive the block.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from core.audio import DEFAULT_BLOCK_FRAMES, DEFAULT_MAX_DURATION_S, Source, open_audio
from core.dynamics import DynamicsAccumulator
from core.errors import InvalidAudio
from core.frames import FrameAccumulator, mono_downmix
from core.loudness import LoudnessAccumulator
from core.patterns import detect_patterns
from core.quality import assess_quality
from core.results import AudioSummary, TrackAnalysis
from core.rhythm import estimate_rhythm
from core.spectrum import measure_spectrum
from core.stereo import StereoAccumulator
from core.structure import detect_sections
from core.tonal import estimate_key, floor_tonalness

#: Bump whenever any measure's output can change: it is part of every cache key.
#: 1.8: dynamics.noise_floor_tonalness; 1.8.1: clipped_percent of all samples; 1.8.2: tempo None for
#: silence (even with a bpm_hint), lone pulses (a kick on 1 and 3) read, noise and steady tones not.
ANALYZER_VERSION = "1.8.2"

ProgressCallback = Callable[[float, str], None]


@dataclass(frozen=True)
class AnalysisParams:
    """Parameters that change results (and so the cache key)."""

    max_duration_s: float = DEFAULT_MAX_DURATION_S
    #: The tempo the caller declares (a DAW session's BPM): core.rhythm refines it instead of guessing.
    bpm_hint: float | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def sha256_of(source: Source) -> str:
    """Content hash: of the file's bytes, or of the samples and rate for arrays."""
    h = hashlib.sha256()
    if isinstance(source, tuple):
        y, sr = source
        h.update(f"array:{int(sr)}:{np.asarray(y).shape}".encode())
        h.update(np.ascontiguousarray(y, dtype=np.float32).tobytes())
    elif isinstance(source, bytes | bytearray | memoryview):
        h.update(source)
    else:
        try:
            with open(os.fspath(source), "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
        except OSError as exc:
            raise InvalidAudio(f"{Path(os.fspath(source)).name} cannot be read: {exc.strerror}") from exc
    return h.hexdigest()


def cache_key(sha256: str, params: AnalysisParams = AnalysisParams()) -> str:
    """The key a result is cached under: a pure function of content, parameters and analyser version."""
    payload = json.dumps(
        {"sha256": sha256, "params": params.to_dict(), "version": ANALYZER_VERSION}, sort_keys=True
    )
    return "analysis:v" + ANALYZER_VERSION + ":" + hashlib.sha256(payload.encode()).hexdigest()


def analyze(
    source: Source,
    *,
    name: str | None = None,
    params: AnalysisParams = AnalysisParams(),
    sha256: str | None = None,
    on_progress: ProgressCallback | None = None,
    block_frames: int = DEFAULT_BLOCK_FRAMES,
) -> TrackAnalysis:
    """Analyse one track. Raises a core.errors.CodetteError subclass for bad input.

    Parameters
    ----------
    source : path, bytes or (y, sr)
    name : str, optional
        Shown in results and messages; defaults to the file name.
    sha256 : str, optional
        The content hash when the caller already knows it (the worker does); computed otherwise.
    on_progress : callable(fraction, stage), optional
        Called as decoding proceeds (0-0.8) and after each stage.
    """
    if name is None:
        name = Path(os.fspath(source)).name if isinstance(source, str | os.PathLike) else "track"
    report = on_progress or (lambda fraction, stage: None)

    # Two lanes: the spectral pass runs on a helper thread while this thread does loudness, true
    # peak, dynamics and stereo on the same block (numpy and scipy.fft release the GIL). At most
    # two blocks are alive at once, so memory stays bounded by the block size.
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="codette-spectral") as lane,
        open_audio(source, max_duration_s=params.max_duration_s, name=name) as reader,
    ):
        hashing = None if sha256 else lane.submit(sha256_of, source)
        info = reader.info
        loudness_acc = LoudnessAccumulator(sr=info.sr, layout=info.layout)
        dynamics_acc = DynamicsAccumulator(sr=info.sr, layout=info.layout)
        stereo_acc = StereoAccumulator(sr=info.sr) if info.channels >= 2 else None
        frame_acc = FrameAccumulator(info.sr)
        spectral: Future[None] | None = None
        done = 0
        report(0.0, "decoding")
        for block in reader.blocks(block_frames):
            mono = mono_downmix(block, info.layout)
            if spectral is not None:
                spectral.result()
            spectral = lane.submit(frame_acc.update, mono)
            loudness_acc.update(block)
            dynamics_acc.update(block)
            if stereo_acc is not None:
                stereo_acc.update(block[:2])
            done += block.shape[1]
            if info.frames:  # 0 when the container does not say how long it is
                report(0.8 * min(done / info.frames, 1.0), "measuring")
        if spectral is not None:
            spectral.result()
        digest = sha256 or (hashing.result() if hashing else sha256_of(source))

    loudness = loudness_acc.result()
    dynamics = dynamics_acc.result()
    stereo = stereo_acc.result() if stereo_acc is not None else None
    frames = frame_acc.result()
    dynamics = replace(dynamics, noise_floor_tonalness=floor_tonalness(frames))
    spectrum = measure_spectrum(frames)
    report(0.85, "rhythm")
    rhythm = estimate_rhythm(frames, bpm_hint=params.bpm_hint)
    report(0.9, "tonal")
    tonal = estimate_key(frames)
    structure = detect_sections(frames, rhythm=rhythm)
    patterns = detect_patterns(frames, rhythm=rhythm, tonal=tonal, dynamics=dynamics)
    report(0.95, "quality")
    quality = assess_quality(
        loudness=loudness,
        spectrum=spectrum,
        dynamics=dynamics,
        stereo=stereo,
        frames=frames,
        channels=info.channels,
    )
    result = TrackAnalysis(
        name=name,
        cache_key=cache_key(digest, params),
        analyzer_version=ANALYZER_VERSION,
        audio=AudioSummary(
            sr=info.sr,
            channels=info.channels,
            frames=reader.frames_read,  # what was decoded: a header's count can be an estimate
            duration_s=reader.frames_read / info.sr,
            format=info.format,
            subtype=info.subtype,
            layout=info.layout,
        ),
        loudness=loudness,
        spectrum=spectrum,
        dynamics=dynamics,
        stereo=stereo,
        rhythm=rhythm,
        tonal=tonal,
        structure=structure,
        patterns=patterns,
        quality=quality,
        params=params.to_dict(),
    )
    report(1.0, "done")
    return result
