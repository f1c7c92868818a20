"""core.structure on signals built from blocks of known material and length."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from core.results import to_dict
from core.rhythm import estimate_rhythm
from core.structure import MIN_SECTION_S, detect_sections
from tests.core.music import chord, drum_loop, frames_of, noise

SR = 22050


def _part(kind: str, seconds: float, seed: int) -> np.ndarray:
    """A: quiet C major pad over four-on-the-floor; B: louder F# minor pad over a rock beat."""
    if kind == "A":
        drums, _ = drum_loop(120, pattern="four_floor", seconds=seconds, sr=SR, seed=seed)
        return 0.075 * chord(60, (0, 4, 7), seconds, SR) + 0.3 * drums
    if kind == "B":
        drums, _ = drum_loop(120, pattern="rock", seconds=seconds, sr=SR, seed=seed)
        return 0.15 * chord(66, (0, 3, 7), seconds, SR) + drums
    return 0.01 * chord(57, (0, 3, 7), seconds, SR, bass=False) + noise(seconds, sr=SR, seed=seed, amp=0.002)


def _song(form: str, seconds: float = 8.0) -> tuple[np.ndarray, np.ndarray]:
    y = np.concatenate([_part(kind, seconds, seed) for seed, kind in enumerate(form)]).astype(np.float32)
    return y, np.arange(1, len(form)) * seconds


def _sections(y: np.ndarray):  # type: ignore[no-untyped-def]
    frames = frames_of(y, SR)
    return detect_sections(frames, rhythm=estimate_rhythm(frames)).sections


def test_abab_boundaries_and_labels() -> None:
    y, truth = _song("ABAB")
    sections = _sections(y)
    assert [s.label for s in sections] == ["A", "B", "A", "B"]
    starts = np.array([s.start_s for s in sections[1:]])
    assert np.abs(starts - truth).max() < 1.0
    assert sections[0].start_s == 0.0
    assert sections[-1].end_s == pytest.approx(len(y) / SR)
    assert all(a.end_s == b.start_s for a, b in itertools.pairwise(sections))
    json.dumps(to_dict(sections[0]), allow_nan=False)


def test_boundaries_land_on_beats() -> None:
    y, _ = _song("ABAB")
    frames = frames_of(y, SR)
    rhythm = estimate_rhythm(frames)
    sections = detect_sections(frames, rhythm=rhythm).sections
    assert rhythm.tempo_bpm is not None
    for section in sections[1:]:
        assert min(abs(b - section.start_s) for b in rhythm.beats_s) < 1e-9


def test_quiet_unique_opening_is_an_intro() -> None:
    y, truth = _song("IABA")
    sections = _sections(y)
    assert [s.label for s in sections] == ["intro", "A", "B", "A"]
    assert np.abs(np.array([s.start_s for s in sections[1:]]) - truth).max() < 1.0


def test_homogeneous_material_is_one_section() -> None:
    y, _ = _song("AAA")
    sections = _sections(y)
    assert len(sections) == 1
    assert sections[0].label == "A"


def test_short_file_is_one_section() -> None:
    y, _ = _song("AB", seconds=MIN_SECTION_S * 0.9)
    sections = _sections(y)
    assert [(s.start_s, s.label) for s in sections] == [(0.0, "A")]
    assert sections[0].end_s == pytest.approx(len(y) / SR)


def test_sections_are_at_least_the_minimum_length() -> None:
    y = np.concatenate([_part(k, 2.5, i) for i, k in enumerate("ABABABAB")]).astype(np.float32)
    sections = _sections(y)
    assert all(s.end_s - s.start_s >= MIN_SECTION_S - 0.5 for s in sections)
