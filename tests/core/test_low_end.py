"""core.session.low_end: an accompaniment part that carries much of the mix's bass band gets the
bass-band cut, never the bass, the kick, the drums or the lead, and the cut proves itself in the
session."""

from __future__ import annotations

import pytest

from core.session import SessionSpec, analyze_session
from core.session.low_end import AIM_WITHIN, CARRIER_MAX_SHARE, CUT_DB, low_end_cut
from core.session.mud import carrier_share, cut_to_release
from core.verify import verify_in_session
from tests.core.session_fixtures import BASS, HATS, KICK, VOCAL, cut_applied, make_analysis, spectrum, track


def keys_spectrum(bass_db: float) -> dict[float, float]:
    """Keys with a body in the mids and ``bass_db`` over 80-200 Hz (a left hand, or a boost there)."""
    return spectrum((80, 200, bass_db), (250, 2000, -24.0), (2500, 5000, -40.0))


def session(keys_bass_db: float, *, bass: bool = True, keys_type: str = "keys"):
    entries = [
        ("hats", "drums", HATS),
        ("keys", keys_type, keys_spectrum(keys_bass_db)),
        ("vox", "vocals", VOCAL),
        ("kick", "kick", KICK),
    ]
    if bass:
        entries.append(("bass", "bass", BASS))
    doc = {"bpm": 120.0, "genre": "Pop", "tracks": [track(t, ty) for t, ty, _ in entries]}
    return SessionSpec.from_dict(doc), {t: make_analysis(t, third_octave_db=sp) for t, _, sp in entries}


def low_end_moves(out):
    return [
        s
        for t in out.tracks
        for s in t.suggestions
        if "carrier_share" in s.evidence
        and s.target.band == "bass"
        and "carrier_over_lead_db" not in s.evidence
    ]


@pytest.mark.parametrize("keys_bass_db", [-20.0, -19.0, -18.0])
def test_keys_weighing_on_the_bass_band_get_the_bass_band_cut(keys_bass_db: float):
    spec, analyses = session(keys_bass_db)
    share = carrier_share(list(spec.tracks), analyses, "keys", "bass")
    assert share > CARRIER_MAX_SHARE
    (cut,) = low_end_moves(analyze_session(spec, analyses))
    assert cut.target.track_id == "keys" and cut.type == "eq_cut" and cut.target.band == "bass"
    assert 80.0 <= cut.parameters["freq_hz"] <= 200.0  # where the keys are loudest in the band
    wanted = cut_to_release(share, AIM_WITHIN * CARRIER_MAX_SHARE)
    assert cut.parameters["gain_db"] == pytest.approx(max(min(wanted, CUT_DB[0]), CUT_DB[1]), abs=0.06)
    assert f"{100 * share:.0f} % of the mix's bass band" in cut.reason and "'bass'" in cut.reason
    assert cut.evidence["masked_track"] == "bass"


def test_no_cut_for_a_light_left_hand_without_a_bass_or_on_the_owners_and_drums():
    spec, analyses = session(-24.0)  # a left hand under the bass and the kick: 8 % of the band
    assert carrier_share(list(spec.tracks), analyses, "keys", "bass") < CARRIER_MAX_SHARE
    assert not low_end_moves(analyze_session(spec, analyses))
    spec, analyses = session(-18.0, bass=False)  # no bass line but the keys' left hand: it stays
    assert carrier_share(list(spec.tracks), analyses, "keys", "bass") > CARRIER_MAX_SHARE
    assert low_end_cut(list(spec.tracks), analyses) is None
    for body in ("snare", "drums", "bass"):  # a drum's or a second bass's body is no accompaniment
        spec, analyses = session(-18.0, keys_type=body)
        assert low_end_cut(list(spec.tracks), analyses) is None


def test_the_cut_it_names_resolves_it_in_the_session():
    spec, analyses = session(-18.0)
    (cut,) = low_end_moves(analyze_session(spec, analyses))
    verdict = verify_in_session(spec, analyses, cut, cut_applied("keys", keys_spectrum(-18.0), cut))
    assert verdict.before["carrier_share"] > CARRIER_MAX_SHARE > verdict.after["carrier_share"]
    assert verdict.resolved
    # a 1 dB cut leaves the keys over the line: honestly not resolved
    verdict = verify_in_session(
        spec, analyses, cut, make_analysis("keys", third_octave_db=keys_spectrum(-19.0))
    )
    assert verdict.after["carrier_share"] > CARRIER_MAX_SHARE and not verdict.resolved


def _muddy_keys(bass_lo_hz: float, bass_hi_hz: float, bass_db: float) -> dict[float, float]:
    """Keys heavy in the low mids (a muddy mix's carrier) with ``bass_db`` over part of the bass band."""
    return spectrum(
        (bass_lo_hz, bass_hi_hz, bass_db), (250, 500, -12.0), (630, 2000, -24.0), (2500, 5000, -40.0)
    )


@pytest.mark.parametrize(
    ("lo_hz", "hi_hz", "bass_db", "twice"), [(160.0, 200.0, -14.0, False), (63.0, 80.0, -15.0, True)]
)
def test_a_low_end_the_mud_cut_already_clears_gets_no_second_cut(
    lo_hz: float, hi_hz: float, bass_db: float, twice: bool
):
    # muddy keys that also hold over a sixth of the mix's bass band: where that bass content sits
    # just under the low mids, the mud cut's skirt takes it under the line and a second cut would
    # be advice twice; where it sits an octave and more below, the low-end cut is still wanted
    spec, analyses = session(-20.0)
    analyses = {**analyses, "keys": make_analysis("keys", third_octave_db=_muddy_keys(lo_hz, hi_hz, bass_db))}
    tracks = list(spec.tracks)
    assert carrier_share(tracks, analyses, "keys", "bass") > CARRIER_MAX_SHARE
    out = analyze_session(spec, analyses)
    (mud,) = [s for t in out.tracks for s in t.suggestions if s.evidence.get("carrier_share_above") == 0.25]
    assert mud.target.track_id == "keys" and mud.target.band == "low_mid"
    assert low_end_cut(tracks, analyses) is not None  # judged alone, the part is over the line
    moves = low_end_moves(out)
    assert bool(moves) is twice
    if not twice:
        # the mud bell, applied, leaves the keys under the line in the bass band
        after = {**analyses, "keys": cut_applied("keys", _muddy_keys(lo_hz, hi_hz, bass_db), mud)}
        assert carrier_share(tracks, after, "keys", "bass") <= CARRIER_MAX_SHARE


def test_a_part_alone_in_its_band_is_cut_to_the_deepest_limit_without_a_numpy_warning() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's divide-by-zero in log10(0) was one
        assert cut_to_release(1.0, 0.5) == float("-inf")
        assert cut_to_release(0.9, 0.5) < cut_to_release(0.6, 0.5) < 0.0
