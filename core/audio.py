"""Decoding and validation: the only file I/O in core.

Audio is never loaded whole. ``open_audio`` validates the header and yields float32 blocks of shape
``(channels, n)``, so every measure runs in memory bounded by the block size, not the duration.
Sources: a path, the file's bytes, or an ``(y, sr)`` array pair for in-process callers.

Decode cost is bounded before analysis: a declared duration past the limit is refused before the first
sample; a stream whose header does not state its length is first decoded without analysis (streaming
speed) to count its frames, stopped at the limit; and decoding must keep up ``min_decode_speed`` times
real time (after a short grace), else DecodeTooSlow.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import soundfile as sf

from core.errors import (
    AudioTooLong,
    CorruptAudio,
    DecodeTooSlow,
    EmptyAudio,
    InvalidAudio,
    InvalidParameter,
    NonFiniteSamples,
    UnsupportedChannels,
    UnsupportedFormat,
    UnsupportedSampleRate,
)

MIN_SR = 8_000
MAX_SR = 192_000
MAX_CHANNELS = 8
MIN_DURATION_S = 0.05
DEFAULT_MAX_DURATION_S = 30 * 60.0
DEFAULT_BLOCK_FRAMES = 1 << 17
#: Decoding must run at least this many times real time (libsndfile decodes FLAC at several hundred x,
#: WAV at thousands x on one core; 10x still bounds a 30-minute file to 3 minutes of worker time).
DEFAULT_MIN_DECODE_SPEED = 10.0
#: Decode time allowed before the speed is judged (library start-up, a cold page cache).
DECODE_GRACE_S = 2.0
#: A frame count at or above this means "unknown" (libsndfile's SF_COUNT_MAX for streamed FLAC).
UNKNOWN_LENGTH = 1 << 62
#: Containers we accept (libsndfile's format names).
SUPPORTED_FORMATS = frozenset({"WAV", "WAVEX", "RF64", "W64", "AIFF", "FLAC", "OGG", "MP3", "CAF"})

#: Channel order by channel count (WAVE_FORMAT_EXTENSIBLE order; 5.0 = L R C Ls Rs, 5.1 = L R C LFE Ls Rs).
CHANNEL_LAYOUTS: dict[int, tuple[str, ...]] = {
    1: ("M",),
    2: ("L", "R"),
    3: ("L", "R", "C"),
    4: ("L", "R", "Ls", "Rs"),
    5: ("L", "R", "C", "Ls", "Rs"),
    6: ("L", "R", "C", "LFE", "Ls", "Rs"),
    7: ("L", "R", "C", "LFE", "Cs", "Ls", "Rs"),
    8: ("L", "R", "C", "LFE", "Lrs", "Rrs", "Ls", "Rs"),
}

Source = str | os.PathLike[str] | bytes | tuple[np.ndarray, int]

#: Leading bytes of the containers we decode (MP3 may start with an ID3 tag or a frame sync).
_MAGIC = (b"RIFF", b"RIFX", b"RF64", b"BW64", b"riff", b"FORM", b"fLaC", b"OggS", b"ID3", b"caff")


def _looks_like_audio(head: bytes) -> bool:
    if head.startswith(_MAGIC):
        return True
    return len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0  # MPEG frame sync


@dataclass(frozen=True)
class AudioInfo:
    """What the header (or the array) says, validated."""

    sr: int
    channels: int
    frames: int
    format: str
    subtype: str
    layout: tuple[str, ...]

    @property
    def duration_s(self) -> float:
        return self.frames / self.sr

    def to_dict(self) -> dict[str, object]:
        return {
            "sr": self.sr,
            "channels": self.channels,
            "frames": self.frames,
            "duration_s": round(self.duration_s, 6),
            "format": self.format,
            "subtype": self.subtype,
            "layout": list(self.layout),
        }


def _check_layout(*, sr: int, channels: int, frames: int | None, max_duration_s: float, what: str) -> None:
    """Validate the header; ``frames`` None means the container does not say (checked while decoding)."""
    if channels < 1:
        raise UnsupportedChannels(f"{what} has {channels} channels; at least 1 is needed")
    if channels > MAX_CHANNELS:
        raise UnsupportedChannels(f"{what} has {channels} channels; at most {MAX_CHANNELS} are supported")
    if not MIN_SR <= sr <= MAX_SR:
        raise UnsupportedSampleRate(f"{what} has sample rate {sr} Hz; supported is {MIN_SR}-{MAX_SR} Hz")
    if frames is None:
        return
    if frames <= 0:
        raise EmptyAudio(f"{what} contains no samples")
    duration = frames / sr
    if duration < MIN_DURATION_S:
        raise InvalidAudio(
            f"{what} is too short: {frames} samples ({duration:.4f} s); at least {MIN_DURATION_S} s is needed"
        )
    if duration > max_duration_s:
        raise AudioTooLong(f"{what} lasts {duration:.1f} s; the limit is {max_duration_s:.0f} s")


def check_finite(block: np.ndarray, *, offset: int, sr: int) -> None:
    """Raise NonFiniteSamples naming the first NaN/Inf sample of a (channels, n) block."""
    if np.isfinite(block).all():
        return
    ch, idx = np.argwhere(~np.isfinite(block))[0]
    kind = "NaN" if np.isnan(block[ch, idx]) else "infinite"
    pos = offset + int(idx)
    raise NonFiniteSamples(f"sample {pos} ({pos / sr:.3f} s) of channel {int(ch) + 1} is {kind}")


class AudioReader:
    """Validated audio: ``info`` plus ``blocks()``. Create with ``open_audio``."""

    def __init__(
        self,
        info: AudioInfo,
        sf_file: sf.SoundFile | None,
        array: np.ndarray | None,
        what: str,
        *,
        max_duration_s: float = DEFAULT_MAX_DURATION_S,
        length_declared: bool = True,
        min_decode_speed: float | None = DEFAULT_MIN_DECODE_SPEED,
        clock: Callable[[], float] = time.perf_counter,
    ):
        self.info = info
        self._file = sf_file
        self._array = array
        self._what = what
        self._max_duration_s = max_duration_s
        self._min_decode_speed = min_decode_speed
        self._clock = clock
        #: False when the header does not state the length (``info.frames`` is then 0 or a decoded count).
        self.length_declared = length_declared
        #: Frames actually decoded so far (the header's count can be an estimate, or absent).
        self.frames_read = 0
        #: Seconds spent inside the decoder so far (not in the caller's work between blocks).
        self.decode_s = 0.0

    def blocks(self, block_frames: int = DEFAULT_BLOCK_FRAMES) -> Iterator[np.ndarray]:
        """Yield float32 blocks of shape (channels, n), checked for NaN/Inf; once per reader."""
        if block_frames <= 0:
            raise InvalidParameter(f"block_frames={block_frames} must be positive")
        sr = self.info.sr
        if self._array is not None:
            for start in range(0, self._array.shape[1], block_frames):
                block = self._array[:, start : start + block_frames]
                check_finite(block, offset=start, sr=sr)
                self.frames_read = start + block.shape[1]
                yield block
            return
        assert self._file is not None
        offset = 0
        unknown_length = not self.length_declared
        ended = False
        while not ended:
            buffer = np.full((block_frames, self.info.channels), np.nan, dtype=np.float32)
            started = self._clock()
            try:
                data = self._file.read(out=buffer, always_2d=True)
            except (sf.LibsndfileError, RuntimeError, ValueError) as exc:
                # With no length in the header, libsndfile decodes the last partial block and then
                # fails to seek past it ('psf_fseek'); the decoded rows are in the buffer, and an
                # integer stream (FLAC) has no NaN of its own, so the first NaN row marks the end.
                missing = np.isnan(buffer[:, 0])
                decoded = int(np.argmax(missing)) if missing.any() else block_frames
                if not unknown_length or offset + decoded == 0:
                    raise CorruptAudio(
                        f"{self._what} could not be decoded after {offset} samples: {exc}"
                    ) from exc
                data, ended = buffer[:decoded], True
            finally:
                self.decode_s += self._clock() - started
            if data.shape[0] == 0:
                break
            block = np.ascontiguousarray(data.T)
            check_finite(block, offset=offset, sr=sr)
            offset += block.shape[1]
            self.frames_read = offset
            if offset > self._max_duration_s * sr:
                # The header passed the limit but the stream goes on (no length in the header, or a lie).
                claimed = (
                    f"its header says {self.info.duration_s:.1f} s"
                    if self.length_declared
                    else "no length in its header"
                )
                raise AudioTooLong(
                    f"{self._what} decodes past the limit of {self._max_duration_s:.0f} s ({claimed})"
                )
            self._check_speed(offset)
            yield block
        if offset == 0:
            raise EmptyAudio(f"{self._what} contains no decodable samples")
        if offset < MIN_DURATION_S * sr:
            raise InvalidAudio(
                f"{self._what} is too short: {offset} samples decoded; at least {MIN_DURATION_S} s is needed"
            )

    def _check_speed(self, frames: int) -> None:
        """Raise DecodeTooSlow when decoding ``frames`` took longer than the budget allows."""
        if self._min_decode_speed is None:
            return
        audio_s = frames / self.info.sr
        budget_s = DECODE_GRACE_S + audio_s / self._min_decode_speed
        if self.decode_s > budget_s:
            raise DecodeTooSlow(
                f"{self._what} took {self.decode_s:.1f} s to decode {audio_s:.1f} s of audio; decoding must "
                f"run at least {self._min_decode_speed:g}x real time (after {DECODE_GRACE_S:g} s)"
            )


def _as_array(y: np.ndarray, sr: int) -> np.ndarray:
    try:
        arr = np.asarray(y, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise InvalidAudio(f"samples are not numeric: {exc}") from exc
    if arr.ndim == 1:
        arr = arr[np.newaxis, :]
    if arr.ndim != 2:
        raise InvalidAudio(f"samples must have shape (n,) or (channels, n), not {arr.shape}")
    if not isinstance(sr, int | np.integer) or isinstance(sr, bool):
        raise InvalidParameter(f"sr={sr!r} must be an integer sample rate")
    return np.ascontiguousarray(arr)


@contextmanager
def open_audio(
    source: Source,
    *,
    max_duration_s: float = DEFAULT_MAX_DURATION_S,
    name: str | None = None,
    min_decode_speed: float | None = DEFAULT_MIN_DECODE_SPEED,
    clock: Callable[[], float] = time.perf_counter,
) -> Iterator[AudioReader]:
    """Open and validate ``source``; raise a CodetteError subclass naming any problem.

    Parameters
    ----------
    source : path, bytes, or (y, sr)
        A file path, the file's bytes, or samples of shape (n,) or (channels, n) with their rate.
    max_duration_s : float, keyword-only
        Longer audio raises AudioTooLong before anything is decoded (declared length), or as soon as
        decoding passes it (no declared length: counted here, before the reader is handed out).
    name : str, optional
        How to name the input in messages (defaults to the path's file name).
    min_decode_speed : float or None, keyword-only
        Decoding slower than this multiple of real time (after DECODE_GRACE_S) raises DecodeTooSlow;
        None disables the budget.
    clock : callable, keyword-only
        Monotonic seconds for the decode budget (tests pass a fake one).
    """
    if isinstance(source, tuple):
        y, sr = source
        arr = _as_array(y, sr)
        what = name or "the samples"
        _check_layout(
            sr=int(sr), channels=arr.shape[0], frames=arr.shape[1], max_duration_s=max_duration_s, what=what
        )
        info = AudioInfo(int(sr), arr.shape[0], arr.shape[1], "array", "FLOAT", CHANNEL_LAYOUTS[arr.shape[0]])
        yield AudioReader(info, None, arr, what)
        return

    if isinstance(source, bytes | bytearray | memoryview):
        what = name or "the upload"
        if len(source) == 0:
            raise EmptyAudio(f"{what} is empty (0 bytes)")
        head = bytes(source[:16])
        data = bytes(source)

        def new_handle() -> object:
            return io.BytesIO(data)
    else:
        path = Path(source)
        what = name or path.name
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise InvalidAudio(f"{what} cannot be read: {exc.strerror}") from exc
        if size == 0:
            raise EmptyAudio(f"{what} is empty (0 bytes)")
        with open(path, "rb") as f_head:
            head = f_head.read(16)

        def new_handle() -> object:
            return str(path)

    if not _looks_like_audio(head):
        raise UnsupportedFormat(f"{what} is not a recognised audio file (WAV, AIFF, FLAC, OGG, MP3)")

    try:
        f = sf.SoundFile(new_handle())
    except (sf.LibsndfileError, RuntimeError, ValueError, TypeError) as exc:
        reason = getattr(exc, "error_string", None) or str(exc).rsplit(":", 1)[-1].strip()
        if "recogni" in reason or "not a regular file" in reason:  # libsndfile: no decoder accepts it
            raise UnsupportedFormat(
                f"{what} is not a recognised audio file (WAV, AIFF, FLAC, OGG, MP3)"
            ) from exc
        raise CorruptAudio(f"{what} is corrupt or truncated ({reason})") from exc
    with f:
        if f.format not in SUPPORTED_FORMATS:
            raise UnsupportedFormat(
                f"{what} is {f.format}; supported are WAV, AIFF, FLAC, OGG/Vorbis and MP3"
            )
        frames = int(f.frames)
        known = frames < UNKNOWN_LENGTH  # libsndfile reports SF_COUNT_MAX when the header has no length
        _check_layout(
            sr=int(f.samplerate),
            channels=int(f.channels),
            frames=frames if known else None,
            max_duration_s=max_duration_s,
            what=what,
        )
        info = AudioInfo(
            int(f.samplerate),
            int(f.channels),
            frames if known else 0,
            str(f.format),
            str(f.subtype),
            CHANNEL_LAYOUTS[int(f.channels)],
        )
        limits = (max_duration_s, min_decode_speed, clock)
        if not known:
            # Count the frames at streaming speed (no analysis runs), stopping at the limit.
            with sf.SoundFile(new_handle()) as scan_file:
                scan = _reader(info, scan_file, what, limits, length_declared=False)
                for _ in scan.blocks():
                    pass
            info = replace(info, frames=scan.frames_read)
        yield _reader(info, f, what, limits, length_declared=known)


def _reader(
    info: AudioInfo,
    f: sf.SoundFile,
    what: str,
    limits: tuple[float, float | None, Callable[[], float]],
    *,
    length_declared: bool,
) -> AudioReader:
    max_duration_s, min_decode_speed, clock = limits
    return AudioReader(
        info,
        f,
        None,
        what,
        max_duration_s=max_duration_s,
        length_declared=length_declared,
        min_decode_speed=min_decode_speed,
        clock=clock,
    )


def read_all(source: Source, *, max_duration_s: float = DEFAULT_MAX_DURATION_S) -> tuple[np.ndarray, int]:
    """Decode a whole (short) source to (channels, n) float32; for tests and small inputs only."""
    with open_audio(source, max_duration_s=max_duration_s) as reader:
        blocks = list(reader.blocks())
        return np.concatenate(blocks, axis=1), reader.info.sr
