"""Sections (intro, A, B, ...) from the shared per-frame features.

Method (Foote, "Automatic audio segmentation using a measure of audio novelty", ICME 2000;
Paulus, Müller & Klapuri, "Audio-based music structure analysis", ISMIR 2010):

1. Frames are pooled into ``BLOCK_S`` blocks: chroma (unit length), band levels relative to the
   block's loudness (timbre), and loudness (dB).
2. A self-similarity matrix is the weighted mean (``WEIGHTS``) of per-feature similarities in
   [0, 1]: chroma cosine, ``exp(-distance / scale)`` for timbre and loudness.
3. Novelty: a Gaussian-tapered checkerboard kernel ``KERNEL_S`` either side, slid along the
   diagonal; 0 inside homogeneous material, 1 between blocks with nothing in common.
4. Boundaries: novelty peaks above ``NOVELTY_MIN``, strongest first, at least ``MIN_SECTION_S``
   from each other and from the ends; each is snapped to the nearest beat when a tempo exists.
5. Labels: sections are visited in order; a section takes the label of the most similar earlier
   section when their mean cross-similarity reaches ``LABEL_SIMILARITY`` of their mean
   self-similarity, else the next free letter ("A", "B", ...). A first (last) section whose label
   occurs once and whose loudness is ``INTRO_OUTRO_DB`` below the median section is "intro"
   ("outro").

A file shorter than two minimum sections is one section "A"; an empty file has none.
"""

from __future__ import annotations

import string

import numpy as np

from core.frames import FrameFeatures
from core.quantiles import percentile
from core.results import RhythmResult, Section, StructureResult

BLOCK_S = 0.5
KERNEL_S = 4.0
MIN_SECTION_S = 4.0
#: Longer files pool into longer blocks so the (n, n) similarity matrix stays ~6 MB (bounded memory).
MAX_BLOCKS = 1200
NOVELTY_MIN = 0.25
#: Similarity weights and distance scales of the three features.
WEIGHTS: dict[str, float] = {"chroma": 0.4, "timbre": 0.35, "loudness": 0.25}
TIMBRE_SCALE_DB = 12.0
LOUDNESS_SCALE_DB = 6.0
LABEL_SIMILARITY = 0.8
INTRO_OUTRO_DB = 6.0
#: Blocks more than this far below the loudest are silent (their chroma is undefined).
SILENCE_RANGE_DB = 60.0


def detect_sections(frames: FrameFeatures, *, rhythm: RhythmResult) -> StructureResult:
    """Sections covering the track end to end.

    Parameters
    ----------
    frames : FrameFeatures
        Uses ``chroma``, ``band_power`` and ``total_power``.
    rhythm : RhythmResult
        Its ``beats_s`` (when a tempo exists) place the boundaries on beats.
    """
    duration_s = frames.n_samples / frames.sr if frames.sr else 0.0
    if duration_s <= 0:
        return StructureResult(())
    fps = frames.sr / frames.hop_length
    block = max(1, round(BLOCK_S * fps), -(-frames.n_frames // MAX_BLOCKS))
    n_blocks = frames.n_frames // block
    if duration_s < 2 * MIN_SECTION_S or n_blocks < 2 * round(MIN_SECTION_S / BLOCK_S):
        return StructureResult((Section(0.0, duration_s, "A"),))
    block_s = block / fps
    similarity, loudness_db = self_similarity(frames, block=block, n_blocks=n_blocks)
    curve = novelty(similarity, half=max(1, round(KERNEL_S / block_s)))
    cuts = _pick_boundaries(curve, min_gap=round(MIN_SECTION_S / block_s))
    times = cuts * block_s
    if rhythm.tempo_bpm is not None and rhythm.beats_s:
        beats = np.asarray(rhythm.beats_s)
        times = beats[np.argmin(np.abs(times[:, None] - beats[None, :]), axis=1)] if times.size else times
    times = np.sort(times)  # distinct and sorted (np.unique would import numpy.ma: ~50 ms a process)
    times = times[np.concatenate([[True], times[1:] != times[:-1]])] if times.size else times
    edges = np.concatenate([[0.0], times, [duration_s]])
    labels = _labels(similarity, loudness_db, np.round(edges / block_s).astype(int))
    return StructureResult(
        tuple(
            Section(float(a), float(b), label)
            for a, b, label in zip(edges[:-1], edges[1:], labels, strict=True)
        )
    )


def self_similarity(frames: FrameFeatures, *, block: int, n_blocks: int) -> tuple[np.ndarray, np.ndarray]:
    """(similarity matrix (n_blocks, n_blocks) in [0, 1], block loudness in dB (n_blocks,))."""
    used = n_blocks * block

    def pool(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)[..., :used]
        return np.asarray(x.reshape(*x.shape[:-1], n_blocks, block).mean(axis=-1))

    power = pool(frames.total_power)
    loudness_db = 10.0 * np.log10(np.maximum(power, 1e-20))
    silent = loudness_db < loudness_db.max() - SILENCE_RANGE_DB
    chroma = pool(np.asarray(frames.chroma))
    chroma = chroma / np.maximum(np.linalg.norm(chroma, axis=0, keepdims=True), 1e-20)
    chroma[:, silent] = 1.0 / np.sqrt(12.0)
    bands_db = 10.0 * np.log10(np.maximum(pool(frames.band_power), 1e-20)) - loudness_db[None, :]
    bands_db = np.maximum(bands_db, -SILENCE_RANGE_DB)
    # Euclidean distances from the Gram matrix: (n, n), never the (7, n, n) difference tensor.
    sq = (bands_db**2).sum(axis=0)
    timbre_distance = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2.0 * (bands_db.T @ bands_db), 0.0))
    similarity = (
        WEIGHTS["chroma"] * np.clip(chroma.T @ chroma, 0, 1)
        + WEIGHTS["timbre"] * np.exp(-timbre_distance / TIMBRE_SCALE_DB)
        + WEIGHTS["loudness"]
        * np.exp(-np.abs(np.subtract.outer(loudness_db, loudness_db)) / LOUDNESS_SCALE_DB)
    ) / sum(WEIGHTS.values())
    return similarity, loudness_db


def novelty(similarity: np.ndarray, *, half: int) -> np.ndarray:
    """Checkerboard-kernel novelty (n,), 0-1; value i is the change between blocks i-1 and i."""
    n = len(similarity)
    offsets = np.arange(-half, half) + 0.5
    taper = np.exp(-0.5 * (offsets / (0.5 * half)) ** 2)
    kernel = np.sign(offsets)[:, None] * np.sign(offsets)[None, :] * np.outer(taper, taper)
    kernel /= np.abs(kernel).sum() / 2.0  # within minus across, scaled to 0-1
    padded = np.pad(similarity, half, mode="edge")
    idx = np.arange(n)[:, None] + np.arange(2 * half)[None, :]
    patches = padded[idx[:, :, None], idx[:, None, :]]  # (n, 2h, 2h), centred between i-1 and i
    return np.asarray(np.clip((patches * kernel).sum(axis=(1, 2)), 0.0, 1.0))


def _pick_boundaries(curve: np.ndarray, *, min_gap: int) -> np.ndarray:
    """Block indices of novelty peaks, strongest first, ``min_gap`` apart and from the ends."""
    n = len(curve)
    inner = curve[1:-1]
    is_peak = (inner >= curve[:-2]) & (inner > curve[2:]) & (inner >= NOVELTY_MIN)
    candidates = np.flatnonzero(is_peak) + 1
    candidates = candidates[(candidates >= min_gap) & (candidates <= n - min_gap)]
    chosen: list[int] = []
    for i in candidates[np.argsort(curve[candidates])[::-1]]:  # a few dozen peaks at most
        if all(abs(int(i) - j) >= min_gap for j in chosen):
            chosen.append(int(i))
    return np.array(sorted(chosen), dtype=float)


def _labels(similarity: np.ndarray, loudness_db: np.ndarray, edges: np.ndarray) -> list[str]:
    """Letters by similarity to earlier sections; "intro"/"outro" for quiet unique ends."""
    n = len(similarity)
    spans = [
        (int(a), max(int(b), int(a) + 1)) for a, b in zip(edges[:-1], np.minimum(edges[1:], n), strict=True)
    ]
    spans = [(min(a, n - 1), min(max(b, a + 1), n)) for a, b in spans]
    mean = np.array([[similarity[a:b, c:d].mean() for c, d in spans] for a, b in spans])
    groups: list[int] = []
    for i in range(len(spans)):
        if i:
            ratio = mean[i, :i] / np.sqrt(np.diag(mean)[:i] * mean[i, i])
            j = int(np.argmax(ratio))
            if ratio[j] >= LABEL_SIMILARITY:
                groups.append(groups[j])
                continue
        groups.append(max(groups, default=-1) + 1)
    labels: list[str | None] = [None] * len(spans)
    level = np.array([10 * np.log10(np.mean(10 ** (loudness_db[a:b] / 10))) for a, b in spans])
    if len(spans) >= 3:
        median = float(percentile(level, 50.0))
        for i, name in ((0, "intro"), (len(spans) - 1, "outro")):
            if groups.count(groups[i]) == 1 and level[i] <= median - INTRO_OUTRO_DB:
                labels[i] = name
    letters: dict[int, str] = {}
    for i, group in enumerate(groups):
        if labels[i] is None:
            letters.setdefault(group, _letter(len(letters)))
            labels[i] = letters[group]
    return [str(label) for label in labels]


def _letter(index: int) -> str:
    """ "A".."Z", then "A2".."Z2", ..."""
    suffix = "" if index < 26 else str(index // 26 + 1)
    return string.ascii_uppercase[index % 26] + suffix
