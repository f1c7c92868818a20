"""core.session.workflow and style_profile: patterns, efficiency reasons, tips and a learned profile."""

from __future__ import annotations

import pytest

from core.errors import InvalidParameter
from core.session import SessionSpec, analyze_workflow, learn_style_profile
from tests.core.session_fixtures import track

TYPES = {
    "kick": "kick",
    "bass": "bass",
    "snare": "snare",
    "vox": "vocals",
    "gtr": "guitar",
    "keys": "keys",
    "mst": "master",
}


def history(track_order, *, per_track=6, step_s=10.0, action="eq_change"):
    out, t = [], 0.0
    for tid in track_order:
        for k in range(per_track):
            out.append({"t": t, "action": action, "track_id": tid, "param": f"p{k % 3}"})
            t += step_s
    return out


@pytest.mark.parametrize(
    ("order", "pattern"),
    [
        (["mst", "mst", "vox", "gtr", "kick", "bass"], "top_down"),
        (["kick", "bass", "snare", "vox", "gtr", "keys", "mst"], "bottom_up"),
        (["vox", "gtr", "keys", "kick", "bass", "snare"], "track_by_track"),
        (
            ["vox", "kick", "gtr", "vox", "bass", "gtr", "kick", "vox", "keys", "gtr", "vox", "bass"],
            "scattered",
        ),
    ],
)
def test_patterns(order, pattern):
    per_track = 2 if pattern == "scattered" else 6
    result = analyze_workflow(history(order, per_track=per_track), track_types=TYPES)
    assert result.pattern == pattern, result.reasons
    assert result.reasons


def test_a_clean_session_is_efficient():
    result = analyze_workflow(history(["kick", "bass", "vox", "gtr", "mst"]), track_types=TYPES)
    assert result.efficiency == 1.0


def test_undo_loops_solo_and_idle_each_cost_efficiency_with_a_reason_and_tip():
    base = history(["kick", "bass", "vox", "gtr", "mst"])
    clean = analyze_workflow(base, track_types=TYPES).efficiency

    loops = list(base)
    t = base[-1]["t"]
    for k in range(6):  # change, undo, change the same thing again
        loops += [
            {"t": t + 3 * k, "action": "eq_change", "track_id": "vox", "param": "gain"},
            {"t": t + 3 * k + 1, "action": "undo", "track_id": "vox", "param": None},
        ]
    r = analyze_workflow(loops, track_types=TYPES)
    assert r.stats.undo_loops >= 5 and r.efficiency < clean
    assert any("undo" in x for x in r.reasons) and any("undo" in tip for tip in r.tips)

    solos = [{**a, "action": "solo"} if k % 3 == 0 else a for k, a in enumerate(base)]
    r = analyze_workflow(solos, track_types=TYPES)
    assert r.stats.solo_ratio > 0.3 and r.efficiency < clean and any("solo" in x for x in r.reasons)

    idle = [{**a, "t": a["t"] + (1800.0 if k >= 10 else 0.0)} for k, a in enumerate(base)]
    r = analyze_workflow(idle, track_types=TYPES)
    assert r.stats.idle_s == pytest.approx(1810.0) and r.efficiency < clean
    assert any("idle" in x for x in r.reasons)


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"t": -1, "action": "x"}, "history[0].t"),
        ({"t": 0, "action": ""}, "history[0].action"),
        ({"t": 0, "action": "x", "track_id": 5}, "history[0].track_id"),
        ("undo", "history[0]"),
    ],
)
def test_bad_history_names_the_field(entry, field):
    with pytest.raises(InvalidParameter) as err:
        analyze_workflow([entry])
    assert err.value.message.startswith(field)


def test_style_profile_learns_tempos_genres_chains_and_levels():
    def session(bpm, genre, vox_db):
        return SessionSpec.from_dict(
            {
                "bpm": bpm,
                "genre": genre,
                "tracks": [
                    track("v", "vocals", volume_db=vox_db, inserts=["Pro-Q 3", "1176", "Valhalla Room"]),
                    track("k", "kick", volume_db=-6.0, inserts=["Pro-Q 3"]),
                    track("b", "bass", volume_db=-8.0, pan=0.0),
                ],
            }
        )

    sessions = [session(120, "pop", -3.0), session(124, "pop", -5.0), session(90, "hip-hop", -4.0)]
    # No declared genre: detected from the metadata (a tuned lead vocal at 110 BPM reads as Pop).
    odd = SessionSpec.from_dict(
        {"bpm": 110, "tracks": [track("v", "vocals", name="Lead Vox", inserts=["Melodyne"])]}
    )
    profile = learn_style_profile([*sessions, odd])
    assert profile.sessions == 4
    assert profile.tempo_median_bpm == 115.0 and profile.tempo_range_bpm == (90.0, 124.0)
    assert [(g.genre, g.sessions) for g in profile.genres] == [("Pop", 3), ("Hip-Hop/Rap", 1)]
    vocal_chain = next(c for c in profile.chains if c.track_type == "vocals")
    assert vocal_chain.chain == ("pro-q 3", "1176", "valhalla room") and vocal_chain.count == 3
    vocals = next(lv for lv in profile.levels if lv.track_type == "vocals")
    assert vocals.median_volume_db == -3.5 and vocals.tracks == 4
    with pytest.raises(InvalidParameter, match="genres"):
        learn_style_profile(sessions, genres=["Pop"])
