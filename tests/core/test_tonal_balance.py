"""Tonal balance against a genre target: normalised, judged only on broadband material, bounded."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis import analyze
from core.bands import BAND_NAMES, BANDS
from core.session import SessionSpec, analyze_session
from core.suggestions import suggest_for_track, tonal_deviations
from core.targets import GENRE_TARGETS
from tests.core.mixes import SR, pink, shape
from tests.core.session_fixtures import BASS, KICK, band_levels, make_analysis, spectrum, track

POP = GENRE_TARGETS["Pop"].band_levels_db


def pop_mix(*, base_db=-30.0, offsets=None):
    """1/3-octave levels on the Pop target, with per-band offsets (dB)."""
    offsets = offsets or {}
    return spectrum(
        *[
            (b.low_hz, b.high_hz * 0.999, base_db + t + offsets.get(b.name, 0.0))
            for b, t in zip(BANDS, POP, strict=True)
        ]
    )


def deviations(third_octave_db):
    return {d.band: d for d in tonal_deviations(tuple(band_levels(third_octave_db)), genre="Pop")}


def test_a_mix_on_target_deviates_nowhere():
    for d in deviations(pop_mix()).values():
        assert d.deviation_db == pytest.approx(0.0, abs=1.5) and not d.outside


def test_a_hole_in_the_mids_is_the_only_deviation():
    devs = deviations(pop_mix(offsets={"mid": -12.0}))
    assert -14.0 <= devs["mid"].deviation_db <= -10.0 and devs["mid"].outside
    for name in BAND_NAMES:
        if name != "mid":
            assert abs(devs[name].deviation_db) < 2.0 and not devs[name].outside, name


def test_a_kick_and_a_bass_are_not_a_full_mix():
    # The kick's click and the bass's harmonics reach 2.5-4 kHz and 0.5-1 kHz, 20-30 dB down.
    devs = deviations(spectrum((40, 100, -14.0), (2500, 4000, -34.0), (40, 400, -18.0), (500, 1000, -40.0)))
    assert all(d.deviation_db is None and not d.outside for d in devs.values())


def test_one_band_far_above_the_rest_is_judged_not_taken_for_narrow_material():
    # a dark mix whose low mids stand 15 dB over the target: with the top two bands 20-25 dB under
    # the low mids, a gate on the loudest band alone would call it narrow and judge nothing
    offsets = {"low_mid": 15.0, "mid": -4.0, "upper_mid": -4.0, "presence": -4.0, "brilliance": -4.0}
    levels = pop_mix(offsets=offsets)
    devs = deviations(levels)
    assert devs["low_mid"].outside and 15.0 <= devs["low_mid"].deviation_db <= 21.0
    assert all(d.deviation_db is not None for d in devs.values())


def test_a_kick_and_bass_session_gets_no_tonal_warning():
    doc = {"bpm": 120, "genre": "Pop", "tracks": [track("kick", "kick"), track("bass", "bass")]}
    analyses = {
        "kick": make_analysis("kick", third_octave_db=KICK),
        "bass": make_analysis("bass", third_octave_db=BASS),
    }
    out = analyze_session(SessionSpec.from_dict(doc), analyses)
    assert not [i for i in out.issues if i.code == "tonal_balance"]
    assert any(i.code == "tonal_balance_not_judged" for i in out.issues)


def test_a_band_where_the_mix_is_silent_is_not_judged():
    devs = deviations(pop_mix(offsets={"brilliance": -80.0}))
    assert devs["brilliance"].deviation_db is None and not devs["brilliance"].outside
    assert all(abs(devs[n].deviation_db) < 2.0 for n in BAND_NAMES if n != "brilliance")


def test_master_tonal_moves_are_capped_and_state_the_measured_deviation():
    a = make_analysis("m", third_octave_db=pop_mix(offsets={"mid": -20.0}), integrated_lufs=-14.0)
    got = [
        s
        for s in suggest_for_track(a, track_id="m", track_type="master", genre="Pop")
        if s.type.startswith("eq_")
    ]
    assert [s.target.band for s in got] == ["mid"]
    boost = got[0]
    assert boost.type == "eq_boost" and 0 < boost.parameters["gain_db"] <= 6.0
    assert f"{boost.evidence['deviation_db']:+.1f} dB" in boost.reason
    assert boost.evidence["deviation_db"] == pytest.approx(-20.0, abs=2.0)


# --- on real analyses: a tilt of several bands is one region against the rest ------------------------


def pop_noise(offsets_db, *, seed=3, duration_s=8.0):
    """Stereo pink noise on the Pop target (per-octave levels relative to the mids), with per-band
    offsets (dB): analysed by core.analysis.analyze."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * SR)

    def curve(f):
        out = np.full(f.shape, -60.0)
        for b, t in zip(BANDS, POP, strict=True):
            out[(f >= b.low_hz) & (f < b.high_hz)] = t + offsets_db.get(b.name, 0.0)
        return out

    y = np.stack([shape(pink(n, rng), curve), shape(pink(n, rng), curve)])
    y *= 0.25 / np.abs(y).max()
    return analyze((y.astype(np.float32), SR), name="mix")


def tonal_issues(analysis):
    # typed drums: the mud, presence and low-end carrier cuts leave a drum stem alone
    doc = {"bpm": 120, "genre": "Pop", "tracks": [track("mix", "drums")]}
    out = analyze_session(SessionSpec.from_dict(doc), {"mix": analysis})
    return [i for i in out.issues if i.code == "tonal_balance"]


def test_a_dark_mix_is_one_region_over_the_top_end_not_three_loud_bands():
    # 60 Hz-2 kHz 8 dB up: the median puts the sub and the top end on the target, three bands over it
    issues = tonal_issues(pop_noise({"bass": 8.0, "low_mid": 8.0, "mid": 8.0}))
    assert len(issues) == 1
    (issue,) = issues
    ev = issue.evidence
    assert ev["bands"] == "bass,low_mid,mid" and (ev["low_hz"], ev["high_hz"]) == (60.0, 2000.0)
    for name in ("bass", "low_mid", "mid"):
        assert 6.0 <= ev[f"deviation_db_{name}"] <= 10.0, name
    assert ev["band"] in ("bass", "low_mid", "mid") and ev["deviation_db"] == max(
        ev[f"deviation_db_{n}"] for n in ("bass", "low_mid", "mid")
    )
    assert issue.message.startswith("The mix's 60 Hz-2 kHz sits ")
    assert "above its 20 Hz-60 Hz and 2 kHz-20 kHz against the Pop target: a dark mix" in issue.message
    assert "top end is what is missing" in issue.message
    assert 6.0 <= ev["relative_db_min"] <= ev["relative_db_max"] <= 10.0


def test_a_bright_mix_mirrors_it():
    issues = tonal_issues(pop_noise({"upper_mid": 8.0, "presence": 8.0, "brilliance": 8.0}))
    assert len(issues) == 1
    assert issues[0].message.startswith("The mix's 2 kHz-20 kHz sits ")
    assert "above its 20 Hz-2 kHz against the Pop target: a bright, thin mix" in issues[0].message
    assert issues[0].evidence["bands"] == "upper_mid,presence,brilliance"


def test_one_band_off_is_still_worded_as_that_band():
    issues = tonal_issues(pop_noise({"mid": -10.0}))
    assert len(issues) == 1
    msg = issues[0].message
    assert msg.startswith("The mix's mids (500 Hz-2 kHz) are -")
    assert msg.endswith("dB against the Pop target.")
    assert issues[0].evidence["band"] == "mid" and "bands" not in issues[0].evidence


def test_a_low_region_up_and_a_top_region_down_name_the_dark_tilt_once():
    # the low end up and the top end down are two regions off the target but one tilt
    up, down = ("sub", "bass", "low_mid"), ("upper_mid", "presence", "brilliance")
    issues = tonal_issues(pop_noise({**dict.fromkeys(up, 7.0), **dict.fromkeys(down, -7.0)}))
    regions = [i.message for i in issues if "bands" in i.evidence]
    assert len(regions) == 2, [i.message for i in issues]
    assert sum("a dark mix; the top end is what is missing" in m for m in regions) == 1, regions
    assert sum("the other side of the same tilt" in m for m in regions) == 1, regions
