"""core.session.arrangement: sections at the times tracks enter and drop out (within one bar)."""

from __future__ import annotations

import numpy as np
import pytest

from core.session import SessionSpec, analyze_session, detect_arrangement, stem_grid
from core.suggestions import bar_s
from tests.core.session_fixtures import BASS, GUITAR, HOP_S, KICK, PAD, VOCAL, make_analysis, spectrum, track


def arrange(bpm, parts, duration_s, ramps=None):
    """parts: {track_id: (type, third-octave spectrum, spans)}."""
    spec = SessionSpec.from_dict({"bpm": bpm, "tracks": [track(k, v[0]) for k, v in parts.items()]})
    analyses = {
        k: make_analysis(
            k, third_octave_db=v[1], spans=v[2], duration_s=duration_s, ramp_db=(ramps or {}).get(k)
        )
        for k, v in parts.items()
    }
    return detect_arrangement(stem_grid(spec.tracks, analyses), bpm=bpm), spec, analyses


def assert_bounds(result, expected_s, tolerance_s):
    got = [s.start_s for s in result.sections[1:]]
    assert len(got) == len(expected_s), [(s.start_s, s.label) for s in result.sections]
    for g, e in zip(got, expected_s, strict=True):
        assert abs(g - e) <= tolerance_s, (got, expected_s)


@pytest.mark.parametrize("bpm", [96.0, 120.0])
def test_verse_chorus_sections_at_the_entries_and_exits(bpm):
    bar = bar_s(bpm)
    b = lambda n: n * bar  # noqa: E731
    parts = {
        "pad": ("pad", PAD, [(0, b(40))]),
        "kick": ("kick", KICK, [(b(4), b(36))]),
        "bass": ("bass", BASS, [(b(4), b(36))]),
        "vox": ("vocals", VOCAL, [(b(4), b(36))]),
        "gtr": ("guitar", GUITAR, [(b(12), b(20)), (b(28), b(36))]),
        "bv": ("backing_vocals", VOCAL, [(b(12), b(20)), (b(28), b(36))]),
    }
    result, _, _ = arrange(bpm, parts, b(40))
    assert_bounds(result, [b(4), b(12), b(20), b(28), b(36)], bar)
    assert [s.label for s in result.sections] == ["intro", "verse", "chorus", "verse", "chorus", "outro"]
    assert result.structure == "verse_chorus"
    assert result.sections[-1].end_s == pytest.approx(b(40), abs=HOP_S)


def test_off_grid_entries_snap_to_the_nearest_bar():
    bpm, bar = 120.0, 2.0
    parts = {
        "pad": ("pad", PAD, [(0, 48)]),
        "kick": ("kick", KICK, [(8.6, 40.3)]),  # 0.6 s after bar 4, 0.3 s after bar 20
    }
    result, _, _ = arrange(bpm, parts, 48)
    assert [s.start_s for s in result.sections[1:]] == [8.0, 40.0]
    assert all(s.start_s % bar == 0 for s in result.sections)


def test_build_and_drop():
    bpm = 128.0
    bar = bar_s(bpm)
    dur = 72 * bar
    t = np.arange(round(dur / HOP_S)) * HOP_S
    builds = [(8 * bar, 16 * bar), (40 * bar, 48 * bar)]
    drops = [(16 * bar, 32 * bar), (48 * bar, 64 * bar)]
    ramp = np.zeros(t.size)
    for s, e in builds:
        m = (t >= s) & (t < e)
        ramp[m] = -30 + 30 * (t[m] - s) / (e - s)  # a riser sweeping up 30 dB
    parts = {
        "pad": ("pad", PAD, None),
        "riser": ("fx", spectrum((1000, 12500, -20.0)), builds),
        "kick": ("kick", KICK, drops),
        "bass": ("bass", BASS, drops),
        "lead": ("synth", spectrum((400, 6300, -18.0)), drops),
    }
    result, _, _ = arrange(bpm, parts, dur, ramps={"riser": ramp})
    assert_bounds(result, [8 * bar, 16 * bar, 32 * bar, 40 * bar, 48 * bar, 64 * bar], bar)
    assert [s.label for s in result.sections] == [
        "intro",
        "build",
        "drop",
        "breakdown",
        "build",
        "drop",
        "outro",
    ]
    assert result.structure == "build_drop"


def test_a_loop_is_one_section():
    parts = {k: (ty, sp, None) for k, ty, sp in [("k", "kick", KICK), ("b", "bass", BASS), ("p", "pad", PAD)]}
    result, _, _ = arrange(124.0, parts, 60)
    assert len(result.sections) == 1 and result.structure == "loop_based"


def test_aaba():
    bar = bar_s(100.0)
    b = lambda n: n * bar  # noqa: E731
    parts = {
        "keys": ("keys", PAD, [(0, b(48))]),
        "bass": ("bass", BASS, [(0, b(48))]),
        "sax": ("brass", spectrum((250, 3000, -22.0)), [(0, b(32)), (b(40), b(48))]),
        "gtr": ("guitar", GUITAR, [(b(32), b(40))]),
    }
    result, _, _ = arrange(100.0, parts, b(48))
    assert_bounds(result, [b(32), b(40)], bar)
    assert result.structure == "aaba"
    assert [s.label for s in result.sections] == ["verse", "bridge", "verse"]


def test_through_composed_when_nothing_repeats():
    bar = bar_s(90.0)
    b = lambda n: n * bar  # noqa: E731
    parts = {
        "pad": ("pad", PAD, [(0, b(8))]),
        "gtr": ("guitar", GUITAR, [(b(8), b(16))]),
        "vox": ("vocals", VOCAL, [(b(16), b(24))]),
        "bass": ("bass", BASS, [(b(24), b(32))]),
    }
    result, _, _ = arrange(90.0, parts, b(32))
    assert len(result.sections) == 4 and result.structure == "through_composed"


def test_session_arrangement_in_analyze_session():
    bar = 2.0
    parts = {
        "pad": ("pad", PAD, [(0, 64)]),
        "kick": ("kick", KICK, [(16, 48)]),
        "bass": ("bass", BASS, [(16, 48)]),
    }
    _, spec, analyses = arrange(120.0, parts, 64)
    out = analyze_session(spec, analyses)
    assert [round(s.start_s / bar) for s in out.arrangement.sections] == [0, 8, 24]
    assert out.arrangement.sections[0].label == "intro" and out.arrangement.sections[-1].label == "outro"


def test_a_song_that_starts_on_the_verse_has_no_intro():
    bar = bar_s(120.0)
    b = lambda n: n * bar  # noqa: E731
    parts = {
        "kick": ("kick", KICK, [(0, b(32))]),
        "bass": ("bass", BASS, [(0, b(32))]),
        "vox": ("vocals", VOCAL, [(0, b(32))]),
        "gtr": ("guitar", GUITAR, [(b(8), b(16)), (b(24), b(32))]),
    }
    result, _, _ = arrange(120.0, parts, b(32))
    assert_bounds(result, [b(8), b(16), b(24)], bar)
    assert [s.label for s in result.sections] == ["verse", "chorus", "verse", "chorus"]
