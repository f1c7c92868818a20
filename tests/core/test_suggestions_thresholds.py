"""Every suggestion cites a measurement that crossed its rule's threshold, and its moves are sane.

Each rule puts the thresholds it fired on in its evidence as ``<measure>_above`` (fires at or above)
or ``<measure>_below`` (fires at or below) next to ``<measure>``; the property tests below check
that, over many seeded random analyses and sessions, every suggestion's evidence crosses every
threshold it cites, and that no gain or EQ move leaves the ranges of
core.suggestions.rules.PARAMETER_LIMITS.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.results import StereoResult
from core.session import SessionSpec, analyze_session, low_end, mud, presence
from core.suggestions import TRACK_TYPES, suggest_for_track
from core.suggestions.rules import PARAMETER_LIMITS, THRESHOLDS, TYPE_PROFILES
from core.targets import GENRE_TARGETS
from tests.core.session_fixtures import (
    BASS,
    DRUMS,
    GUITAR,
    HATS,
    KICK,
    PAD,
    VOCAL,
    make_analysis,
    spectrum,
    track,
)

SUFFIXES = ("_above", "_below")


def assert_crosses_its_thresholds(s):
    cited = [k for k in s.evidence if k.endswith(SUFFIXES)]
    assert cited, f"{s.type} on {s.target.track_id} cites no threshold: {s.evidence}"
    for key in cited:
        measure = key.rsplit("_", 1)[0]
        value, limit = s.evidence.get(measure), s.evidence[key]
        assert isinstance(value, int | float), (s.type, key, s.evidence)
        if key.endswith("_above"):
            assert value >= limit, (s.type, s.reason, s.evidence)
        else:
            assert value <= limit, (s.type, s.reason, s.evidence)


def assert_within_limits(s):
    for (type_, param), (lo, hi) in PARAMETER_LIMITS.items():
        if s.type == type_ and param in s.parameters:
            assert lo <= s.parameters[param] <= hi, (s.type, s.parameters, s.reason)


def random_analysis(rng, name="r"):
    parts = [
        (float(lo), float(lo * rng.uniform(1.5, 8)), float(rng.uniform(-60, -12)))
        for lo in rng.choice([20, 25, 63, 160, 400, 1000, 2500, 5000, 8000], size=4, replace=False)
    ]
    peak = float(rng.uniform(-0.3, 0.0) if rng.random() < 0.3 else rng.uniform(-40, -0.3))
    stereo = (
        None
        if rng.random() < 0.3
        else StereoResult(
            float(rng.uniform(-1, 1)), float(rng.uniform(0, 1.5)), 0.0, float(rng.uniform(0, 8))
        )
    )
    return make_analysis(
        name,
        third_octave_db=spectrum(*parts),
        crest_factor_db=float(rng.uniform(4, 30)),
        rms_dbfs=peak - float(rng.uniform(4, 25)),
        stereo=stereo,
        integrated_lufs=float(rng.uniform(-70, -4)),
        true_peak_dbtp=peak + float(rng.uniform(0, 1.5)),
        sample_peak_dbfs=peak,
        clipped_samples=int(rng.choice([0, 0, 0, 3, 400])),
        dc_offset=float(rng.choice([0.0, 0.001, 0.02])) * float(rng.choice([-1, 1])),
        noise_floor_dbfs=float(rng.uniform(-100, -35)),
        silence_ratio=float(rng.choice([0.0, 0.02, 0.2])),
        noise_floor_steady=[None, 0.1, 0.9][int(rng.integers(0, 3))],
        tempo_bpm=float(rng.uniform(60, 180)),
        tempo_confidence=float(rng.uniform(0, 1)),
    )


@pytest.mark.parametrize("seed", range(300))
def test_every_track_suggestion_crosses_the_threshold_it_cites(seed):
    rng = np.random.default_rng(seed)
    type_ = str(rng.choice(TRACK_TYPES))
    bpm = None if rng.random() < 0.3 else float(rng.uniform(60, 180))
    for s in suggest_for_track(random_analysis(rng), track_id="r", track_type=type_, bpm=bpm):
        assert_crosses_its_thresholds(s)
        assert_within_limits(s)


#: The deepest cut each carrier rule offers, by the band it cuts.
CARRIER_CUT_FLOOR = {
    presence.BAND: presence.CUT_DB[1],
    low_end.BAND: low_end.CUT_DB[1],
    mud.BAND: mud.CUT_DB[1],
}


@pytest.mark.parametrize("seed", range(40))
def test_every_session_suggestion_crosses_the_threshold_it_cites(seed):
    rng = np.random.default_rng(1000 + seed)
    types = [str(t) for t in rng.choice(TRACK_TYPES, size=int(rng.integers(2, 7)))]
    entries = [
        (
            track(f"t{i}", t, volume_db=float(rng.uniform(-20, 6)), pan=float(rng.uniform(-1, 1))),
            random_analysis(rng, f"t{i}"),
        )
        for i, t in enumerate(types)
    ]
    spec = SessionSpec.from_dict({"bpm": None, "tracks": [t for t, _ in entries]})
    out = analyze_session(spec, {t["track_id"]: a for t, a in entries})
    for ts in out.tracks:
        for s in ts.suggestions:
            assert_crosses_its_thresholds(s)
            assert_within_limits(s)
            if s.evidence.get("masked_track") is not None:
                # a shared band: a moderate cut; a stem louder than the band's owner: up to 9 dB; a
                # part carrying the band over the line its rule names: that rule's deepest cut
                floor = -9.0 if "louder_fraction" in s.evidence else -6.0
                if "carrier_share" in s.evidence:
                    floor = CARRIER_CUT_FLOOR[str(s.target.band)]
                assert floor <= s.parameters["gain_db"] <= -2.0


# --- clipping is clipped samples; a hot peak is a different matter ------------------------------


def test_a_hat_peaking_at_full_scale_without_clipped_samples_gets_no_declip():
    hat = make_analysis("hat", third_octave_db=HATS, sample_peak_dbfs=-0.02, true_peak_dbtp=-0.01)
    got = suggest_for_track(hat, track_id="hat", track_type="drums")
    assert not [s for s in got if s.parameters.get("process") == "declip"]
    assert not [s for s in got if "clipped" in s.reason]
    assert all(s.priority > 1 for s in got)


def test_a_true_peak_over_full_scale_gets_a_gain_down_not_a_declip():
    hat = make_analysis("hat", third_octave_db=HATS, sample_peak_dbfs=-0.02, true_peak_dbtp=0.8)
    got = suggest_for_track(hat, track_id="hat", track_type="drums")
    assert not [s for s in got if s.parameters.get("process") == "declip"]
    gain = next(s for s in got if s.type == "gain")
    assert gain.parameters["gain_db"] < -0.8 and "0.8 dBTP" in gain.reason
    assert gain.evidence["true_peak_dbtp_above"] == THRESHOLDS.stem_true_peak_dbtp


def test_clipped_samples_get_a_top_priority_declip_citing_them():
    hat = make_analysis("hat", third_octave_db=HATS, sample_peak_dbfs=0.0, clipped_samples=57)
    declip = next(
        s for s in suggest_for_track(hat, track_id="hat", track_type="drums") if s.type == "cleanup"
    )
    assert declip.parameters["process"] == "declip" and declip.priority == 1
    assert "57 clipped samples" in declip.reason


# --- clean material, quiet material -------------------------------------------------------------

#: A plausible clean spectrum per type (1/3-octave dB), inside the type's useful range.
CLEAN_SPECTRA = {
    "vocals": VOCAL,
    "backing_vocals": spectrum((160, 3150, -26.0), (4000, 8000, -40.0)),
    "kick": KICK,
    "snare": spectrum((160, 8000, -26.0)),
    "drums": DRUMS,
    "bass": BASS,
    "guitar": GUITAR,
    "keys": spectrum((63, 6300, -28.0)),
    "synth": spectrum((100, 8000, -28.0)),
    "pad": PAD,
    "strings": spectrum((80, 6300, -28.0)),
    "brass": spectrum((125, 6300, -28.0)),
    "fx": spectrum((100, 12500, -30.0)),
    "other": spectrum((63, 8000, -28.0)),
}


def pop_shaped_spectrum(base_db=-30.0):
    """1/3-octave levels following the Pop tonal target (core.targets), like a finished mix."""
    from core.bands import BANDS

    target = GENRE_TARGETS["Pop"].band_levels_db
    parts = [(b.low_hz, b.high_hz * 0.999, base_db + t) for b, t in zip(BANDS, target, strict=True)]
    return spectrum(*parts)


CLEAN_SPECTRA["mix_bus"] = pop_shaped_spectrum()
CLEAN_SPECTRA["master"] = pop_shaped_spectrum()


@pytest.mark.parametrize("type_", TRACK_TYPES)
def test_a_clean_track_of_every_type_gets_few_low_priority_suggestions(type_):
    profile = TYPE_PROFILES[type_]
    width = 0.1 if profile.mono_low_end else 0.4
    bus = type_ in ("mix_bus", "master")
    a = make_analysis(
        type_,
        third_octave_db=CLEAN_SPECTRA[type_],
        crest_factor_db=profile.crest_max_db - 4.0,
        rms_dbfs=-20.0,
        integrated_lufs=-14.0 if bus else -20.0,
        true_peak_dbtp=-1.5 if bus else -6.0,
        sample_peak_dbfs=-6.0 if type_ == "mix_bus" else None,
        stereo=StereoResult(0.6, width, 0.0, 1.0),
    )
    got = suggest_for_track(a, track_id="t", track_type=type_, bpm=120.0, genre="Pop")
    assert all(s.priority >= 3 for s in got), [(s.type, s.priority, s.reason) for s in got]
    assert len(got) <= 2, [(s.type, s.reason) for s in got]


def test_an_extremely_quiet_stem_gets_a_capped_gain_that_says_so():
    a = make_analysis(
        "vox", third_octave_db=VOCAL, integrated_lufs=-60.0, rms_dbfs=-62.0, true_peak_dbtp=-44.0
    )
    gain = next(s for s in suggest_for_track(a, track_id="v", track_type="vocals") if s.type == "gain")
    _, hi = PARAMETER_LIMITS[("gain", "gain_db")]
    assert gain.parameters["gain_db"] == hi and hi <= 12.0
    assert "capped" in gain.reason and gain.evidence["requested_gain_db"] > hi
    assert gain.evidence["integrated_lufs"] == -60.0


def test_a_stem_at_a_working_level_gets_no_gain():
    a = make_analysis("vox", third_octave_db=VOCAL, integrated_lufs=-20.0)
    assert "gain" not in {s.type for s in suggest_for_track(a, track_id="v", track_type="vocals")}


def test_a_buried_master_gets_a_capped_gain():
    a = make_analysis("m", third_octave_db=pop_shaped_spectrum(), integrated_lufs=-60.0, true_peak_dbtp=-40.0)
    got = suggest_for_track(a, track_id="m", track_type="master")
    moves = [s for s in got if s.type in ("gain", "limiting")]
    assert moves and all(0 < s.parameters["gain_db"] <= 12.0 for s in moves)
    assert all("capped" in s.reason for s in moves)
