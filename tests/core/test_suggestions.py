"""core.suggestions: per-track rules on constructed analyses whose truth is known."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.analysis import analyze
from core.bands import BAND_BY_NAME
from core.errors import InvalidParameter
from core.results import StereoResult
from core.suggestions import (
    SUGGESTION_TYPES,
    TRACK_TYPES,
    make_suggestion,
    note_ms,
    resolve,
    suggest_for_track,
    suggestion_id,
)
from core.suggestions.model import affected_bands
from core.suggestions.rules import TYPE_PROFILES
from core.suggestions.spectral import RUMBLE_MARGIN_DB
from core.suggestions.tempo import pre_delay_ms
from core.suggestions.track_context import sounding_dynamics
from core.targets import PLATFORM_TARGETS
from tests.core.session_fixtures import VOCAL, make_analysis, spectrum

#: Parameter names without a unit suffix that are dimensionless or labels.
UNITLESS = {"q", "ratio", "width", "note", "process", "action"}
UNIT_SUFFIXES = ("_hz", "_db", "_ms", "_s", "_dbtp", "_pct", "_db_per_octave")

#: A vocal with 30 Hz rumble and 6-8 kHz sibilance on top of a normal voice spectrum.
PROBLEM_VOCAL = spectrum((125, 3150, -24.0), (25, 40, -30.0), (6300, 8000, -18.0))


def by_type(suggestions):
    return {s.type: s for s in suggestions}


def test_vocal_with_rumble_and_sibilance_gets_high_pass_and_de_esser():
    a = make_analysis("vox", third_octave_db=PROBLEM_VOCAL)
    got = by_type(suggest_for_track(a, track_id="vox", track_type="vocals"))
    hp, de = got["high_pass"], got["de_ess"]
    assert 60 <= hp.parameters["freq_hz"] <= 120  # above the rumble, below the voice's fundamental
    assert hp.parameters["freq_hz"] == 80  # the gentlest slope that does it at the type's corner
    assert hp.parameters["slope_db_per_octave"] in (12, 24, 36)
    assert 5000 <= de.parameters["freq_hz"] <= 9000  # where the sibilance was put
    assert -8 <= de.parameters["gain_db"] <= -3
    assert "threshold_db" in de.parameters
    assert hp.priority <= 2 and de.priority <= 2
    assert "80 Hz" in hp.reason and "6300 Hz" in de.reason


def test_clean_vocal_gets_neither():
    a = make_analysis("vox", third_octave_db=VOCAL)
    types = {s.type for s in suggest_for_track(a, track_id="vox", track_type="vocals")}
    assert "high_pass" not in types and "de_ess" not in types


def test_rumble_on_a_kick_below_its_fundamental_only():
    kick = spectrum((40, 100, -14.0))
    assert "high_pass" not in by_type(
        suggest_for_track(make_analysis(third_octave_db=kick), track_id="k", track_type="kick")
    )
    # The same 40-100 Hz content on a backing vocal is all below its useful range.
    got = by_type(
        suggest_for_track(
            make_analysis(third_octave_db=spectrum((40, 100, -14.0), (200, 3000, -20.0))),
            track_id="bv",
            track_type="backing_vocals",
        )
    )
    assert got["high_pass"].parameters["freq_hz"] == 120


def test_rumble_just_under_the_corner_gets_a_corner_that_takes_it_down() -> None:
    """Keys (corner 40 Hz) with rumble at 25-31.5 Hz: a 24 dB/oct filter at 40 Hz would barely touch
    it, so the slope steepens first (48 dB/oct), then the corner rises (at most half an octave) until
    the rumble comes down by its excess plus a margin."""
    keys = spectrum((25, 31.5, -12.0), (100, 3000, -20.0))
    hp = by_type(suggest_for_track(make_analysis(third_octave_db=keys), track_id="k", track_type="keys"))[
        "high_pass"
    ]
    f, slope = hp.parameters["freq_hz"], hp.parameters["slope_db_per_octave"]
    assert 40 < f <= 40 * 2**0.5 + 0.5 and slope == 48
    needed = hp.evidence["share_below_db"] - hp.evidence["share_below_db_above"] + RUMBLE_MARGIN_DB
    assert slope * np.log2(f / hp.evidence["rumble_hz"]) >= needed - 1.0  # the corner is rounded to 1 Hz
    assert "The part below 40 Hz" in hp.reason and f"sits at {f:g} Hz, 48 dB per octave" in hp.reason
    # A vocal's corner (80 Hz) is already far above rumble at 30 Hz: it stays.
    vocal = spectrum((25, 31.5, -12.0), (125, 3150, -20.0))
    hp = by_type(suggest_for_track(make_analysis(third_octave_db=vocal), track_id="v", track_type="vocals"))[
        "high_pass"
    ]
    assert hp.parameters["freq_hz"] == 80 and "sits at 80 Hz" in hp.reason


def test_a_raised_corner_takes_the_whole_rumble_third_down() -> None:
    """Keys with rumble in the 31.5 Hz third only, just under their 40 Hz corner: the corner rises
    until the third's upper edge (35 Hz), not only its centre, comes down by what is needed."""
    keys = spectrum((31.5, 31.5, -20.0), (40, 3000, -20.0), floor_db=-70.0)
    hp = by_type(suggest_for_track(make_analysis(third_octave_db=keys), track_id="k", track_type="keys"))[
        "high_pass"
    ]
    f, slope = hp.parameters["freq_hz"], hp.parameters["slope_db_per_octave"]
    assert 40 < f < 40 * 2**0.5 - 1 and slope == 48  # raised, under the cap
    needed = hp.evidence["share_below_db"] - hp.evidence["share_below_db_above"] + RUMBLE_MARGIN_DB
    edge = hp.evidence["rumble_hz"] * 2 ** (1 / 6)
    assert slope * np.log2(f / edge) >= needed - 1.0  # the corner is rounded to 1 Hz


@pytest.mark.parametrize(
    ("bpm", "note", "modifier", "ms"),
    [
        (120, "1/4", "straight", 500.0),
        (120, "1/8", "dotted", 375.0),
        (90, "1/4", "straight", 666.667),
        (120, "1/4", "triplet", 333.333),
        (60, "1/16", "straight", 250.0),
    ],
)
def test_note_lengths(bpm, note, modifier, ms):
    assert note_ms(bpm, note=note, modifier=modifier) == pytest.approx(ms, abs=1e-3)


@pytest.mark.parametrize("bpm", [0, -10, 1000, float("nan")])
def test_bad_tempo_is_rejected(bpm):
    with pytest.raises(InvalidParameter, match="bpm"):
        note_ms(bpm)


def test_tempo_sets_delay_predelay_and_release():
    a = make_analysis("vox", third_octave_db=PROBLEM_VOCAL, crest_factor_db=22.0)
    at120 = by_type(suggest_for_track(a, track_id="vox", track_type="vocals", bpm=120))
    at60 = by_type(suggest_for_track(a, track_id="vox", track_type="vocals", bpm=60))
    assert at120["delay"].parameters["time_ms"] == 500.0  # quarter note at 120 BPM (Pop default)
    assert at60["delay"].parameters["time_ms"] == 1000.0
    assert at120["reverb"].parameters["pre_delay_ms"] == pytest.approx(pre_delay_ms(120), abs=0.5)
    assert at120["compression"].parameters["release_ms"] == 250.0  # an eighth note at 120 BPM
    assert at60["compression"].parameters["release_ms"] == 500.0
    # Genre picks the note: a dotted eighth for Electronic/EDM.
    edm = by_type(suggest_for_track(a, track_id="vox", track_type="vocals", bpm=120, genre="edm"))
    assert edm["delay"].parameters["time_ms"] == 375.0


def test_no_delay_without_a_tempo_and_none_with_a_delay_insert():
    a = make_analysis("vox", third_octave_db=VOCAL)
    assert "delay" not in by_type(suggest_for_track(a, track_id="v", track_type="vocals"))
    got = suggest_for_track(
        a, track_id="v", track_type="vocals", bpm=100, inserts=("EchoBoy", "ValhallaRoom")
    )
    assert not {"delay", "reverb"} & {s.type for s in got}


def test_detected_tempo_used_only_when_confident():
    sure = make_analysis("vox", third_octave_db=VOCAL, tempo_bpm=100.0, tempo_confidence=0.9)
    unsure = make_analysis("vox", third_octave_db=VOCAL, tempo_bpm=100.0, tempo_confidence=0.1)
    assert (
        by_type(suggest_for_track(sure, track_id="v", track_type="vocals"))["delay"].parameters["time_ms"]
        == 600.0
    )
    assert "delay" not in by_type(suggest_for_track(unsure, track_id="v", track_type="vocals"))


def test_compression_follows_the_crest_factor():
    calm = make_analysis(third_octave_db=VOCAL, crest_factor_db=10.0)
    spiky = make_analysis(third_octave_db=VOCAL, crest_factor_db=20.0, rms_dbfs=-24.0)
    spikier = make_analysis(third_octave_db=VOCAL, crest_factor_db=26.0, rms_dbfs=-24.0)
    assert "compression" not in by_type(suggest_for_track(calm, track_id="v", track_type="vocals"))
    c1 = by_type(suggest_for_track(spiky, track_id="v", track_type="vocals"))["compression"].parameters
    c2 = by_type(suggest_for_track(spikier, track_id="v", track_type="vocals"))["compression"].parameters
    assert -24.0 < c1["threshold_db"] < -24.0 + 20.0  # between RMS and peak
    assert c2["ratio"] > c1["ratio"] > 1.0
    # peaks well past a vocal's usual 14 dB are a defect; a little past it polish; a few tenths over
    # it the part's own dynamics, nothing to compress
    assert by_type(suggest_for_track(spiky, track_id="v", track_type="vocals"))["compression"].priority == 3
    some = make_analysis(third_octave_db=VOCAL, crest_factor_db=16.5, rms_dbfs=-24.0)
    assert by_type(suggest_for_track(some, track_id="v", track_type="vocals"))["compression"].priority == 4
    barely = make_analysis(third_octave_db=VOCAL, crest_factor_db=15.5, rms_dbfs=-24.0)
    assert "compression" not in by_type(suggest_for_track(barely, track_id="v", track_type="vocals"))


def test_stereo_rules_phase_and_mono_low_end():
    wide_bass = make_analysis(
        third_octave_db=spectrum((40, 400, -18.0)), stereo=StereoResult(0.6, 0.5, 0.0, 1.0)
    )
    got = by_type(suggest_for_track(wide_bass, track_id="b", track_type="bass"))
    assert (
        got["stereo_width"].parameters["width"] == 0.0
        and got["stereo_width"].parameters["mono_below_hz"] > 60
    )
    flipped = make_analysis(third_octave_db=VOCAL, stereo=StereoResult(-0.8, 1.5, 0.0, 12.0))
    first = suggest_for_track(flipped, track_id="g", track_type="guitar")[0]
    assert first.type == "phase_fix" and first.priority == 1


def test_cleanup_rules_fire_on_their_defects_only():
    clean = {
        s.type
        for s in suggest_for_track(make_analysis(third_octave_db=VOCAL), track_id="v", track_type="keys")
    }
    assert "cleanup" not in clean
    broken = make_analysis(
        third_octave_db=VOCAL,
        clipped_samples=40,
        sample_peak_dbfs=0.0,
        dc_offset=0.02,
        noise_floor_dbfs=-45.0,
        silence_ratio=0.3,
        noise_floor_steady=0.9,
    )
    processes = {
        s.parameters["process"]
        for s in suggest_for_track(broken, track_id="v", track_type="keys")
        if s.type == "cleanup"
    }
    assert processes == {"declip", "dc_removal", "gate"}


@pytest.mark.parametrize(("dc", "priority"), [(0.01, 4), (0.04, 4), (0.06, 2), (-0.2, 2)])
def test_a_small_dc_offset_is_hygiene_a_large_one_a_defect(dc: float, priority: int):
    (fix,) = [
        s
        for s in suggest_for_track(
            make_analysis(third_octave_db=VOCAL, dc_offset=dc), track_id="p", track_type="pad"
        )
        if s.type == "cleanup"
    ]
    assert fix.parameters["process"] == "dc_removal" and fix.priority == priority
    assert fix.evidence["dc_offset_abs"] == pytest.approx(abs(dc))
    # one severity step from the removal line to the urgent one: hygiene never reads as 3x a defect
    assert (fix.evidence["severity"] < 2.0) == (priority == 4)


def test_buildup_cut_outside_the_types_core_bands():
    boxy = spectrum((100, 5000, -30.0), (250, 400, -18.0))  # low-mid 12 dB above the rest
    cut = by_type(suggest_for_track(make_analysis(third_octave_db=boxy), track_id="s", track_type="synth"))[
        "eq_cut"
    ]
    assert cut.target.band == "low_mid" and 250 <= cut.parameters["freq_hz"] <= 400
    assert -6 <= cut.parameters["gain_db"] <= -2
    # The same bump on a guitar is its body (low_mid is a core band of guitars): no cut.
    got = suggest_for_track(make_analysis(third_octave_db=boxy), track_id="g", track_type="guitar")
    assert not [s for s in got if s.type == "eq_cut" and s.target.band == "low_mid"]


def test_dull_vocal_gets_a_presence_boost_and_no_de_esser():
    dull = spectrum((125, 1600, -24.0), (2000, 6300, -50.0))
    got = by_type(suggest_for_track(make_analysis(third_octave_db=dull), track_id="v", track_type="vocals"))
    assert got["eq_boost"].target.band == "presence" and 0 < got["eq_boost"].parameters["gain_db"] <= 4
    assert "de_ess" not in got


def test_dull_vocal_with_a_bright_top_gets_no_presence_boost():
    # The same dull 2-6 kHz, but the top (6.3-10 kHz) stands 6 dB above the presence band: a wide
    # boost at 5 kHz would lift it too (sibilance); a top level with the band still gets the boost.
    bright_top = spectrum((125, 1600, -24.0), (2000, 5000, -50.0), (6300, 10000, -44.0))
    got = suggest_for_track(make_analysis(third_octave_db=bright_top), track_id="v", track_type="vocals")
    assert not [s for s in got if s.type == "eq_boost" and s.target.band == "presence"]
    level_top = spectrum((125, 1600, -24.0), (2000, 10000, -50.0))
    got = by_type(
        suggest_for_track(make_analysis(third_octave_db=level_top), track_id="v", track_type="vocals")
    )
    assert got["eq_boost"].target.band == "presence"


@pytest.mark.parametrize("platform", sorted(PLATFORM_TARGETS))
def test_master_loudness_against_each_platform(platform):
    tgt = PLATFORM_TARGETS[platform]
    quiet = make_analysis(
        "m",
        third_octave_db=spectrum((30, 16000, -20.0)),
        integrated_lufs=tgt.integrated_lufs - 6,
        true_peak_dbtp=-1.0,
    )
    s = suggest_for_track(quiet, track_id="m", track_type="master", platform=platform)
    lim = by_type(s)["limiting"]
    assert lim.parameters["gain_db"] == pytest.approx(6.0)
    assert lim.parameters["ceiling_dbtp"] == tgt.true_peak_dbtp
    hot = make_analysis(
        "m",
        third_octave_db=spectrum((30, 16000, -20.0)),
        integrated_lufs=tgt.integrated_lufs + 5,
        true_peak_dbtp=0.3,
    )
    got = by_type(suggest_for_track(hot, track_id="m", track_type="master", platform=platform))
    assert got["gain"].parameters["gain_db"] == pytest.approx(-5.0)
    assert got["limiting"].priority == 1 and got["limiting"].parameters["ceiling_dbtp"] <= tgt.true_peak_dbtp
    on_target = make_analysis(
        "m",
        third_octave_db=spectrum((30, 16000, -20.0)),
        integrated_lufs=tgt.integrated_lufs,
        true_peak_dbtp=tgt.true_peak_dbtp - 1,
    )
    assert not {"gain", "limiting"} & {
        s.type for s in suggest_for_track(on_target, track_id="m", track_type="master", platform=platform)
    }


def test_spotify_ceiling_is_stricter_for_loud_masters():
    hot = make_analysis("m", integrated_lufs=-8.0, true_peak_dbtp=-1.5)
    lim = by_type(suggest_for_track(hot, track_id="m", track_type="master", platform="spotify"))["limiting"]
    assert lim.parameters["ceiling_dbtp"] == -2.0


def test_quiet_master_with_headroom_gets_plain_gain():
    quiet = make_analysis("m", integrated_lufs=-20.0, true_peak_dbtp=-9.0)
    got = by_type(suggest_for_track(quiet, track_id="m", track_type="master", platform="spotify"))
    assert got["gain"].parameters["gain_db"] == pytest.approx(6.0) and "limiting" not in got


def test_unknown_platform_and_type_are_rejected():
    a = make_analysis()
    with pytest.raises(InvalidParameter, match="platform"):
        suggest_for_track(a, track_id="m", track_type="master", platform="tidal-hifi")
    with pytest.raises(InvalidParameter, match="track_type"):
        suggest_for_track(a, track_id="x", track_type="kazoo")


def test_ids_are_stable_and_specific():
    a = make_analysis("vox", third_octave_db=PROBLEM_VOCAL)
    one = suggest_for_track(a, track_id="vox", track_type="vocals", bpm=120)
    two = suggest_for_track(a, track_id="vox", track_type="vocals", bpm=120)
    assert [s.id for s in one] == [s.id for s in two]
    assert len({s.id for s in one}) == len(one)
    other = suggest_for_track(a, track_id="vox2", track_type="vocals", bpm=120)
    assert not {s.id for s in one} & {s.id for s in other}
    # Rounding: jitter below two significant figures keeps the id, a real change does not.
    base = {"freq_hz": 350.0, "gain_db": -3.0, "q": 1.0}
    assert suggestion_id("t", "eq_cut", "low_mid", base) == suggestion_id(
        "t", "eq_cut", "low_mid", {**base, "freq_hz": 351.0}
    )
    assert suggestion_id("t", "eq_cut", "low_mid", base) != suggestion_id(
        "t", "eq_cut", "low_mid", {**base, "gain_db": -5.0}
    )


def _cut(
    band: str,
    *,
    priority: int = 3,
    confidence: float = 0.5,
    track: str = "t",
    kind: str = "eq_cut",
    gain: float = -3.0,
):
    return make_suggestion(
        kind,
        track_id=track,
        track_type="keys",
        band=band,
        parameters={"freq_hz": BAND_BY_NAME[band].centre_hz, "gain_db": gain, "q": 1.0},
        priority=priority,
        confidence=confidence,
        reason="test",
    )


def test_resolve_removes_contradictions_and_sorts():
    boost = _cut("low_mid", kind="eq_boost", gain=3.0, priority=4)
    cut = _cut("low_mid", priority=2)
    other_track_boost = _cut("low_mid", kind="eq_boost", gain=3.0, track="u", priority=5)
    lower = _cut("mid", priority=2, confidence=0.9)
    out = resolve([boost, cut, other_track_boost, lower])
    assert out == (lower, cut, other_track_boost)
    hp = make_suggestion(
        "high_pass",
        track_id="t",
        track_type="keys",
        band="bass",
        parameters={"freq_hz": 100.0},
        priority=2,
        confidence=0.8,
        reason="test",
    )
    sub_boost = _cut("sub", kind="eq_boost", gain=3.0, priority=3)
    assert resolve([sub_boost, hp]) == (hp,)  # a high-pass at 100 Hz cuts the sub band


@pytest.mark.parametrize("seed", range(12))
def test_random_tracks_give_sorted_contradiction_free_json_clean_advice(seed):
    rng = np.random.default_rng(seed)
    parts = [
        (float(lo), float(lo * rng.uniform(1.5, 8)), float(rng.uniform(-50, -15)))
        for lo in rng.choice([25, 63, 160, 400, 1000, 2500, 5000, 8000], size=4, replace=False)
    ]
    a = make_analysis(
        "r",
        third_octave_db=spectrum(*parts),
        crest_factor_db=float(rng.uniform(6, 26)),
        stereo=StereoResult(float(rng.uniform(-1, 1)), float(rng.uniform(0, 1.5)), 0.0, 1.0),
        integrated_lufs=float(rng.uniform(-30, -6)),
        true_peak_dbtp=float(rng.uniform(-6, 1)),
    )
    type_ = str(rng.choice(TRACK_TYPES))
    out = suggest_for_track(a, track_id="r", track_type=type_, bpm=float(rng.uniform(60, 180)))
    assert list(out) == sorted(out, key=lambda s: (s.priority, -s.confidence, s.id))
    for i, s in enumerate(out):
        assert s.type in SUGGESTION_TYPES and s.track_type == type_ and 1 <= s.priority <= 5
        assert 0 <= s.confidence <= 1 and s.reason
        for k in s.parameters:
            assert k in UNITLESS or k.endswith(UNIT_SUFFIXES), k
        for t in out[i + 1 :]:
            dirs = {s.type, t.type}
            if dirs & {"eq_boost"} and dirs & {"eq_cut", "high_pass", "low_pass", "de_ess"}:
                assert not affected_bands(s) & affected_bands(t)
    json.dumps([s.to_dict() for s in out], allow_nan=False)


def test_an_inserted_de_esser_lowers_the_confidence():
    a = make_analysis("vox", third_octave_db=PROBLEM_VOCAL)
    bare = by_type(suggest_for_track(a, track_id="v", track_type="vocals"))["de_ess"]
    has = by_type(
        suggest_for_track(a, track_id="v", track_type="vocals", inserts=("FabFilter Pro-DS De-Esser",))
    )
    assert has["de_ess"].confidence < bare.confidence and "inserted" in has["de_ess"].reason


def _hits(sr: int, bars: int, *, rest_bars: int = 0, seed: int = 0) -> np.ndarray:
    """A snare-like part at 100 BPM: a noise burst on beats 2 and 4, then ``rest_bars`` bars of rest."""
    rng = np.random.default_rng(seed)
    beat = int(sr * 0.6)
    bar = np.zeros(4 * beat)
    t = np.arange(int(0.25 * sr)) / sr
    for b in (1, 3):
        bar[b * beat : b * beat + t.size] = 0.5 * rng.standard_normal(t.size) * np.exp(-18.0 * t)
    return np.concatenate([np.tile(bar, bars), np.zeros(rest_bars * bar.size)])


def test_a_part_s_rests_do_not_read_as_dynamics():
    sr = 22_050
    playing = analyze((_hits(sr, 16), sr), name="snare")
    resting = analyze((_hits(sr, 16, rest_bars=32), sr), name="snare")
    # the whole-song crest factor grows with the rests; the crest while it sounds does not
    assert resting.dynamics.crest_factor_db - playing.dynamics.crest_factor_db > 4.0
    (c_play, _), (c_rest, _) = sounding_dynamics(playing), sounding_dynamics(resting)
    assert c_play is not None and c_rest is not None and abs(c_rest - c_play) < 1.0
    # so a snare that rests for two thirds of the song is not told to tame its peaks for it
    # so a snare that rests for two thirds of the song is not told to tame its peaks for it
    assert c_rest <= TYPE_PROFILES["snare"].crest_max_db < resting.dynamics.crest_factor_db
    assert "compression" not in by_type(suggest_for_track(resting, track_id="s", track_type="snare"))
    spiky = make_analysis(third_octave_db=VOCAL, crest_factor_db=26.0, rms_dbfs=-24.0, silence_ratio=0.75)
    (move,) = [
        s for s in suggest_for_track(spiky, track_id="v", track_type="vocals") if s.type == "compression"
    ]
    assert move.evidence["sounding_crest_db"] == pytest.approx(26.0 - 10 * np.log10(4), abs=0.01)
    assert "while it plays" in move.reason
