"""The one error tree. Every error has a stable ``code`` and a message that names the bad value.

Library errors (soundfile, numpy, librosa) are translated once, at the boundary, with
``raise ... from exc``; callers never see a traceback from deep inside numpy.
"""

from __future__ import annotations

#: The most characters of a value an error message echoes; a longer one is cut with an ellipsis.
MAX_SHOWN_CHARS = 64


def shown(value: object, *, limit: int = MAX_SHOWN_CHARS) -> str:
    """``repr(value)`` for a message, a string cut to ``limit`` characters (``'abc…'``).

    Messages name the bad value, but a client may send a 10,000-character id: echo enough to recognise it.
    """
    if isinstance(value, str) and len(value) > limit:
        cut = repr(value[:limit])
        return cut[:-1] + "…" + cut[-1]
    text = repr(value)
    return text if len(text) <= limit + 2 else text[:limit] + "…"


class CodetteError(Exception):
    """Root of every error Codette raises on purpose."""

    code = "codette_error"
    #: HTTP status the API answers with when this error reaches a request.
    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class InvalidAudio(CodetteError):
    """The bytes are audio we cannot use (corrupt, truncated, empty, non-finite, ...)."""

    code = "invalid_audio"
    http_status = 422


class EmptyAudio(InvalidAudio):
    code = "empty_audio"


class CorruptAudio(InvalidAudio):
    code = "corrupt_audio"


class NonFiniteSamples(InvalidAudio):
    code = "non_finite_samples"


class UnsupportedFormat(InvalidAudio):
    """Not a container/codec we decode, or a layout outside what we support."""

    code = "unsupported_format"
    http_status = 415


class UnsupportedChannels(UnsupportedFormat):
    code = "unsupported_channels"


class UnsupportedSampleRate(UnsupportedFormat):
    code = "unsupported_sample_rate"


class AudioTooLong(InvalidAudio):
    code = "audio_too_long"
    http_status = 413


class DecodeTooSlow(InvalidAudio):
    """Decoding fell below the per-file budget (a real-time multiple of the audio's duration)."""

    code = "decode_too_slow"
    http_status = 422


class BlobTooLarge(CodetteError):
    code = "file_too_large"
    http_status = 413


class BlobHashMismatch(CodetteError):
    """Stored bytes whose sha256 is not the one they were announced under."""

    code = "hash_mismatch"
    http_status = 422


class StorageUnavailable(CodetteError):
    """The blob storage did not answer (transient: a task may retry)."""

    code = "storage_unavailable"
    http_status = 503


class InvalidParameter(CodetteError):
    """A caller passed a value outside a function's domain (wrong type, range, unknown name)."""

    code = "invalid_parameter"
    http_status = 422


class NotFound(CodetteError):
    code = "not_found"
    http_status = 404


class BlobNotFound(NotFound):
    """A request named a blob its user never uploaded (or whose bytes are gone)."""

    code = "blob_not_found"
