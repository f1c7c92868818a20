"""The session tempo: declared wins; otherwise the tempo the tracks agree on, octave and 3:2 aware."""

from __future__ import annotations

import numpy as np
import pytest

from core.session import SessionSpec, analyze_session
from core.session.tempo import TempoVote, estimate_tempo, mix_tempo
from tests.core import music
from tests.core.session_fixtures import BASS, DRUMS, KICK, PAD, make_analysis, track


def session(*entries, bpm=None):
    doc = {"bpm": bpm, "tracks": [track(tid, type_) for tid, type_, _, _, _ in entries]}
    analyses = {
        tid: make_analysis(tid, third_octave_db=spec, tempo_bpm=tempo, tempo_confidence=conf)
        for tid, _, spec, tempo, conf in entries
    }
    return analyze_session(SessionSpec.from_dict(doc), analyses)


def test_kick_at_120_and_bass_at_60_is_120_never_the_average():
    out = session(("kick", "kick", KICK, 120.0, 0.9), ("bass", "bass", BASS, 60.0, 0.9))
    assert out.bpm == pytest.approx(120.0, abs=0.5)
    assert out.bpm_source == "estimated"


def test_the_order_of_the_tracks_does_not_matter():
    out = session(("bass", "bass", BASS, 60.0, 0.9), ("kick", "kick", KICK, 120.0, 0.9))
    assert out.bpm == pytest.approx(120.0, abs=0.5)


def test_the_declared_tempo_wins():
    out = session(("kick", "kick", KICK, 120.0, 0.9), ("bass", "bass", BASS, 60.0, 0.9), bpm=97.0)
    assert out.bpm == 97.0 and out.bpm_source == "declared"


def test_half_time_drums_outvote_a_bass_read_at_double_speed():
    # The drums are the rhythmic reference: a half-time groove at 70 stays 70.
    out = session(("drums", "drums", DRUMS, 70.0, 0.8), ("bass", "bass", BASS, 140.0, 0.8))
    assert out.bpm == pytest.approx(70.0, abs=0.5)


def test_a_three_to_two_reading_joins_the_drums_tempo():
    out = session(("drums", "drums", DRUMS, 120.0, 0.8), ("pad", "pad", PAD, 80.0, 0.9))
    assert out.bpm == pytest.approx(120.0, abs=0.5)


def test_agreeing_tracks_refine_the_tempo():
    votes = [TempoVote(120.4, 1.0), TempoVote(119.6, 1.0), TempoVote(60.0, 0.5)]
    assert estimate_tempo(votes) == pytest.approx(120.0, abs=0.2)


def test_no_confident_track_means_no_tempo():
    out = session(("kick", "kick", KICK, 120.0, 0.2), ("bass", "bass", BASS, 60.0, 0.1))
    assert out.bpm is None and out.bpm_source is None
    assert estimate_tempo([]) is None


def test_hats_in_eighths_do_not_double_a_tempo_the_other_parts_play():
    # sessions-dev's pattern: the hi-hat stem reads its eighths (2T, full confidence, drum weight),
    # the bass, keys, strings and lead read T; the kick and snare alone are too sparse to read.
    out = session(
        ("hats", "drums", DRUMS, 162.0, 1.0),
        ("bass", "bass", BASS, 81.0, 1.0),
        ("keys", "keys", PAD, 81.0, 0.32),
        ("strings", "strings", PAD, 81.1, 0.71),
        ("lead", "vocals", PAD, 81.0, 0.92),
    )
    assert out.bpm == pytest.approx(81.0, abs=0.5)


def test_one_confident_track_keeps_its_own_tempo():
    for bpm in (58.0, 81.0, 140.0, 176.0):
        assert estimate_tempo([TempoVote(bpm, 0.9, 0.9)]) == pytest.approx(bpm, rel=1e-6)


# --- the tempo heard in the stems' sum ---------------------------------------------------------


@pytest.mark.parametrize("bpm", [84.0, 96.0, 124.0])
def test_the_sum_of_single_drum_stems_reads_the_beat(bpm: float) -> None:
    # Alone, the hats read their eighths (2T) and the kick its half notes (T/2); summed with the bass
    # on the beats, the arrangement reads T. The hats come at another sample rate (resampled).
    seconds, sr = 16.0, 44100
    kick_only, snare_only = (music.drum_stem(bpm, v, seconds=seconds, sr=sr) for v in ("kick", "snare"))
    hats_48k = music.drum_stem(bpm, "hat", seconds=seconds, sr=48000)
    bass = music.bass_on_beats(bpm, seconds=seconds, sr=sr)
    heard = mix_tempo([(kick_only, sr, 0.0), (snare_only, sr, -3.0), (hats_48k, 48000, 0.0), (bass, sr, 0.0)])
    assert heard is not None and heard.confidence >= 0.5
    assert heard.bpm == pytest.approx(bpm, rel=0.04)


def test_no_audio_or_silence_hears_no_tempo() -> None:
    assert mix_tempo([]) is None
    assert mix_tempo([(np.zeros((2, 44100 * 4), np.float32), 44100, 0.0)]) is None


def test_a_heard_tempo_replaces_the_votes_and_a_declared_one_wins():
    # the votes alone read the hats' 2T here; the sum's reading is the session's tempo
    heard = TempoVote(81.0, 0.9, 0.9)
    voting = session(("hats", "drums", DRUMS, 162.0, 1.0), ("bass", "bass", BASS, 81.0, 0.6))
    assert voting.bpm == pytest.approx(162.0, abs=0.5)
    doc = {"bpm": None, "tracks": [track("hats", "drums"), track("bass", "bass")]}
    analyses = {
        "hats": make_analysis("hats", third_octave_db=DRUMS, tempo_bpm=162.0, tempo_confidence=1.0),
        "bass": make_analysis("bass", third_octave_db=BASS, tempo_bpm=81.0, tempo_confidence=0.6),
    }
    out = analyze_session(SessionSpec.from_dict(doc), analyses, heard_tempo=heard)
    assert out.bpm == 81.0 and out.bpm_source == "estimated"
    declared = analyze_session(SessionSpec.from_dict({**doc, "bpm": 100.0}), analyses, heard_tempo=heard)
    assert declared.bpm == 100.0 and declared.bpm_source == "declared"
