"""Tempo and key on rendered music with trustworthy labels: Codette and its peers in one run (issue 11).

The corpus is ../shared/music-dev (manifest.json gives tempo_bpm, key, kind and drums per file); it is
for evaluation only and is never copied into the repository. Printed per subset (pop without drums,
pop with drums, chorales and folk) and overall:

- tempo Acc1: within 4 % of the annotated tempo; Acc2: also at x2, x3, x1/2 or x1/3 of it
  (Gouyon et al., "An experimental comparison of audio tempo induction algorithms", IEEE TASLP 2006);
- key exact, and the MIREX-weighted score: 1 exact, 0.5 a fifth away (same mode), 0.3 relative,
  0.2 parallel (MIREX audio key detection);
- for Codette, the calibration of key_confidence: how many keys with confidence >= 0.7 are exact.

Peers: librosa (beat_track; chroma_stft averaged and matched to the Krumhansl-Kessler profiles),
Essentia (RhythmExtractor2013 multifeature; KeyExtractor with its default and its edma profile) and
madmom (RNN beat activations + TempoEstimationProcessor; CNNKeyRecognitionProcessor), each only when
installed (``pip install -e .[bench]``); a missing peer is reported as such, never imitated.

Usage: ``python -m bench music`` (env MUSIC_DEV=path to the corpus, BENCH_MUSIC_EVERY=N to take
every N-th file while iterating, BENCH_MUSIC_PEERS=comma list, default all).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "music-dev"
PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
FLATS = {
    **{"Db": "C#", "Eb": "D#", "Gb": "F#", "Ab": "G#", "Bb": "A#"},
    **{"Cb": "B", "Fb": "E", "E#": "F", "B#": "C"},
}
#: Krumhansl & Kessler (1982) probe-tone profiles, tonic first (for the librosa peer's key).
KK_MAJOR = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
KK_MINOR = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)
ACC1_TOLERANCE = 0.04
ACC2_FACTORS = (1.0, 2.0, 3.0, 1 / 2, 1 / 3)
CONFIDENT = 0.7

Estimate = tuple[float | None, str | None, float | None]  # (bpm, key, key confidence)


@dataclass(frozen=True)
class Item:
    path: Path
    subset: str
    bpm: float
    key: str


def subset_of(entry: dict[str, object]) -> str:
    if entry["kind"] == "pop":
        return "pop, drums" if entry["drums"] else "pop, no drums"
    return "chorales+folk"


def load_corpus(root: Path, every: int = 1) -> list[Item]:
    entries = json.loads((root / "manifest.json").read_text())
    items = [Item(root / str(e["file"]), subset_of(e), float(e["tempo_bpm"]), str(e["key"])) for e in entries]
    return items[::every]


def parse_key(name: str | None) -> tuple[int, str] | None:
    """(tonic pitch class, "major"|"minor") from "F# major", "Eb minor", "a:minor"; None for None."""
    if not name:
        return None
    text = name.replace(":", " ").strip()
    tonic, _, mode = text.partition(" ")
    tonic = tonic[0].upper() + tonic[1:]
    tonic = FLATS.get(tonic, tonic)
    mode = mode.strip().lower()
    mode = {"maj": "major", "min": "minor"}.get(mode, mode)
    return PITCH_CLASSES.index(tonic), mode


def mirex_score(est: str | None, ref: str) -> float:
    e, r = parse_key(est), parse_key(ref)
    if e is None or r is None:
        return 0.0
    (te, me), (tr, mr) = e, r
    if (te, me) == (tr, mr):
        return 1.0
    if me == mr and (te - tr) % 12 in (5, 7):
        return 0.5
    if me != mr:
        relative = (tr + 9) % 12 if mr == "major" else (tr + 3) % 12
        if te == relative:
            return 0.3
        if te == tr:
            return 0.2
    return 0.0


def tempo_hits(est: float | None, ref: float) -> tuple[bool, bool]:
    if est is None or not est > 0:
        return False, False
    acc1 = abs(est - ref) <= ACC1_TOLERANCE * ref
    acc2 = any(abs(est - f * ref) <= ACC1_TOLERANCE * f * ref for f in ACC2_FACTORS)
    return acc1, acc2


# --- systems -----------------------------------------------------------------------------------


def codette(path: Path) -> Estimate:
    from core.analysis import analyze

    result = analyze(str(path))
    return result.rhythm.tempo_bpm, result.tonal.key, result.tonal.key_confidence


def _kk_key(chroma: np.ndarray) -> str:
    profiles = np.array([KK_MAJOR, KK_MINOR])
    best, name = -np.inf, ""
    for m, mode in enumerate(("major", "minor")):
        for tonic in range(12):
            r = float(np.corrcoef(np.roll(profiles[m], tonic), chroma)[0, 1])
            if r > best:
                best, name = r, f"{PITCH_CLASSES[tonic]} {mode}"
    return name


def librosa_peer(path: Path) -> Estimate:
    import librosa

    y, sr = librosa.load(str(path))
    tempo, _ = librosa.beat.beat_track(y=y, sr=sr)
    chroma = librosa.feature.chroma_stft(y=y, sr=sr).mean(axis=1)
    return float(np.atleast_1d(tempo)[0]), _kk_key(chroma), None


def _essentia(profile: str | None) -> Callable[[Path], Estimate]:
    def run(path: Path) -> Estimate:
        import essentia.standard as es

        audio = es.MonoLoader(filename=str(path), sampleRate=44100)()
        bpm = es.RhythmExtractor2013(method="multifeature")(audio)[0]
        extractor = es.KeyExtractor() if profile is None else es.KeyExtractor(profileType=profile)
        key, scale, strength = extractor(audio)
        return float(bpm), f"{key} {scale}", float(strength)

    return run


def madmom_peer(path: Path) -> Estimate:
    import soundfile as sf
    from madmom.audio.signal import Signal
    from madmom.features.beats import RNNBeatProcessor
    from madmom.features.key import CNNKeyRecognitionProcessor, key_prediction_to_label
    from madmom.features.tempo import TempoEstimationProcessor

    # madmom decodes OGG only through ffmpeg, absent here: hand it the samples soundfile reads.
    y, sr = sf.read(str(path), dtype="float32", always_2d=True)
    signal = Signal(y.mean(axis=1), sample_rate=sr, num_channels=1)
    act = RNNBeatProcessor()(signal)
    tempi = TempoEstimationProcessor(fps=100)(act)
    key = key_prediction_to_label(CNNKeyRecognitionProcessor()(signal))
    return float(tempi[0][0]), key, None


def _importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


SYSTEMS: dict[str, tuple[str | None, Callable[[Path], Estimate]]] = {
    "codette": (None, codette),
    "librosa": ("librosa", librosa_peer),
    "essentia": ("essentia", _essentia(None)),
    "essentia-edma": ("essentia", _essentia("edma")),
    "madmom": ("madmom", madmom_peer),
}


# --- report ------------------------------------------------------------------------------------


def _row(name: str, items: list[Item], estimates: list[Estimate]) -> list[str]:
    cells = []
    for subset in ["pop, no drums", "pop, drums", "chorales+folk", None]:
        pairs = [(it, est) for it, est in zip(items, estimates, strict=True) if subset in (None, it.subset)]
        if not pairs:
            cells.append("-")
            continue
        hits = np.array([tempo_hits(est[0], it.bpm) for it, est in pairs])
        exact = np.mean([mirex_score(est[1], it.key) == 1.0 for it, est in pairs])
        mirex = np.mean([mirex_score(est[1], it.key) for it, est in pairs])
        cells.append(f"{hits[:, 0].mean():.0%}/{hits[:, 1].mean():.0%} {exact:.0%}/{mirex:.0%}")
    return [name, *cells]


def main() -> None:
    root = Path(os.environ.get("MUSIC_DEV", DEFAULT_CORPUS))
    if not (root / "manifest.json").exists():
        print(f"skipped: no corpus at {root} (set MUSIC_DEV)")
        return
    items = load_corpus(root, int(os.environ.get("BENCH_MUSIC_EVERY", "1")))
    wanted = os.environ.get("BENCH_MUSIC_PEERS", ",".join(SYSTEMS)).split(",")
    subsets = ("pop, no drums", "pop, drums", "chorales+folk")
    counts = {s: sum(it.subset == s for it in items) for s in subsets}
    print(f"{len(items)} files from {root}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print("cells: tempo Acc1/Acc2  key exact/MIREX-weighted")
    header = ["system", "pop, no drums", "pop, drums", "chorales+folk", "overall", "s/file"]
    rows = []
    details: dict[str, list[Estimate]] = {}
    for name in wanted:
        module, fn = SYSTEMS[name]
        if module is not None and not _importable(module):
            print(f"{name}: not installed ({module} does not import); not measured")
            continue
        start = time.perf_counter()
        try:
            estimates = [fn(it.path) for it in items]
        except Exception as exc:  # a peer that fails is reported, never replaced by a guess
            print(f"{name}: failed ({type(exc).__name__}: {exc}); not measured")
            continue
        per_file = (time.perf_counter() - start) / len(items)
        details[name] = estimates
        rows.append([*_row(name, items, estimates), f"{per_file:.2f}"])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)))
    if "codette" in details:
        est = details["codette"]
        confident = [(e, it) for e, it in zip(est, items, strict=True) if (e[2] or 0) >= CONFIDENT]
        right = sum(mirex_score(e[1], it.key) == 1.0 for e, it in confident)
        nulls = sum(e[0] is None for e in est)
        print(
            f"codette key_confidence >= {CONFIDENT}: {len(confident)} of {len(est)} files, "
            f"{right} exact ({right / max(len(confident), 1):.0%}); tempo null on {nulls}"
        )
        if os.environ.get("BENCH_MUSIC_VERBOSE"):
            for e, it in zip(est, items, strict=True):
                ok1, _ = tempo_hits(e[0], it.bpm)
                m = mirex_score(e[1], it.key)
                if not ok1 or m < 1:
                    bpm = f"{e[0]:.1f}" if e[0] else "None"
                    conf = e[2] or 0.0
                    key = f"{e[1]} {conf:.2f} (ref {it.key})"
                    print(f"  {it.path.name}: bpm {bpm} (ref {it.bpm:g}); key {key}")


if __name__ == "__main__":
    main()
