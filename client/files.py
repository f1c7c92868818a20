"""What the command line reads from disk: the audio files to upload (named directly, or found
recursively in folders) and the bearer token."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

AUDIO_SUFFIXES = frozenset({".wav", ".wave", ".aif", ".aiff", ".flac", ".ogg", ".oga", ".mp3"})


class NoAudioFiles(ValueError):
    """Nothing to upload; the message names what was searched."""


def collect_audio(paths: Iterable[str | Path]) -> list[Path]:
    """Audio files in ``paths`` (folders searched recursively, sorted); files named directly are kept.

    Raises FileNotFoundError for a path that does not exist and NoAudioFiles when nothing is found.
    """
    found: list[Path] = []
    searched: list[str] = []
    for raw in paths:
        path = Path(raw)
        searched.append(str(path))
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
            )
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    unique = list(dict.fromkeys(p.resolve() for p in found))
    if not unique:
        raise NoAudioFiles(f"no audio files ({', '.join(sorted(AUDIO_SUFFIXES))}) in {', '.join(searched)}")
    return unique


def read_token(token: str | None, token_file: Path | None) -> str:
    """The bearer token: given on the command line, else the first line of ``token_file`` (OSError
    when it cannot be read)."""
    if token is not None:
        return token
    if token_file is None:
        raise FileNotFoundError("no token: give --token or --token-file")
    return token_file.read_text().strip()
