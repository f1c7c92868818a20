"""core.suggestions.spectral build-ups: a band that stands above both neighbours outside the type's
body gets a cut that levels it; in a tonal part's upper mids a smaller bump counts (harshness)."""

from __future__ import annotations

import numpy as np
import pytest

from core.bands import THIRD_OCTAVE_CENTRES_HZ
from core.suggestions import suggest_for_track
from core.suggestions.rules import THRESHOLDS
from core.suggestions.spectral import band_excess_db, bump_threshold_db, leveling_cut_db
from core.suggestions.track_context import bump_in, peak_in
from tests.core.session_fixtures import make_analysis, spectrum


def bright(upper_mid_over_mids_db: float):
    """Flat 100 Hz-1.6 kHz, the 2-3.2 kHz thirds this far over it, little above 5 kHz."""
    return make_analysis(
        "t",
        third_octave_db=spectrum(
            (100, 1600, -30.0), (2000, 3200, -30.0 + upper_mid_over_mids_db), (5000, 8000, -54.0)
        ),
    )


def upper_mid_cuts(a, track_type: str):
    return [
        s
        for s in suggest_for_track(a, track_id="t", track_type=track_type)
        if s.type == "eq_cut" and s.target.band == "upper_mid" and "excess_db" in s.evidence
    ]


@pytest.mark.parametrize("over_db", [3.7, 4.0, 9.0])
def test_a_tonal_part_s_upper_mid_bump_is_cut_level_with_its_neighbours(over_db: float):
    a = bright(over_db)
    excess = band_excess_db(a, "upper_mid")
    assert excess == pytest.approx(over_db, abs=0.1)
    (cut,) = upper_mid_cuts(a, "keys")
    assert cut.evidence["excess_db_above"] == THRESHOLDS.harsh_bump_db
    assert 2000.0 <= cut.parameters["freq_hz"] < 4000.0
    # deep enough to level the band: the bell takes BUMP_BELL_REACH of its depth off the excess
    assert cut.parameters["gain_db"] == pytest.approx(leveling_cut_db(excess), abs=0.06)
    assert cut.parameters["gain_db"] == pytest.approx(max(-over_db / 0.65, -6.0), abs=0.06)
    assert f"{excess:.1f} dB louder than both" in cut.reason


def test_the_lower_line_is_for_tonal_parts_in_the_upper_mids_only():
    assert THRESHOLDS.harsh_bump_db + 1.0 <= THRESHOLDS.bump_db
    between = bright((THRESHOLDS.harsh_bump_db + THRESHOLDS.bump_db) / 2)
    assert upper_mid_cuts(between, "keys") and upper_mid_cuts(between, "strings")
    # a drum's click lives there: the usual line
    for hit in ("kick", "snare", "drums"):
        assert bump_threshold_db("upper_mid", hit) == THRESHOLDS.bump_db
        assert not upper_mid_cuts(between, hit)
    assert bump_threshold_db("presence", "keys") == THRESHOLDS.bump_db
    # under the line: a bright part, not a build-up
    assert not upper_mid_cuts(bright(THRESHOLDS.harsh_bump_db - 1.0), "keys")


def sloped_with_bell(bell_hz: float, bell_db: float = 6.0):
    """-6 dB per octave from 1 kHz, with a Q 1-like bell (Gaussian in log frequency) at ``bell_hz``."""
    levels = {
        c: -20.0 - 6.0 * np.log2(c / 1000.0) + bell_db * np.exp(-0.5 * (np.log2(c / bell_hz) / 0.6) ** 2)
        for c in THIRD_OCTAVE_CENTRES_HZ
    }
    return make_analysis("t", third_octave_db=levels)


@pytest.mark.parametrize("bell_hz", [2600.0, 3100.0, 3600.0])
def test_a_bump_on_a_falling_spectrum_is_found_at_its_centre_not_at_the_band_edge(bell_hz: float):
    a = sloped_with_bell(bell_hz)
    # the loudest third of the band is its lower edge, whatever the bump
    assert peak_in(a, 2000.0, 4000.0)[0] == 2000.0
    assert abs(np.log2(bump_in(a, 2000.0, 4000.0) / bell_hz)) <= 1 / 6
    # without a bump the search falls on no particular third but stays inside the band
    assert 2000.0 <= bump_in(sloped_with_bell(bell_hz, 0.0), 2000.0, 4000.0) < 4000.0
