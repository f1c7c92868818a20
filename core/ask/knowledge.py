"""The knowledge base: audio-engineering entries (data/knowledge/*.jsonl, read by store/knowledge.py).

Each line of a ``.jsonl`` file is one entry: ``id``, ``topic``, ``title``, ``text``, ``track_types``,
``tags``, ``bands``, ``problems``, ``measurements`` (the analysis or session fields it relates to,
e.g. ``spectrum.bands.low_mid``, ``quality.mud``, ``session.masking``), ``sources`` (keys of
``sources.json``), optionally ``freq_hz`` [low, high] and ``platform``. The loader validates every
entry against the one vocabulary (bands of core.bands, track types of core.suggestions) and names
the file and line of a bad one. This module only parses what it is given.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from core.bands import BAND_NAMES
from core.errors import InvalidParameter
from core.suggestions.model import TRACK_TYPES

TOPICS = frozenset(
    {"eq", "compression", "reverb", "delay", "loudness", "gain_staging", "stereo", "problem", "term",
     "quality", "session", "mastering", "workflow"}
)  # fmt: skip
_LISTS = ("track_types", "tags", "bands", "problems", "measurements", "sources")


@dataclass(frozen=True)
class KnowledgeEntry:
    id: str
    topic: str
    title: str
    text: str
    track_types: tuple[str, ...]
    tags: tuple[str, ...]
    bands: tuple[str, ...]
    problems: tuple[str, ...]
    measurements: tuple[str, ...]
    sources: tuple[str, ...]
    freq_hz: tuple[float, float] | None = None
    platform: str | None = None

    @property
    def document(self) -> str:
        """The text that is embedded and indexed: title, body and tags."""
        return f"{self.title}. {self.text} ({', '.join(self.tags)})"

    def to_dict(self, *, citations: Mapping[str, str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "topic": self.topic, "title": self.title, "text": self.text,
            "track_types": list(self.track_types), "tags": list(self.tags), "bands": list(self.bands),
            "problems": list(self.problems), "measurements": list(self.measurements),
            "sources": list(self.sources),
        }  # fmt: skip
        if citations is not None:
            out["citations"] = [citations[s] for s in self.sources]
        if self.freq_hz is not None:
            out["freq_hz"] = list(self.freq_hz)
        if self.platform is not None:
            out["platform"] = self.platform
        return out


@dataclass(frozen=True)
class KnowledgeBase:
    entries: tuple[KnowledgeEntry, ...]
    #: source key -> full citation
    citations: Mapping[str, str]
    #: sha256 of the files' bytes: changes whenever an entry does (keys the embedding cache)
    digest: str

    @cached_property
    def by_id(self) -> dict[str, KnowledgeEntry]:
        return {e.id: e for e in self.entries}

    def __len__(self) -> int:
        return len(self.entries)


def _entry(raw: Any, *, where: str, citations: Mapping[str, str]) -> KnowledgeEntry:
    if not isinstance(raw, dict):
        raise InvalidParameter(f"{where}: an entry must be a JSON object")
    for key in ("id", "topic", "title", "text"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise InvalidParameter(f"{where}: {key!r} must be a non-empty string")
    for key in _LISTS:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidParameter(f"{where}: {key!r} must be a list of strings")
    if raw["topic"] not in TOPICS:
        raise InvalidParameter(f"{where}: topic {raw['topic']!r} is not one of {sorted(TOPICS)}")
    bad = [b for b in raw.get("bands", []) if b not in BAND_NAMES]
    bad += [t for t in raw.get("track_types", []) if t not in TRACK_TYPES]
    bad += [s for s in raw.get("sources", []) if s not in citations]
    if bad:
        raise InvalidParameter(f"{where}: unknown band, track type or source {bad}")
    if not raw.get("sources"):
        raise InvalidParameter(f"{where}: an entry needs at least one source")
    freq = raw.get("freq_hz")
    if freq is not None and not (isinstance(freq, list) and len(freq) == 2 and 0 < freq[0] < freq[1]):
        raise InvalidParameter(f"{where}: freq_hz must be [low, high] with 0 < low < high")
    return KnowledgeEntry(
        id=raw["id"], topic=raw["topic"], title=raw["title"], text=raw["text"],
        **{k: tuple(raw.get(k, [])) for k in _LISTS},
        freq_hz=(float(freq[0]), float(freq[1])) if freq is not None else None,
        platform=raw.get("platform"),
    )  # fmt: skip


def parse_knowledge(sources: bytes, files: Iterable[tuple[str, bytes]]) -> KnowledgeBase:
    """The knowledge base from ``sources.json``'s bytes and each ``*.jsonl`` file's (name, bytes).

    Files are read in name order. Raises InvalidParameter naming the file and line of a malformed or
    unknown-vocabulary entry, or a duplicate id.
    """
    digest = hashlib.sha256()
    digest.update(sources)
    citations: dict[str, str] = json.loads(sources)
    entries: list[KnowledgeEntry] = []
    seen: set[str] = set()
    for name, raw_bytes in sorted(files):
        digest.update(name.encode() + b"\0" + raw_bytes)
        for n, line in enumerate(raw_bytes.decode("utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{name}:{n}"
            try:
                raw = json.loads(line)
            except ValueError as exc:
                raise InvalidParameter(f"{where}: not valid JSON ({exc})") from exc
            entry = _entry(raw, where=where, citations=citations)
            if entry.id in seen:
                raise InvalidParameter(f"{where}: duplicate id {entry.id!r}")
            seen.add(entry.id)
            entries.append(entry)
    return KnowledgeBase(tuple(entries), citations, digest.hexdigest())
