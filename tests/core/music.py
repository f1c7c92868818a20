"""Synthesis helpers for the rhythm, tonal, structure and patterns tests: drum patterns and cadences.

Every signal is built from seeded noise and exact sample positions, so the truth (tempo, hit times,
key, section boundaries) is known.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import numpy as np

from core.frames import FrameFeatures, compute_frames

PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")

#: Drum patterns on an eighth-note grid (8 slots a 4/4 bar): which slots each voice plays.
PATTERNS: dict[str, dict[str, tuple[int, ...]]] = {
    # Kick on 1 and 3, snare on 2 and 4, closed hats on every eighth.
    "rock": {"kick": (0, 4), "snare": (2, 6), "hat": (0, 1, 2, 3, 4, 5, 6, 7)},
    # Kick on every beat, hats on the off-beats.
    "four_floor": {"kick": (0, 2, 4, 6), "snare": (), "hat": (1, 3, 5, 7)},
    # Half-time feel: kick on 1, snare on 3, hats on every eighth of the nominal tempo.
    "halftime": {"kick": (0,), "snare": (4,), "hat": (0, 1, 2, 3, 4, 5, 6, 7)},
    # Kick on 1, the "and" of 2 and the "and" of 3; snare on 2 and 4; hats on every eighth.
    "syncopated": {"kick": (0, 3, 5), "snare": (2, 6), "hat": (0, 1, 2, 3, 4, 5, 6, 7)},
}


def frames_of(y: np.ndarray, sr: int, block: int = 8192) -> FrameFeatures:
    """The shared spectral pass over ``y``, fed in blocks as the orchestrator does."""
    y = np.asarray(y, dtype=np.float32)
    return compute_frames((y[i : i + block] for i in range(0, len(y), block)), sr=sr)


def kick(sr: int) -> np.ndarray:
    t = np.arange(int(0.25 * sr)) / sr
    freq = 45.0 + 100.0 * np.exp(-t / 0.03)
    phase = 2 * np.pi * np.cumsum(freq) / sr
    return 0.9 * np.sin(phase) * np.exp(-t / 0.09)


def snare(sr: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.2 * sr)) / sr
    body = np.sin(2 * np.pi * 190.0 * t) * np.exp(-t / 0.04)
    noise = rng.standard_normal(len(t)) * np.exp(-t / 0.06)
    return 0.4 * body + 0.35 * noise


def hat(sr: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.05 * sr)) / sr
    noise = np.diff(rng.standard_normal(len(t) + 1))  # first difference: a high-pass
    return 0.12 * noise * np.exp(-t / 0.012)


def _place(y: np.ndarray, hit: np.ndarray, start: int, gain: float = 1.0) -> None:
    end = min(len(y), start + len(hit))
    if start < len(y):
        y[start:end] += gain * hit[: end - start]


def drum_loop(
    bpm: float,
    *,
    pattern: str = "rock",
    seconds: float = 16.0,
    sr: int = 22050,
    seed: int = 0,
    only: Collection[str] | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A drum pattern at ``bpm``; returns (y, hit times in seconds per voice).

    ``only`` keeps those voices ("kick", "snare", "hat"): one drum stem of a multitrack session.
    """
    rng = np.random.default_rng(seed)
    y = np.zeros(int(seconds * sr))
    eighth_s = 30.0 / bpm
    n_slots = int(seconds / eighth_s)
    voices = {"kick": kick(sr), "snare": snare(sr, rng), "hat": hat(sr, rng)}
    times: dict[str, list[float]] = {name: [] for name in voices}
    for slot in range(n_slots):
        t = slot * eighth_s
        for name, slots in PATTERNS[pattern].items():
            if slot % 8 in slots and (only is None or name in only):
                gain = 1.0 + 0.1 * rng.standard_normal()
                _place(y, voices[name], round(t * sr), gain)
                times[name].append(t)
    return (0.5 * y).astype(np.float32), {k: np.array(v) for k, v in times.items()}


def drum_stem(bpm: float, voice: str, *, seconds: float, sr: int) -> np.ndarray:
    """One drum voice of the rock pattern alone (kick on 1 and 3, snare on 2 and 4, hats in eighths)."""
    return drum_loop(bpm, seconds=seconds, sr=sr, only=(voice,))[0]


def bass_on_beats(bpm: float, *, seconds: float, sr: int) -> np.ndarray:
    """A bass line with a note on every beat (A1, A1, C2, D2), three partials, decaying."""
    beat = round(60.0 / bpm * sr)
    t = np.arange(beat) / sr
    notes = [55.0, 55.0, 65.4, 73.4]
    y = np.zeros(int(seconds * sr))
    for i, start in enumerate(range(0, len(y) - beat, beat)):
        tone = sum(np.sin(2 * np.pi * k * notes[i % 4] * t) / k for k in (1, 2, 3))
        y[start : start + beat] = 0.3 * tone * np.exp(-t / 0.25)
    return y.astype(np.float32)


def clicks(times_s: np.ndarray, *, seconds: float, sr: int = 22050) -> np.ndarray:
    """Short decaying noise clicks at ``times_s``."""
    rng = np.random.default_rng(1)
    y = np.zeros(int(seconds * sr))
    t = np.arange(int(0.01 * sr)) / sr
    click = rng.standard_normal(len(t)) * np.exp(-t / 0.002)
    for time in times_s:
        _place(y, click, round(time * sr), 0.5)
    return y.astype(np.float32)


def harmonic_tone(freq_hz: float, seconds: float, sr: int, *, partials: int = 5) -> np.ndarray:
    """A tone with ``partials`` harmonics of amplitude 1/k, with short fades."""
    t = np.arange(int(seconds * sr)) / sr
    y = sum(np.sin(2 * np.pi * k * freq_hz * t) / k for k in range(1, partials + 1) if k * freq_hz < sr / 2)
    fade = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.02)
    return np.asarray(y) * fade


def midi_hz(note: float) -> float:
    return float(440.0 * 2 ** ((note - 69) / 12))


def chord(
    root_midi: int, intervals: tuple[int, ...], seconds: float, sr: int, *, bass: bool = True
) -> np.ndarray:
    """A chord of harmonic tones over ``root_midi`` (+ the root an octave below as a bass note)."""
    y = sum(harmonic_tone(midi_hz(root_midi + i), seconds, sr) for i in intervals)
    if bass:
        y = y + harmonic_tone(midi_hz(root_midi - 12), seconds, sr, partials=3)
    return np.asarray(y)


def cadence(tonic: int, mode: str, *, chord_s: float = 1.0, sr: int = 44100) -> np.ndarray:
    """I-IV-V-I (major) or i-iv-V-i with the raised leading tone (harmonic minor), tonic pitch class 0-11.

    Chords are root-position triads around C4-B4, with a bass note an octave below the root.
    """
    third = 4 if mode == "major" else 3
    base = 60 + tonic
    progression = (
        (base, (0, third, 7)),  # I / i
        (base + 5, (0, third, 7)),  # IV / iv
        (base + 7, (0, 4, 7)),  # V (major in both modes: the raised leading tone)
        (base, (0, third, 7)),
    )
    parts = [chord(root, ivs, chord_s, sr) for root, ivs in progression]
    y = np.concatenate(parts)
    return (0.2 * y / np.max(np.abs(y))).astype(np.float32)


def noise(seconds: float, *, sr: int = 22050, seed: int = 0, amp: float = 0.1) -> np.ndarray:
    return (amp * np.random.default_rng(seed).standard_normal(int(seconds * sr))).astype(np.float32)


def sine(freq_hz: float, seconds: float, *, sr: int = 22050, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def band_mix(
    bpm: float,
    *,
    seconds: float = 16.0,
    sr: int = 44100,
    seed: int = 0,
    snare_db: float = 0.0,
    hats: bool = True,
) -> np.ndarray:
    """Mono downmix of bench/music.py's synthetic mix, with the snare level and the hats adjustable.

    Kick (a 50-130 Hz sweep) on beats 1 and 3, a white-noise snare on 2 and 4 (``snare_db``
    relative to bench's level), quiet hats on the eighths, a pad and a sine bass changing every
    bar, and a noise floor.
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    beat = 60.0 / bpm
    phase = (t % beat) / beat
    bar_pos = (t % (4 * beat)) / beat
    kick_env = np.exp(-phase * beat / 0.06) * (np.floor(bar_pos) % 2 == 0)
    kick_ = 0.6 * kick_env * np.sin(2 * np.pi * (50 + 80 * np.exp(-phase * beat / 0.02)) * t)
    snare_env = np.exp(-phase * beat / 0.08) * (np.floor(bar_pos) % 2 == 1)
    snare_ = 0.25 * 10 ** (snare_db / 20) * snare_env * rng.standard_normal(n)
    eighth = ((t % (beat / 2)) / (beat / 2)) * beat / 2
    hats_ = 0.05 * np.exp(-eighth / 0.015) * np.diff(rng.standard_normal(n + 1)) if hats else 0.0
    chords = np.array(
        [[261.63, 329.63, 392.0], [220.0, 261.63, 329.63], [174.61, 220.0, 261.63], [196.0, 246.94, 293.66]]
    )
    which = (np.floor(t / (4 * beat)) % 4).astype(int)
    pad = sum(0.06 * np.sin(2 * np.pi * chords[which, k] * t) for k in range(3))
    bass = 0.25 * np.sin(2 * np.pi * chords[which, 0] / 4 * t)
    floor = 0.003 * rng.standard_normal(n)
    return np.asarray(0.8 * (kick_ + snare_ + hats_ + pad + bass + floor), dtype=np.float32)


def _note_line(
    *,
    seconds: float,
    sr: int,
    seed: int,
    step_s: float,
    ring_steps: int,
    decay: float,
    note_of: Callable[[int], int],
    level_db_of: Callable[[int], float],
) -> np.ndarray:
    """One note every ``step_s``: decaying harmonic tones (partial k decays at ``decay`` + k per
    second) ringing ``ring_steps`` steps, MIDI note ``note_of(slot)``, accent ``level_db_of(slot)``
    plus 0.5 dB of random spread, as a player phrases a line."""
    rng = np.random.default_rng(seed)
    y = np.zeros(int(seconds * sr))
    t = np.arange(int(ring_steps * step_s * sr)) / sr
    envelope = np.minimum(1.0, t / 0.004) * np.minimum(1.0, (t[-1] - t) / 0.05)  # attack, release
    for slot in range(int(seconds / step_s)):
        f0 = midi_hz(note_of(slot))
        tone = sum(np.sin(2 * np.pi * k * f0 * t) * np.exp(-t * (decay + k)) / k for k in range(1, 7))
        gain = 0.08 * 10 ** ((level_db_of(slot) + rng.normal(0.0, 0.5)) / 20)
        _place(y, gain * envelope * tone, round(slot * step_s * sr))
    return y.astype(np.float32)


def grouped_sixteenths(
    bpm: float,
    *,
    seconds: float = 16.0,
    sr: int = 44100,
    seed: int = 0,
    group_db: float = 3.0,
    beat_db: float = 1.0,
) -> np.ndarray:
    """A fiddle-tune line of sixteenth notes phrased in groups of three, no drums.

    The first note of each three-note figure is accented (``group_db``), the note on the beat a
    little (``beat_db``): the figure repeats every 3/4 of a beat, so its octaves fall at 4:3 of the
    tempo (a reel or hornpipe read 117 instead of 88), while the beat holds four sixteenths.
    """
    figure = (69, 73, 76, 74, 71, 68, 66, 69, 73)
    return _note_line(
        seconds=seconds,
        sr=sr,
        seed=seed,
        step_s=15.0 / bpm,
        ring_steps=3,
        decay=4.0,
        note_of=lambda slot: figure[slot % len(figure)] + 5 * ((slot // 24) % 2),
        level_db_of=lambda slot: (group_db if slot % 3 == 0 else 0.0) + (beat_db if slot % 4 == 0 else 0.0),
    )


def piano_eighths(
    bpm: float,
    *,
    seconds: float = 16.0,
    sr: int = 44100,
    seed: int = 0,
    beat_db: float = 6.0,
    downbeat_db: float = 9.0,
) -> np.ndarray:
    """Piano-like eighth notes, no drums: decaying harmonic tones walking a C-major arpeggio.

    Notes on the beat are accented (``beat_db`` over the off-beat eighths), the bar's downbeat
    most (``downbeat_db``), as a pianist phrases a steady accompaniment.
    """
    arpeggio = (60, 64, 67, 72, 67, 64, 60, 55)
    return _note_line(
        seconds=seconds,
        sr=sr,
        seed=seed,
        step_s=30.0 / bpm,
        ring_steps=4,
        decay=2.0,
        note_of=lambda slot: arpeggio[slot % len(arpeggio)] + 5 * ((slot // 8) % 2),
        level_db_of=lambda slot: downbeat_db if slot % 8 == 0 else beat_db if slot % 2 == 0 else 0.0,
    )
