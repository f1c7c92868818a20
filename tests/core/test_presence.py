"""core.session.presence: an accompaniment part that carries the mix's 2-4 kHz over the lead gets
the upper-mid cut, never the drums or the lead, and the cut proves itself in the session."""

from __future__ import annotations

import pytest

from core.session import SessionSpec, analyze_session
from core.session.mud import carrier_share, cut_to_release
from core.session.presence import AIM_SHARE, CARRIER_MAX_SHARE, CUT_DB, presence_cut
from core.suggestions.spectral import band_excess_db, bump_threshold_db, leveling_cut_db
from core.verify import verify_in_session
from tests.core.session_fixtures import BASS, HATS, KICK, cut_applied, make_analysis, spectrum, track

LEAD = spectrum((200, 1600, -20.0), (2000, 4000, -32.0), (5000, 8000, -44.0))


def keys_spectrum(upper_mid_db: float) -> dict[float, float]:
    return spectrum((100, 1600, -24.0), (2000, 4000, upper_mid_db), (5000, 8000, -46.0))


def session(keys_upper_mid_db: float, *, lead: bool = True, keys_type: str = "keys"):
    entries = [("kick", "kick", KICK), ("bass", "bass", BASS), ("hats", "drums", HATS)]
    entries.append(("keys", keys_type, keys_spectrum(keys_upper_mid_db)))
    if lead:
        entries.append(("vox", "vocals", LEAD))
    doc = {"bpm": 120.0, "genre": "Pop", "tracks": [track(t, ty) for t, ty, _ in entries]}
    return SessionSpec.from_dict(doc), {t: make_analysis(t, third_octave_db=sp) for t, _, sp in entries}


def presence_moves(out):
    return [s for t in out.tracks for s in t.suggestions if "carrier_over_lead_db" in s.evidence]


@pytest.mark.parametrize("keys_upper_mid_db", [-28.0, -25.0, -22.0])
def test_keys_carrying_the_lead_s_presence_band_get_the_upper_mid_cut(keys_upper_mid_db: float):
    spec, analyses = session(keys_upper_mid_db)
    share = carrier_share(list(spec.tracks), analyses, "keys", "upper_mid")
    assert share >= CARRIER_MAX_SHARE + 0.05
    (cut,) = presence_moves(analyze_session(spec, analyses))
    assert cut.target.track_id == "keys" and cut.type == "eq_cut" and cut.target.band == "upper_mid"
    assert 2000.0 <= cut.parameters["freq_hz"] < 4000.0
    assert CUT_DB[1] <= cut.parameters["gain_db"] <= CUT_DB[0]
    over = cut.evidence["carrier_over_lead_db"]
    assert over == pytest.approx(keys_upper_mid_db + 32.0, abs=0.5)  # both flat over the band
    assert f"{over:.0f} dB over 'vox'" in cut.reason and f"{100 * share:.0f} %" in cut.reason
    # the deeper of: what takes the keys well under half the band (to AIM_SHARE),
    # and half their lead over the lead
    wanted = min(cut_to_release(share, AIM_SHARE), -over / 2.0)
    assert cut.parameters["gain_db"] == pytest.approx(max(min(wanted, CUT_DB[0]), CUT_DB[1]), abs=0.06)


def test_no_cut_without_a_lead_or_under_half_the_band_and_never_on_the_drums():
    spec, analyses = session(-26.0, lead=False)  # an instrumental: the keys may carry the band
    assert not presence_moves(analyze_session(spec, analyses))
    spec, analyses = session(-40.0)  # keys under the lead and the hats together
    assert carrier_share(list(spec.tracks), analyses, "keys", "upper_mid") < CARRIER_MAX_SHARE
    assert not presence_moves(analyze_session(spec, analyses))
    # a snare filling the band is its crack, not crowding: nothing on it, nothing elsewhere
    spec, analyses = session(-26.0, keys_type="snare")
    assert carrier_share(list(spec.tracks), analyses, "keys", "upper_mid") >= CARRIER_MAX_SHARE
    assert presence_cut(list(spec.tracks), analyses) is None


def test_the_cut_it_names_resolves_it_in_the_session():
    spec, analyses = session(-26.0)
    (cut,) = presence_moves(analyze_session(spec, analyses))
    verdict = verify_in_session(spec, analyses, cut, cut_applied("keys", keys_spectrum(-26.0), cut))
    assert verdict.before["carrier_share"] >= CARRIER_MAX_SHARE > verdict.after["carrier_share"]
    assert verdict.resolved
    # a 1 dB cut leaves the keys over half the band: honestly not resolved
    shallow = make_analysis("keys", third_octave_db=keys_spectrum(-27.0))
    verdict = verify_in_session(spec, analyses, cut, shallow)
    assert verdict.after["carrier_share"] >= CARRIER_MAX_SHARE and not verdict.resolved


def test_a_part_whose_upper_mids_stand_out_in_its_own_spectrum_gets_them_levelled():
    # keys 4 dB over their mids at 2-4 kHz (a bell's build-up), 2 dB over the lead there: the cut
    # that closes half that lead or takes them under half the band would leave the bump
    entries = [
        ("kick", "kick", KICK),
        ("bass", "bass", BASS),
        ("hats", "drums", HATS),
        ("vox", "vocals", LEAD),
    ]
    keys = spectrum((100, 1600, -34.0), (2000, 3200, -30.0), (5000, 8000, -54.0))
    doc = {
        "bpm": 120.0,
        "genre": "Pop",
        "tracks": [track(t, ty) for t, ty, _ in entries] + [track("keys", "keys")],
    }
    spec = SessionSpec.from_dict(doc)
    analyses = {t: make_analysis(t, third_octave_db=sp) for t, _, sp in entries}
    analyses["keys"] = make_analysis("keys", third_octave_db=keys)
    excess = band_excess_db(analyses["keys"], "upper_mid")
    assert excess is not None and excess >= bump_threshold_db("upper_mid", "keys") + 0.3
    (cut,) = presence_moves(analyze_session(spec, analyses))
    share = carrier_share(list(spec.tracks), analyses, "keys", "upper_mid")
    milder = max(
        min(cut_to_release(share, AIM_SHARE), -cut.evidence["carrier_over_lead_db"] / 2),
        CUT_DB[1],
    )
    assert milder >= leveling_cut_db(excess) + 1.0
    assert cut.parameters["gain_db"] == pytest.approx(max(leveling_cut_db(excess), CUT_DB[1]), abs=0.06)
