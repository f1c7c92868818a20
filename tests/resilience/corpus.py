"""Hostile and broken audio files, built in memory with seeded RNGs: ``CORPUS[name] = (bytes, codes)``
where ``codes`` are the error codes a clear refusal may carry for that file."""

from __future__ import annotations

import io
import struct

import numpy as np
import soundfile as sf

from tests.conftest import wav_bytes

INVALID = {"invalid_audio", "empty_audio", "corrupt_audio", "unsupported_format"}


def _wav(y: np.ndarray, sr: int, subtype: str = "PCM_16", fmt: str = "WAV") -> bytes:
    buf = io.BytesIO()
    sf.write(buf, y, sr, format=fmt, subtype=subtype)
    return buf.getvalue()


def _riff(*, channels: int, sr: int, bits: int = 16, data_size: int = 0, data: bytes = b"") -> bytes:
    """A hand-made PCM WAV header (any values, however wrong) followed by ``data``."""
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 1, channels, sr, sr * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", data_size)
    return b"RIFF" + struct.pack("<I", min(0xFFFFFFFF, 4 + len(body) + data_size)) + body + data


def _flac_declaring(total_samples: int) -> bytes:
    """A tiny valid FLAC whose STREAMINFO claims ``total_samples`` (36 bits) at 8 kHz."""
    raw = bytearray(_wav(np.zeros(8000, dtype=np.float32), 8000, fmt="FLAC"))
    # STREAMINFO body starts at 8; its bytes 13..17 hold 4 bits of bits-per-sample and 36 of total samples.
    at = 8 + 13
    raw[at] = (raw[at] & 0xF0) | ((total_samples >> 32) & 0x0F)
    raw[at + 1 : at + 5] = struct.pack(">I", total_samples & 0xFFFFFFFF)
    return bytes(raw)


def _silence_flac(seconds: float, sr: int = 8000) -> bytes:
    """Hours of digital silence compress to almost nothing in FLAC: a small upload, a long decode."""
    buf = io.BytesIO()
    with sf.SoundFile(buf, "w", samplerate=sr, channels=1, format="FLAC", subtype="PCM_16") as f:
        block = np.zeros(sr * 60, dtype=np.int16)
        for _ in range(int(seconds // 60)):
            f.write(block)
    return buf.getvalue()


def build_corpus(*, max_duration_s: float) -> dict[str, tuple[bytes, set[str]]]:
    rng = np.random.default_rng(6)
    good = wav_bytes(seconds=1.0, seed=6)
    noise = rng.standard_normal(22_050).astype(np.float32) * 0.1
    nan, inf = noise.copy(), noise.copy()
    nan[1000], inf[2000] = np.nan, np.inf
    random_bytes = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    mp3_garbage = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + random_bytes
    return {
        "empty.wav": (b"", {"empty_audio"}),
        "truncated-header.wav": (good[:20], INVALID),
        "random-bytes.wav": (b"\x00" + random_bytes, {"unsupported_format"}),
        "notes.txt": (b"these are my mixing notes, not audio\n" * 20, {"unsupported_format"}),
        "nan.wav": (_wav(nan, 22_050, "FLOAT"), {"non_finite_samples"}),
        "inf.wav": (_wav(inf, 22_050, "FLOAT"), {"non_finite_samples"}),
        "one-sample.wav": (_wav(np.zeros(1, dtype=np.float32), 22_050), {"invalid_audio"}),
        "zero-channels.wav": (_riff(channels=0, sr=44_100, data_size=4, data=b"\0" * 4),
                              INVALID | {"unsupported_channels"}),
        "nine-channels.wav": (_wav(np.zeros((4410, 9), dtype=np.float32), 44_100), {"unsupported_channels"}),
        "384khz.wav": (_wav(np.zeros(38_400, dtype=np.float32), 384_000), {"unsupported_sample_rate"}),
        "garbage.mp3": (mp3_garbage, INVALID),
        "declares-2gb.wav": (_riff(channels=2, sr=44_100, data_size=2_000_000_000), INVALID),
        "declares-days.flac": (_flac_declaring(8000 * 3600 * 24 * 30), {"audio_too_long"}),
        "hours-of-silence.flac": (_silence_flac(max_duration_s + 120), {"audio_too_long"}),
    }  # fmt: skip
