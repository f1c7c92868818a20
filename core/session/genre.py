"""Genre of a session from its tempo, track types and names, plugin names and the mix's tonal balance.

A transparent, rule-based score per genre (``GENRE_TRAITS``): no model, every point has a reason.
Traits follow common production conventions (tempo ranges as in e.g. Butler, "Unlocking the Groove"
(2006) for dance music, and genre instrumentation); they are house tables, tuned on constructed
sessions, and only one input to the tonal target: a user-declared genre always wins.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from core.session.spec import TrackSpec
from core.suggestions.mastering import BandDeviation
from core.suggestions.wording import bpm_words
from core.targets import GENRE_TARGETS, GENRES


@dataclass(frozen=True)
class GenreTraits:
    tempo_ranges: tuple[tuple[float, float], ...]
    types: tuple[str, ...]
    names: tuple[str, ...]
    plugins: tuple[str, ...]
    avoid_types: tuple[str, ...] = ()


GENRE_TRAITS: dict[str, GenreTraits] = {
    "Electronic/EDM": GenreTraits(
        ((118, 150), (170, 180)),
        ("synth", "pad", "fx", "kick", "bass"),
        (
            "drop",
            "riser",
            "build",
            "supersaw",
            "sidechain",
            "edm",
            "house",
            "techno",
            "arp",
            "pluck",
            "uplifter",
            "sweep",
            "lead synth",
            "wub",
            "acid",
            "four on the floor",
        ),
        ("serum", "massive", "sylenth", "spire", "vital", "ott", "nexus", "kickstart", "lfotool", "diva"),
        ("strings", "brass"),
    ),
    "Hip-Hop/Rap": GenreTraits(
        ((70, 100), (130, 160)),
        ("vocals", "kick", "bass", "snare", "drums"),
        (
            "808",
            "rap",
            "adlib",
            "ad lib",
            "trap",
            "hat",
            "hihat",
            "sample",
            "beat",
            "boom bap",
            "hook",
            "bars",
        ),
        ("auto tune", "autotune", "rc 20", "serato sample", "sp1200", "mpc", "decapitator"),
        ("strings", "brass", "pad"),
    ),
    "Rock": GenreTraits(
        ((100, 170),),
        ("guitar", "drums", "bass", "vocals", "kick", "snare"),
        (
            "gtr",
            "guitar",
            "riff",
            "amp",
            "overhead",
            "overheads",
            "tom",
            "crash",
            "distortion",
            "solo",
            "rhythm gtr",
            "lead gtr",
            "di",
        ),
        (
            "guitar rig",
            "amplitube",
            "neural dsp",
            "bias",
            "archetype",
            "ezdrummer",
            "superior drummer",
            "cab",
            "amp sim",
        ),
        ("pad", "fx"),
    ),
    "Pop": GenreTraits(
        ((90, 130),),
        ("vocals", "backing_vocals", "synth", "keys", "kick", "bass"),
        (
            "lead vox",
            "vocal",
            "vox",
            "bv",
            "bvs",
            "backing",
            "harmony",
            "chorus",
            "hook",
            "double",
            "topline",
        ),
        ("auto tune", "melodyne", "waves tune", "soothe", "vocalsynth", "nectar"),
        (),
    ),
    "Jazz": GenreTraits(
        ((60, 240),),
        ("keys", "bass", "drums", "brass"),
        (
            "upright",
            "double bass",
            "sax",
            "saxophone",
            "trumpet",
            "trombone",
            "piano",
            "ride",
            "brush",
            "brushes",
            "rhodes",
            "walking",
            "comping",
            "vibes",
            "flugelhorn",
            "quartet",
            "trio",
        ),
        ("pianoteq", "keyscape", "ravenscroft", "rc48", "tape"),
        ("synth", "fx", "pad"),
    ),
    "Classical": GenreTraits(
        ((40, 180),),
        ("strings", "brass", "keys"),
        (
            "violin",
            "viola",
            "cello",
            "contrabass",
            "orchestra",
            "timpani",
            "harp",
            "choir",
            "flute",
            "oboe",
            "clarinet",
            "bassoon",
            "horn",
            "ensemble",
            "section",
            "tutti",
            "soprano",
        ),
        ("spitfire", "bbc symphony", "vsl", "vienna", "eastwest", "berlin strings", "cinematic studio"),
        ("kick", "snare", "drums", "synth", "fx"),
    ),
    "Ambient": GenreTraits(
        ((50, 100),),
        ("pad", "fx", "synth", "strings"),
        (
            "drone",
            "texture",
            "atmos",
            "atmosphere",
            "field",
            "soundscape",
            "swell",
            "granular",
            "shimmer",
            "pad",
            "ambience",
            "evolving",
        ),
        (
            "valhalla",
            "blackhole",
            "eventide",
            "paulstretch",
            "portal",
            "granulator",
            "supermassive",
            "shimmer",
        ),
        ("kick", "snare", "drums"),
    ),
}

#: Weights of the score's parts; the score is their weighted mean (0-1) minus the avoid penalty.
WEIGHTS = {"tempo": 1.0, "types": 1.5, "names": 2.0, "plugins": 1.5, "audio": 1.0}
AVOID_PENALTY = 0.15
#: Below this confidence the detected genre is reported but the default target is used.
MIN_CONFIDENCE = 0.3


@dataclass(frozen=True)
class GenreCandidate:
    genre: str
    score: float


@dataclass(frozen=True)
class GenreResult:
    genre: str
    confidence: float
    candidates: tuple[GenreCandidate, ...]
    reasons: tuple[str, ...]


def _normalise(text: str) -> str:
    return " " + " ".join(re.findall(r"[a-z]+|\d+", text.lower())) + " "


def _hits(texts: Sequence[str], words: Sequence[str]) -> list[str]:
    norm = [_normalise(t) for t in texts]
    found = []
    for w in words:
        key = _normalise(w).strip()
        if any(f" {key} " in t or f" {key}s " in t for t in norm):
            found.append(w)
    return found


def _tempo_score(bpm: float | None, ranges: Sequence[tuple[float, float]]) -> float:
    if bpm is None:
        return 0.3
    dist = min(0.0 if lo <= bpm <= hi else min(abs(bpm - lo), abs(bpm - hi)) for lo, hi in ranges)
    return math.exp(-dist / 8.0)


def detect_genre(
    tracks: Sequence[TrackSpec],
    *,
    bpm: float | None,
    tonal_by_genre: dict[str, tuple[BandDeviation, ...]] | None = None,
) -> GenreResult:
    """Score every genre of core.targets.GENRES and return the best with its reasons.

    ``tonal_by_genre`` (the mix's deviation from each genre's tonal target) adds the audio evidence:
    the closer the mix to a genre's target, the higher that part of the score.
    """
    names = [t.name for t in tracks]
    plugins = [p for t in tracks for p in t.inserts]
    types = {t.type for t in tracks}
    scored = []
    for genre in GENRES:
        tr = GENRE_TRAITS[genre]
        reasons = []
        parts = {"tempo": _tempo_score(bpm, tr.tempo_ranges)}
        if bpm is not None and parts["tempo"] > 0.99:
            reasons.append(f"{bpm_words(bpm)} is typical")
        type_hits = [t for t in tr.types if t in types]
        parts["types"] = len(type_hits) / len(tr.types)
        if type_hits:
            reasons.append("track types: " + ", ".join(type_hits))
        name_hits = _hits(names, tr.names)
        parts["names"] = min(len(name_hits) / 3.0, 1.0)
        if name_hits:
            reasons.append("track names: " + ", ".join(name_hits))
        plugin_hits = _hits(plugins, tr.plugins)
        parts["plugins"] = min(len(plugin_hits) / 2.0, 1.0)
        if plugin_hits:
            reasons.append("plugins: " + ", ".join(plugin_hits))
        devs = None if tonal_by_genre is None else tonal_by_genre.get(genre)
        vals = [abs(d.deviation_db) for d in devs or () if d.deviation_db is not None]
        parts["audio"] = math.exp(-sum(vals) / len(vals) / GENRE_TARGETS[genre].tolerance_db) if vals else 0.3
        if vals and parts["audio"] > 0.6:
            reasons.append("mix tonal balance close to the genre's target")
        avoided = [t for t in tr.avoid_types if t in types]
        score = sum(WEIGHTS[k] * v for k, v in parts.items()) / sum(WEIGHTS.values())
        score = max(score - AVOID_PENALTY * len(avoided), 0.0)
        if avoided:
            reasons.append("atypical types: " + ", ".join(avoided))
        scored.append((score, genre, tuple(reasons)))
    scored.sort(key=lambda x: (-x[0], GENRES.index(x[1])))
    top, second = scored[0][0], scored[1][0]
    confidence = 0.0 if top <= 0 else min(top * min((top - second) / 0.15, 1.0) + 0.5 * top, 1.0)
    return GenreResult(
        genre=scored[0][1],
        confidence=round(confidence, 3),
        candidates=tuple(GenreCandidate(g, round(s, 3)) for s, g, _ in scored),
        reasons=scored[0][2],
    )
