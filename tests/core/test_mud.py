"""core.session.mud: a muddy mix's low mids are cut on the part that carries them, and the cut proves
itself in the session (the part no longer carries the band, or the mix is back in balance)."""

from __future__ import annotations

import numpy as np
import pytest

from core.session import SessionSpec, analyze_session
from core.session.mud import (
    CARRIER_MIN_SHARE,
    CUT_DB,
    LEAD_CUT_DB,
    LEAD_MIN_SHARE,
    LEVEL_DROP_MAX_DB,
    carrier_share,
    level_safe_cut,
    mud_cut,
    own_share,
)
from core.suggestions.mastering import BandDeviation
from core.verify import verify_in_session, verify_session_moves
from tests.core.session_fixtures import (
    BASS,
    HATS,
    KICK,
    VOCAL,
    cut_applied,
    make_analysis,
    spectrum,
    track,
    with_bell,
)


def keys_spectrum(low_mid_db: float) -> dict[float, float]:
    return spectrum((100, 200, -30.0), (250, 500, low_mid_db), (630, 4000, -32.0))


def band_session(keys_low_mid_db: float, *, bass: bool = True):
    entries = [
        ("kick", "kick", KICK),
        ("keys", "keys", keys_spectrum(keys_low_mid_db)),
        ("vox", "vocals", VOCAL),
    ]
    entries += [("hats", "drums", HATS)] + ([("bass", "bass", BASS)] if bass else [])
    doc = {"bpm": 120.0, "genre": "Pop", "tracks": [track(t, ty) for t, ty, _ in entries]}
    return SessionSpec.from_dict(doc), {t: make_analysis(t, third_octave_db=sp) for t, _, sp in entries}


def mud_moves(out):
    return [s for t in out.tracks for s in t.suggestions if "carrier_share" in s.evidence]


def test_keys_filling_a_muddy_mix_get_the_low_mid_cut():
    spec, analyses = band_session(-14.0)
    out = analyze_session(spec, analyses)
    low_mid = next(d for d in out.mix.tonal_balance if d.band == "low_mid")
    assert low_mid.deviation_db is not None and low_mid.deviation_db > 4.0  # the Pop tolerance
    (cut,) = mud_moves(out)
    assert cut.target.track_id == "keys" and cut.type == "eq_cut" and cut.target.band == "low_mid"
    assert 250.0 <= cut.parameters["freq_hz"] < 500.0
    assert CUT_DB[1] <= cut.parameters["gain_db"] <= CUT_DB[0]
    # the keys hold 67 % of the band: only the deepest cut allowed comes near taking them under 25 %
    assert cut.parameters["gain_db"] == CUT_DB[1]
    assert cut.evidence["carrier_share"] >= CARRIER_MIN_SHARE
    assert "67 %" in cut.reason and "+7.3 dB against the Pop balance" in cut.reason
    # the bass holds low mids too, but they are its body: it is never the carrier
    assert all(s.target.track_id != "bass" for s in mud_moves(out))


def test_no_cut_when_the_mix_is_in_balance_or_no_part_carries_the_band():
    spec, analyses = band_session(-14.0)
    stems = list(spec.tracks)
    inside = [BandDeviation("low_mid", 0.0, 0.0, 3.9, False)]
    assert mud_cut(stems, analyses, inside, genre="Pop", tolerance_db=4.0) is None
    outside = [BandDeviation("low_mid", 0.0, 0.0, 4.5, True)]
    assert mud_cut(stems, analyses, outside, genre="Pop", tolerance_db=4.0) is not None
    # keys far under the bass in the band: they carry under CARRIER_MIN_SHARE of it, nothing is cut
    spec, analyses = band_session(-34.0)
    assert carrier_share(list(spec.tracks), analyses, "keys") < CARRIER_MIN_SHARE
    assert mud_cut(list(spec.tracks), analyses, outside, genre="Pop", tolerance_db=4.0) is None


def test_a_mix_bus_or_a_reference_takes_over_the_tonal_moves():
    spec, analyses = band_session(-14.0)
    doc = spec.to_dict()
    doc["tracks"].append(track("bus", "mix_bus"))
    bus = make_analysis("bus", third_octave_db=spectrum((40, 12500, -20.0)))
    assert not mud_moves(analyze_session(doc, {**analyses, "bus": bus}))


def test_the_cut_is_resolved_in_the_session_when_the_part_stops_carrying_the_low_mids():
    spec, analyses = band_session(-14.0)
    (cut,) = mud_moves(analyze_session(spec, analyses))
    deep = make_analysis("keys", third_octave_db=keys_spectrum(-26.0))  # the keys' low mids 12 dB down
    verdict = verify_in_session(spec, analyses, cut, deep)
    assert verdict.before["carrier_share"] >= CARRIER_MIN_SHARE > verdict.after["carrier_share"]
    assert verdict.resolved
    shallow = make_analysis("keys", third_octave_db=keys_spectrum(-15.0))  # 1 dB: still the carrier
    verdict = verify_in_session(spec, analyses, cut, shallow)
    assert verdict.after["carrier_share"] >= CARRIER_MIN_SHARE and not verdict.resolved
    assert not verdict.improved  # 1 dB of a part holding two thirds: under a tenth of the way


def test_a_cut_that_takes_the_carrier_half_way_improves_without_resolving():
    # the keys' low mids 5 dB down: still the carrier (39 %), but two thirds of the way from 67 %
    # to the 25 % line; the vet keeps such a move at its rank and says it improved
    spec, analyses = band_session(-14.0)
    (cut,) = mud_moves(analyze_session(spec, analyses))
    down5 = make_analysis("keys", third_octave_db=keys_spectrum(-19.0))
    verdict = verify_in_session(spec, analyses, cut, down5)
    assert not verdict.resolved and verdict.improved
    before, after = verdict.before["carrier_share"], verdict.after["carrier_share"]
    assert (before - after) / (before - CARRIER_MIN_SHARE) >= 0.5
    down2 = make_analysis("keys", third_octave_db=keys_spectrum(-16.0))
    verdict = verify_in_session(spec, analyses, cut, down2)
    assert not verdict.resolved and not verdict.improved  # 2 dB: a quarter of the way


def test_a_set_of_moves_judges_each_one_as_its_own_preview_does():
    # the session preview (several moves at once) must not call resolved what the move's own
    # preview calls improved, nor the other way round
    spec, analyses = band_session(-14.0)
    (cut,) = mud_moves(analyze_session(spec, analyses))
    for keys_db, resolved, improved in ((-26.0, True, False), (-19.0, False, True), (-16.0, False, False)):
        after = make_analysis("keys", third_octave_db=keys_spectrum(keys_db))
        alone = verify_in_session(spec, analyses, cut, after)
        together = verify_session_moves(spec, analyses, [cut], {"keys": after})
        assert (alone.resolved, alone.improved) == (resolved, improved)
        assert together.resolved == {cut.id: resolved} and together.improved == {cut.id: improved}


def test_a_lead_under_its_own_line_is_not_the_carrier_the_accompaniment_is():
    # a lead heavy in the low mids (half of them) and keys holding a third: the keys get the cut
    spec, analyses = band_session(-14.0)
    heavy_vox = spectrum((125, 500, -12.0), (630, 3150, -24.0))
    analyses = {**analyses, "vox": make_analysis("vox", third_octave_db=heavy_vox)}
    tracks = list(spec.tracks)
    outside = [BandDeviation("low_mid", 0.0, 0.0, 9.0, True)]
    vox, keys = (carrier_share(tracks, analyses, t) for t in ("vox", "keys"))
    assert LEAD_MIN_SHARE > vox > keys >= CARRIER_MIN_SHARE
    cut = mud_cut(tracks, analyses, outside, genre="Pop", tolerance_db=4.0)
    assert cut is not None and cut.target.track_id == "keys"


def test_a_lead_holding_most_of_a_muddy_mix_s_low_mids_is_the_carrier_itself():
    # a boxy lead: 250-500 Hz 9 dB over the rest of its range, and more of the band than the
    # kick, keys and bass together; no cut on the keys could clear it, so the lead gets the cut and
    # is judged by LEAD_MIN_SHARE
    spec, analyses = band_session(-24.0)
    boxy = spectrum((125, 200, -24.0), (250, 500, -9.0), (630, 3150, -18.0), (4000, 8000, -32.0))
    analyses = {**analyses, "vox": make_analysis("vox", third_octave_db=boxy)}
    tracks = list(spec.tracks)
    share = carrier_share(tracks, analyses, "vox")
    assert share >= LEAD_MIN_SHARE + 0.05
    (cut,) = mud_moves(analyze_session(spec, analyses))
    assert cut.target.track_id == "vox" and cut.target.band == "low_mid"
    assert cut.evidence["carrier_share_above"] == LEAD_MIN_SHARE
    assert "the low mids are the lead's own (boxy)" in cut.reason
    # the lead's low mids are its body: its cut stays shallower than an accompaniment part's
    assert LEAD_CUT_DB[1] <= cut.parameters["gain_db"] <= LEAD_CUT_DB[0]
    assert LEAD_CUT_DB[1] > CUT_DB[1]
    # the bell it names, applied to the lead, takes it under the line it is judged by
    after = cut_applied("vox", boxy, cut)
    verdict = verify_in_session(spec, analyses, cut, after)
    assert verdict.after["carrier_share"] < LEAD_MIN_SHARE <= verdict.before["carrier_share"]
    assert verdict.resolved


@pytest.mark.parametrize("keys_low_mid_db", [-18.5, -19.0, -19.5])
def test_a_cut_on_a_part_with_a_moderate_share_is_deep_enough_to_resolve_it(keys_low_mid_db: float):
    # keys holding 30-40 % of the band: the mix's excess alone would ask for a shallower cut than
    # taking them under 25 % needs; the cut is sized to what it is judged by, and the bell it
    # names, applied to the keys, resolves it in the session
    spec, analyses = band_session(keys_low_mid_db)
    (cut,) = mud_moves(analyze_session(spec, analyses))
    share = cut.evidence["carrier_share"]
    assert 0.3 <= share <= 0.45
    excess = cut.evidence["mix_deviation_db"] - cut.evidence["mix_deviation_db_above"]
    assert cut.parameters["gain_db"] < -excess
    verdict = verify_in_session(spec, analyses, cut, cut_applied("keys", keys_spectrum(keys_low_mid_db), cut))
    assert verdict.after["carrier_share"] < CARRIER_MIN_SHARE <= verdict.before["carrier_share"]
    assert verdict.resolved


def test_a_part_living_in_the_low_mids_gets_an_eq_move_not_a_fader_move():
    # keys with nearly all their power in 250-500 Hz: the deepest cut the rule allows would pull
    # the whole part down like a fader; the cut is kept to LEVEL_DROP_MAX_DB of the part's power
    # even if the bell took the whole band down by its full depth
    spec, analyses = band_session(-14.0)
    narrow = spectrum((100, 200, -40.0), (250, 500, -8.0), (630, 4000, -45.0))
    analyses = {**analyses, "keys": make_analysis("keys", third_octave_db=narrow)}
    (cut,) = mud_moves(analyze_session(spec, analyses))
    assert cut.target.track_id == "keys"
    own = own_share(analyses["keys"], "low_mid")
    assert own > 0.7
    gain = cut.parameters["gain_db"]
    assert CUT_DB[1] < gain <= CUT_DB[0]
    assert gain == pytest.approx(level_safe_cut(CUT_DB[1], own, CUT_DB[0]), abs=0.05)

    def drop_db(gain_db: float) -> float:
        after = with_bell(narrow, cut.parameters["freq_hz"], gain_db, cut.parameters["q"])
        return 10 * np.log10(
            sum(10 ** (v / 10) for v in narrow.values()) / sum(10 ** (v / 10) for v in after.values())
        )

    # the bell's reach past the band costs a little more than the estimate; the deepest cut more
    assert drop_db(gain) <= LEVEL_DROP_MAX_DB + 0.5 < drop_db(CUT_DB[1])


def test_level_safe_cut_leaves_a_part_with_little_of_its_power_in_the_band_alone():
    assert level_safe_cut(-8.0, 0.3, -2.0) == -8.0
    assert level_safe_cut(-8.0, 0.6, -2.0) == -8.0
    shallow = level_safe_cut(-8.0, 0.85, -2.0)
    assert -6.0 < shallow < -5.0
    # the whole band down by the cut's depth costs the part LEVEL_DROP_MAX_DB, no more
    assert -10 * np.log10(1 - 0.85 * (1 - 10 ** (shallow / 10))) == pytest.approx(LEVEL_DROP_MAX_DB)
    assert level_safe_cut(-3.0, 0.99, -2.0) == -3.0  # already shallow
