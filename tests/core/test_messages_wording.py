"""Every message a person reads: walk all templates over varied, seeded analyses and read them.

The analyses are random but physical (1/3-octave spectra from a random tilt plus random bumps and
holes, levels, crest factors, clipping, DC, noise, stereo), for every track type, alone and in
sessions; every suggestion reason and session issue message is checked for absurd figures and for
the grammar slips engineers notice ("The kick sit", "usual for a drums", slopes for levels).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from core.bands import THIRD_OCTAVE_CENTRES_HZ
from core.results import StereoResult
from core.session import analyze_session
from core.suggestions import TRACK_TYPES, suggest_for_track
from tests.core.session_fixtures import make_analysis, track

N_CASES = 60
STEM_TYPES = [t for t in TRACK_TYPES if t not in ("mix_bus", "master")]

#: Figures outside these ranges are impossible or absurd in a message (unit -> (low, high)).
PLAUSIBLE = {
    "dB": (-60.0, 60.0),
    "LUFS": (-70.0, 5.0),
    "LU": (0.0, 40.0),
    "dBFS": (-120.0, 24.0),  # float files may peak over full scale
    "dBTP": (-60.0, 12.0),
    "Hz": (10.0, 24000.0),
    "kHz": (0.01, 24.0),
    "ms": (0.1, 5000.0),
    "BPM": (20.0, 400.0),
}
NUMBER_UNIT = re.compile(r"([-+]?\d+(?:\.\d+)?)\s?(dBFS|dBTP|dB|LUFS|LU|kHz|Hz|ms|BPM)\b")
SLIPS = [
    (re.compile(r"\bThe \w+ sit\b"), "verb agreement ('The kick sit')"),
    (re.compile(r"\bfor an? (drums|vocals|backing_vocals|keys|strings)\b(?! track)"), "'usual for a drums'"),
    (re.compile(r"dB per octave (above|below|under|over)"), "a level difference given as a slope"),
    (re.compile(r"\ba [aeioAEIO]\w"), "'a' before a vowel"),
    (re.compile(r"\ban [b-df-hj-np-tv-z]\w"), "'an' before a consonant"),
    (re.compile(r"\b(nan|inf|None)\b"), "a missing value printed"),
    (re.compile(r"\d\.\d{3,}"), "more than two decimals"),
    (re.compile(r"  |\s[.,;:]|\.\.(?!\.)|\(\s|\s\)"), "spacing or punctuation"),
]


def _strip_quoted(text: str) -> str:
    """Track ids and names in quotes are the user's words, not ours."""
    return re.sub(r"'[^']*'", "'x'", text)


def problems(message: str) -> list[str]:
    text = _strip_quoted(message)
    found = []
    for rx, what in SLIPS:
        if rx.search(text):
            found.append(what)
    if re.search(r"[a-z]_[a-z]", text):
        found.append("an identifier (snake_case) in prose")
    for value, unit in NUMBER_UNIT.findall(text):
        low, high = PLAUSIBLE[unit]
        if not low <= abs(float(value)) <= max(abs(low), abs(high)) and not low <= float(value) <= high:
            found.append(f"{value} {unit} out of [{low:g}, {high:g}]")
    if text[:1].islower():
        found.append("starts in lower case")
    return found


def random_analysis(rng: np.random.Generator, name: str):
    centres = np.array(THIRD_OCTAVE_CENTRES_HZ, dtype=float)
    octaves = np.log2(centres / 1000.0)
    level = -30.0 + rng.uniform(-6, 2) * octaves
    for _ in range(rng.integers(0, 4)):  # bumps and holes
        level += rng.uniform(-20, 12) * np.exp(
            -0.5 * ((octaves - rng.uniform(-5, 4)) / rng.uniform(0.2, 1.5)) ** 2
        )
    low, high = rng.uniform(20, 200), rng.uniform(2000, 20000)
    level = np.where((centres < low) | (centres > high), level - rng.uniform(0, 60), level)
    stereo = None
    if rng.random() < 0.7:
        stereo = StereoResult(
            correlation=float(rng.uniform(-0.6, 1.0)),
            width=float(rng.uniform(0.0, 1.2)),
            balance_db=float(rng.uniform(-3, 3)),
            mono_loss_db=float(rng.uniform(0, 8)),
        )
    lufs = float(rng.uniform(-45, -8))
    crest = float(rng.uniform(4, 30))
    rms = lufs - float(rng.uniform(0, 4))
    clipped = int(rng.choice([0, 0, 0, rng.integers(1, 5000)]))
    peak = float(min(rms + crest + rng.uniform(-1, 2), 6.0)) if not clipped else float(rng.uniform(0.0, 3.0))
    return make_analysis(
        name,
        third_octave_db=dict(zip(THIRD_OCTAVE_CENTRES_HZ, level.tolist(), strict=True)),
        integrated_lufs=lufs,
        true_peak_dbtp=peak,
        rms_dbfs=rms,
        crest_factor_db=crest,
        clipped_samples=clipped,
        dc_offset=float(rng.choice([0.0, 0.0, rng.uniform(-0.05, 0.05)])),
        noise_floor_dbfs=float(rng.uniform(-95, -40)),
        silence_ratio=float(rng.uniform(0, 0.4)),
        noise_floor_steady=[None, 0.1, 0.9][int(rng.integers(0, 3))],
        stereo=stereo,
        tempo_bpm=float(rng.uniform(60, 180)),
        tempo_confidence=float(rng.uniform(0, 1)),
    )


def test_the_checker_catches_the_slips_engineers_reported():
    for bad in [
        "The kick sit +0.4 dB against the estimated mix; -12 to -2 dB is usual for a kick.",
        "Crest factor 27.0 dB (20 dB is usual for a drums).",
        "2-6 kHz sits 24.5 dB per octave below the mids.",
        "The mids sit 59 dB per octave below the bass band.",
        "Masks the vocal in the upper_mid band.",
        "Left/right correlation -0.16 (3.7631660178040716 dB lost).",
        "Capped: not at a eq cut.",
        "Move it by 140.0 dB.",
    ]:
        assert problems(bad), bad
    assert not problems("The kick track is 8.0 dB louder than a kick track usually sits; move it -8.0 dB.")


@pytest.mark.parametrize("seed", range(N_CASES))
def test_track_messages_read_well(seed: int):
    rng = np.random.default_rng(seed)
    track_type = (
        STEM_TYPES[seed % len(STEM_TYPES)] if seed < 3 * len(STEM_TYPES) else str(rng.choice(TRACK_TYPES))
    )
    a = random_analysis(rng, "t")
    bpm = None if rng.random() < 0.3 else float(rng.uniform(60, 180))
    for s in suggest_for_track(a, track_id="t", track_type=track_type, bpm=bpm, genre="pop"):
        assert not problems(s.reason), (track_type, s.type, s.reason, problems(s.reason))


@pytest.mark.parametrize("seed", range(N_CASES // 3))
def test_session_messages_read_well(seed: int):
    rng = np.random.default_rng(1000 + seed)
    n = int(rng.integers(3, 9))
    types = [str(t) for t in rng.choice(STEM_TYPES, size=n)]
    entries = [
        (track(f"t{k}", t, volume_db=float(rng.uniform(-12, 6))), random_analysis(rng, f"t{k}"))
        for k, t in enumerate(types)
    ]
    doc = {"bpm": float(rng.uniform(60, 180)), "tracks": [t for t, _ in entries]}
    out = analyze_session(doc, {t["track_id"]: a for t, a in entries})
    for issue in out.issues:
        assert not problems(issue.message), (issue.code, issue.message, problems(issue.message))
    for ts in out.tracks:
        for s in ts.suggestions:
            assert not problems(s.reason), (ts.track_type, s.type, s.reason, problems(s.reason))


def test_the_walk_reaches_most_templates():
    """The seeded analyses fire most rules, so the checks above are not vacuous."""
    seen: set[str] = set()
    for seed in range(N_CASES):
        rng = np.random.default_rng(seed)
        track_type = STEM_TYPES[seed % len(STEM_TYPES)]
        for s in suggest_for_track(random_analysis(rng, "t"), track_id="t", track_type=track_type, bpm=120.0):
            seen.add(s.type)
    assert len(seen) >= 8, seen
