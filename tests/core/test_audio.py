"""Decoding and validation: every format decodes to the same samples; bad input names its problem."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
import soundfile as sf

from core.audio import CHANNEL_LAYOUTS, DECODE_GRACE_S, open_audio, read_all
from core.errors import (
    AudioTooLong,
    CodetteError,
    CorruptAudio,
    DecodeTooSlow,
    EmptyAudio,
    InvalidAudio,
    NonFiniteSamples,
    UnsupportedChannels,
    UnsupportedFormat,
    UnsupportedSampleRate,
)

SR = 44100


def sine(freq_hz: float = 1000.0, *, seconds: float = 1.0, sr: int = SR, amp: float = 0.5, channels: int = 2):
    t = np.arange(int(seconds * sr)) / sr
    y = (amp * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)
    return np.tile(y, (channels, 1))


def encode(y: np.ndarray, sr: int, fmt: str, subtype: str | None = None) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, y.T, sr, format=fmt, subtype=subtype)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("fmt", "subtype", "tol"),
    [
        ("WAV", "PCM_16", 1e-4),
        ("WAV", "PCM_24", 1e-6),
        ("WAV", "PCM_32", 1e-6),
        ("WAV", "FLOAT", 0.0),
        ("AIFF", "PCM_16", 1e-4),
        ("AIFF", "PCM_24", 1e-6),
        ("FLAC", "PCM_16", 1e-4),
        ("FLAC", "PCM_24", 1e-6),
    ],
)
def test_lossless_formats_decode_to_the_written_samples(fmt, subtype, tol):
    y = sine(seconds=0.5)
    decoded, sr = read_all(encode(y, SR, fmt, subtype))
    assert sr == SR
    assert decoded.dtype == np.float32
    assert decoded.shape == y.shape
    assert np.max(np.abs(decoded - y)) <= tol + 1e-9


@pytest.mark.parametrize(("fmt", "subtype"), [("OGG", "VORBIS"), ("MP3", "MPEG_LAYER_III")])
def test_lossy_formats_decode_with_the_same_level(fmt, subtype):
    y = sine(seconds=1.0, amp=0.5)
    decoded, sr = read_all(encode(y, SR, fmt, subtype))
    assert sr == SR
    assert decoded.shape[0] == 2
    # Codec delay and padding change the length a little, never the level.
    assert abs(decoded.shape[1] - y.shape[1]) < 0.1 * SR
    rms = np.sqrt(np.mean(decoded[:, SR // 10 : -SR // 10] ** 2))
    assert rms == pytest.approx(0.5 / np.sqrt(2), rel=0.05)


@pytest.mark.parametrize("sr", [8000, 22050, 44100, 48000, 96000, 192000])
def test_sample_rates_from_8_to_192_khz(sr):
    with open_audio(encode(sine(seconds=0.2, sr=sr), sr, "WAV", "PCM_24")) as reader:
        assert reader.info.sr == sr
        assert reader.info.frames == int(0.2 * sr)


@pytest.mark.parametrize("channels", sorted(CHANNEL_LAYOUTS))
def test_one_to_eight_channels_with_their_layout(channels):
    with open_audio(encode(sine(seconds=0.2, channels=channels), SR, "WAV", "PCM_16")) as reader:
        assert reader.info.channels == channels
        assert len(reader.info.layout) == channels
    assert CHANNEL_LAYOUTS[5] == ("L", "R", "C", "Ls", "Rs")
    assert CHANNEL_LAYOUTS[6] == ("L", "R", "C", "LFE", "Ls", "Rs")


def test_blocks_cover_the_file_exactly_once():
    y = sine(seconds=1.3)
    with open_audio((y, SR)) as reader:
        blocks = list(reader.blocks(4096))
    assert all(b.shape[0] == 2 for b in blocks)
    assert np.array_equal(np.concatenate(blocks, axis=1), y)


def test_arrays_in_process_accept_mono_vectors():
    with open_audio((sine(seconds=0.2, channels=1)[0], SR)) as reader:
        assert reader.info.channels == 1
        assert reader.info.layout == ("M",)


def _wav_header_only() -> bytes:
    good = encode(sine(seconds=0.5), SR, "WAV", "PCM_16")
    return good[:30]


BAD_INPUTS = {
    "empty file": (b"", EmptyAudio, "empty"),
    "truncated header": (_wav_header_only(), InvalidAudio, "track.wav"),
    "random bytes": (np.random.default_rng(1).bytes(5000), UnsupportedFormat, "not a recognised audio file"),
    "text file": (b"hello, this is not audio\n" * 50, UnsupportedFormat, "not a recognised audio file"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_bytes_raise_one_typed_error_naming_the_problem(case):
    data, error, words = BAD_INPUTS[case]
    with pytest.raises(error) as info, open_audio(data, name="track.wav") as reader:
        list(reader.blocks())
    assert isinstance(info.value, CodetteError)
    assert words in info.value.message
    assert info.value.code


def test_nan_and_inf_samples_are_named_with_their_position():
    y = sine(seconds=0.5)
    y[1, 12345] = np.nan
    with (
        pytest.raises(NonFiniteSamples, match=r"sample 12345 .* channel 2 is NaN"),
        open_audio(encode(y, SR, "WAV", "FLOAT")) as reader,
    ):
        list(reader.blocks(1000))
    y[1, 12345] = np.inf
    with pytest.raises(NonFiniteSamples, match="infinite"), open_audio((y, SR)) as reader:
        list(reader.blocks())


def test_one_sample_file_is_too_short():
    with (
        pytest.raises(InvalidAudio, match=r"too short: 1 samples"),
        open_audio(encode(sine(seconds=1 / SR), SR, "WAV", "PCM_16")),
    ):
        pass


def test_zero_and_nine_channels_are_refused():
    with (
        pytest.raises(UnsupportedChannels, match="9 channels"),
        open_audio((np.zeros((9, SR), np.float32), SR)),
    ):
        pass
    with (
        pytest.raises(UnsupportedChannels, match="0 channels"),
        open_audio((np.zeros((0, SR), np.float32), SR)),
    ):
        pass


def test_384_khz_is_refused_by_rate():
    with (
        pytest.raises(UnsupportedSampleRate, match="384000 Hz"),
        open_audio(encode(sine(seconds=0.1, sr=384000), 384000, "WAV", "PCM_16")),
    ):
        pass


def test_duration_limit_is_checked_before_decoding():
    with (
        pytest.raises(AudioTooLong, match=r"lasts 2.0 s; the limit is 1 s"),
        open_audio(encode(sine(seconds=2.0), SR, "WAV", "PCM_16"), max_duration_s=1.0),
    ):
        pass


def test_wav_header_declaring_2_gb_reads_what_is_there_or_fails_clearly():
    good = bytearray(encode(sine(seconds=0.5), SR, "WAV", "PCM_16"))
    data_at = good.find(b"data")
    struct.pack_into("<I", good, data_at + 4, 0x7FFF_FFF0)
    struct.pack_into("<I", good, 4, 0x7FFF_FFF8)
    try:
        decoded, _ = read_all(bytes(good))
    except CodetteError as exc:
        assert exc.message
    else:
        assert decoded.shape[1] <= int(0.5 * SR)


def test_garbage_in_the_middle_of_an_mp3_never_escapes_as_a_library_error():
    data = bytearray(encode(sine(seconds=2.0), SR, "MP3", "MPEG_LAYER_III"))
    rng = np.random.default_rng(7)
    middle = len(data) // 2
    data[middle : middle + 2000] = rng.bytes(2000)
    try:
        decoded, _ = read_all(bytes(data))
    except CodetteError as exc:
        assert exc.code in {"corrupt_audio", "unsupported_format", "invalid_audio", "empty_audio"}
    else:
        assert np.isfinite(decoded).all()


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(InvalidAudio, match=r"nope\.wav"), open_audio(tmp_path / "nope.wav"):
        pass


def test_corrupt_flac_names_the_file(tmp_path):
    data = bytearray(encode(sine(seconds=1.0), SR, "FLAC", "PCM_16"))
    data[200:] = bytes(len(data) - 200)
    path = tmp_path / "broken.flac"
    path.write_bytes(bytes(data))
    with pytest.raises(CodetteError) as info, open_audio(path) as reader:
        list(reader.blocks())
    assert isinstance(info.value, CorruptAudio | InvalidAudio)
    assert "broken.flac" in info.value.message


def _flac_without_length(seconds: float, *, sr: int = SR, y: np.ndarray | None = None) -> bytes:
    """A FLAC whose STREAMINFO says 'total samples unknown' (0), as streamed encoders write it."""
    data = bytearray(encode(sine(seconds=seconds, sr=sr) if y is None else y, sr, "FLAC", "PCM_16"))
    info = 8  # 'fLaC' + the metadata block header; total samples: low nibble of byte 13 + bytes 14-17
    data[info + 13] &= 0xF0
    data[info + 14 : info + 18] = bytes(4)
    return bytes(data)


def test_the_duration_limit_holds_while_decoding_when_the_header_cannot_tell():
    """A 'zip bomb' FLAC: no length in STREAMINFO, so only decoding can find out how long it is.

    It is refused by open_audio itself, before a reader (and so any analysis) ever sees a block.
    """
    limit = r"decodes past the limit of 1 s \(no length in its header\)"
    with pytest.raises(AudioTooLong, match=limit), open_audio(_flac_without_length(3.0), max_duration_s=1.0):
        pytest.fail("a reader was handed out for audio past the limit")


def test_a_flac_without_a_length_in_its_header_decodes_whole():
    with open_audio(_flac_without_length(2.3)) as reader:
        assert not reader.length_declared
        assert reader.info.frames == int(2.3 * SR)  # counted by decoding before the reader was handed out
        decoded = np.concatenate(list(reader.blocks(4096)), axis=1)
    expected = sine(seconds=2.3)
    assert decoded.shape == expected.shape
    assert np.max(np.abs(decoded - expected)) < 1e-4


def test_a_length_less_flac_ending_on_a_block_boundary_ends_cleanly():
    seconds = 4096 * 20 / SR  # exactly 20 blocks of 4096 frames
    with open_audio(_flac_without_length(seconds)) as reader:
        total = sum(b.shape[1] for b in reader.blocks(4096))
    assert total == 4096 * 20


class StepClock:
    """A fake monotonic clock: every call advances ``step_s`` (each decode call 'takes' one step)."""

    def __init__(self, step_s: float) -> None:
        self.now, self.step_s, self.calls = 0.0, step_s, 0

    def __call__(self) -> float:
        self.calls += 1
        self.now += self.step_s
        return self.now


def _quiet_noise(seconds: float, sr: int, *, seed: int = 14) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (1e-3 * rng.standard_normal((1, int(seconds * sr)))).astype(np.float32)


def test_a_long_low_rate_file_is_refused_by_its_declared_duration_before_decoding():
    """8 kHz mono compresses well: a small upload can declare a long duration. No sample is decoded."""
    data = encode(_quiet_noise(130.0, 8_000), 8_000, "FLAC", "PCM_16")
    clock = StepClock(0.001)
    with (
        pytest.raises(AudioTooLong, match=r"lasts 130\.0 s; the limit is 120 s"),
        open_audio(data, max_duration_s=120.0, clock=clock),
    ):
        pass
    assert clock.calls == 0


def test_a_long_length_less_file_is_stopped_at_the_limit_not_decoded_whole():
    """Without a declared length, decoding stops at the limit: 600 s of audio, a 60 s limit."""
    sr, limit_s, block = 8_000, 60.0, 1 << 17
    data = _flac_without_length(600.0, sr=sr, y=_quiet_noise(600.0, sr))
    clock = StepClock(0.001)
    with (
        pytest.raises(AudioTooLong, match="no length in its header") as info,
        open_audio(data, max_duration_s=limit_s, clock=clock),
    ):
        pytest.fail("a reader was handed out for audio past the limit")
    assert info.value.code == "audio_too_long"
    reads = clock.calls // 2  # the clock is read before and after each decoder call
    assert reads <= limit_s * sr / block + 2  # 5 or 6 blocks, not the 37 of the whole file
    assert reads * block >= limit_s * sr


def test_decoding_slower_than_the_budget_is_refused_with_its_own_code():
    """Each 4096-frame block (0.09 s of audio) 'takes' 0.25 s: 0.37x real time, far below 10x."""
    clock = StepClock(0.25)
    with open_audio(encode(sine(seconds=3.0), SR, "WAV", "PCM_16"), clock=clock) as reader:
        blocks = reader.blocks(4096)
        with pytest.raises(DecodeTooSlow, match=r"at least 10x real time") as info:
            for _ in blocks:
                pass
    assert info.value.code == "decode_too_slow" and info.value.http_status == 422
    # Refused once the grace is spent (9 blocks), long before the file's 33 blocks were decoded.
    assert reader.decode_s <= DECODE_GRACE_S + 0.5
    assert reader.frames_read <= 10 * 4096


def test_decoding_within_the_budget_passes_and_the_budget_can_be_switched_off():
    data = encode(sine(seconds=3.0), SR, "WAV", "PCM_16")
    fast = StepClock(0.0005)  # 1 ms per 4096-frame block: ~90x real time
    with open_audio(data, clock=fast) as reader:
        assert sum(b.shape[1] for b in reader.blocks(4096)) == 3 * SR
    with open_audio(data, clock=StepClock(0.25), min_decode_speed=None) as reader:
        assert sum(b.shape[1] for b in reader.blocks(4096)) == 3 * SR


def test_a_length_less_file_counts_against_the_budget_while_it_is_measured():
    """Blocks of 131072 frames (3 s) that 'take' 1 s each: 3x real time."""
    clock = StepClock(0.5)
    with pytest.raises(DecodeTooSlow), open_audio(_flac_without_length(60.0), clock=clock):
        pytest.fail("a reader was handed out although measuring the length broke the budget")
