"""core.session: spec validation, masking, the estimated mix, balance and analyze_session end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.errors import InvalidParameter
from core.session import SessionSpec, analyze_session, detect_masking, estimate_mix, stem_grid
from core.session.masking import CONFLICT_WINDOW_DB, URGENT_OVERLAP
from tests.core.session_fixtures import (
    BASS,
    GUITAR,
    HATS,
    KICK,
    LOW_MID_BAND,
    PAD,
    VOCAL,
    make_analysis,
    spectrum,
    track,
)


def build(*entries, bpm=120.0, genre=None, platform=None):
    """(track dict, analysis) pairs -> (SessionSpec, analyses)."""
    doc = {"bpm": bpm, "genre": genre, "platform": platform, "tracks": [t for t, _ in entries]}
    return SessionSpec.from_dict(doc), {t["track_id"]: a for t, a in entries}


def conflicts_of(spec, analyses):
    stems = [t for t in spec.tracks if not t.muted]
    return detect_masking(stem_grid(stems, analyses), analyses).conflicts


# --- spec ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"bpm": 0}, "bpm"),
        ({"bpm": "fast"}, "bpm"),
        ({"genre": "polka"}, "genre"),
        ({"platform": "myspace"}, "platform"),
        ({"tracks": "none"}, "tracks"),
    ],
)
def test_spec_rejects_bad_session_fields(patch, field):
    doc = {"bpm": 120, "tracks": [track("a", "vocals")], **patch}
    with pytest.raises(InvalidParameter, match=f"^{field}"):
        SessionSpec.from_dict(doc)


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"pan": 1.5}, "tracks[1].pan"),
        ({"volume_db": float("inf")}, "tracks[1].volume_db"),
        ({"type": "kazoo"}, "tracks[1].type"),
        ({"track_id": ""}, "tracks[1].track_id"),
        ({"track_id": "a"}, "tracks[1].track_id"),  # duplicate
        ({"inserts": "EQ"}, "tracks[1].inserts"),
        ({"inserts": ["EQ", 3]}, "tracks[1].inserts[1]"),
        ({"muted": "no"}, "tracks[1].muted"),
    ],
)
def test_spec_names_the_bad_track_field(patch, field):
    doc = {"bpm": 120, "tracks": [track("a", "vocals"), {**track("b", "bass"), **patch}]}
    with pytest.raises(InvalidParameter) as err:
        SessionSpec.from_dict(doc)
    assert err.value.message.startswith(field)


def test_spec_normalises_genre_and_platform():
    spec = SessionSpec.from_dict(
        {"bpm": 128, "genre": "edm", "platform": "Apple-Music", "tracks": [track("a", "synth", pan=-0.5)]}
    )
    assert spec.genre == "Electronic/EDM" and spec.platform == "apple_music"
    assert spec.tracks[0].pan == -0.5 and spec.to_dict()["tracks"][0]["type"] == "synth"


# --- masking ------------------------------------------------------------------------------------


def test_two_tracks_built_to_overlap_in_low_mid_are_the_worst_conflict_with_a_cut_on_the_pad():
    spec, analyses = build(
        (
            track("gtr", "guitar"),
            make_analysis("gtr", third_octave_db=spectrum((250, 400, -20.0), (1000, 3000, -30.0))),
        ),
        (
            track("pad", "pad"),
            make_analysis("pad", third_octave_db=spectrum((250, 400, -21.0), (1000, 3000, -45.0))),
        ),
        (track("kick", "kick"), make_analysis("kick", third_octave_db=spectrum((31.5, 50, -14.0)))),
        (track("hats", "drums"), make_analysis("hats", third_octave_db=HATS)),
    )
    conflicts = conflicts_of(spec, analyses)
    worst = conflicts[0]
    assert worst.band == "low_mid" and {worst.track_a, worst.track_b} == {"gtr", "pad"}
    assert worst.overlap > 0.8
    assert worst.cut_track_id == "pad"  # the guitar owns the low mids more than a pad
    r = worst.remedy
    assert r.type == "eq_cut" and r.target.track_id == "pad" and r.target.band == "low_mid"
    assert r.parameters["freq_hz"] == pytest.approx(353.6, abs=1)
    assert -6 <= r.parameters["gain_db"] <= -2 and 1.0 <= r.parameters["q"] <= 1.4
    # Tracks that do not overlap are not reported.
    pairs = {frozenset((c.track_a, c.track_b)) for c in conflicts}
    assert frozenset(("kick", "hats")) not in pairs and frozenset(("kick", "gtr")) not in pairs


def test_equal_ownership_cuts_the_track_that_loses_least():
    # Keys and guitar both claim the low mids; the keys have more of their energy elsewhere.
    spec, analyses = build(
        (track("gtr", "guitar"), make_analysis("gtr", third_octave_db=LOW_MID_BAND)),
        (
            track("keys", "keys"),
            make_analysis("keys", third_octave_db=spectrum((250, 400, -20.0), (500, 2000, -12.0))),
        ),
    )
    worst = next(c for c in conflicts_of(spec, analyses) if c.band == "low_mid")
    assert worst.cut_track_id == "keys"


def test_a_like_claim_on_a_band_is_polish_a_clear_one_is_not():
    # a guitar and a pad share the low mids (claims 2 and 1): carving the pad is offered after
    # what is wrong; keys in the bass's own band (claims 1 and 3) are a fault
    spec, analyses = build(
        (track("gtr", "guitar"), make_analysis("gtr", third_octave_db=LOW_MID_BAND)),
        (track("pad", "pad"), make_analysis("pad", third_octave_db=spectrum((250, 400, -21.0)))),
        (track("bass", "bass"), make_analysis("bass", third_octave_db=spectrum((60, 200, -18.0)))),
        (track("keys", "keys"), make_analysis("keys", third_octave_db=spectrum((60, 200, -19.0)))),
    )
    by_band = {c.band: c for c in conflicts_of(spec, analyses)}
    like, clear = by_band["low_mid"], by_band["bass"]
    assert like.cut_track_id == "pad" and like.remedy.priority == 4
    assert clear.cut_track_id == "keys" and clear.remedy.priority == (
        2 if clear.overlap >= URGENT_OVERLAP else 3
    )


def test_a_hit_s_body_over_a_sustained_part_is_polish_a_sustained_part_over_a_hit_is_not():
    # a snare's 60-250 Hz body against the bass (claims 1 and 3): it masks the bass only while it
    # decays, and the body is the snare's weight; keys over the kick's sub are judged by ownership
    spec, analyses = build(
        (track("snare", "snare"), make_analysis("snare", third_octave_db=spectrum((60, 200, -18.5)))),
        (track("bass", "bass"), make_analysis("bass", third_octave_db=spectrum((60, 200, -18.0)))),
        (track("kick", "kick"), make_analysis("kick", third_octave_db=spectrum((25, 50, -14.0)))),
        (track("keys", "keys"), make_analysis("keys", third_octave_db=spectrum((25, 50, -14.5)))),
    )
    by_band = {c.band: c for c in conflicts_of(spec, analyses)}
    hit, sustained = by_band["bass"], by_band["sub"]
    assert hit.cut_track_id == "snare" and hit.remedy.priority == 4
    assert sustained.cut_track_id == "keys" and sustained.remedy.priority == (
        2 if sustained.overlap >= URGENT_OVERLAP else 3
    )


def test_no_conflict_when_not_at_the_same_time_or_level_or_place():
    low_mid = spectrum((250, 400, -20.0))
    # Same band, never at the same time (verse vs chorus).
    spec, analyses = build(
        (track("a", "guitar"), make_analysis("a", third_octave_db=low_mid, spans=[(0, 30)])),
        (track("b", "keys"), make_analysis("b", third_octave_db=low_mid, spans=[(30, 60)])),
    )
    assert not conflicts_of(spec, analyses)
    # Same time and band, but the fader puts one far below the other.
    spec, analyses = build(
        (track("a", "guitar"), make_analysis("a", third_octave_db=low_mid)),
        (
            track("b", "keys", volume_db=-(CONFLICT_WINDOW_DB + 6)),
            make_analysis("b", third_octave_db=low_mid),
        ),
    )
    assert not conflicts_of(spec, analyses)
    # Hard-panned to opposite sides.
    spec, analyses = build(
        (track("a", "guitar", pan=-1.0), make_analysis("a", third_octave_db=low_mid)),
        (track("b", "keys", pan=1.0), make_analysis("b", third_octave_db=low_mid)),
    )
    assert not conflicts_of(spec, analyses)


def test_kick_and_bass_share_the_low_end_each_owning_its_band():
    spec, analyses = build(
        (track("kick", "kick"), make_analysis("kick", third_octave_db=spectrum((25, 200, -14.0)))),
        (track("bass", "bass"), make_analysis("bass", third_octave_db=spectrum((25, 200, -14.5)))),
    )
    cuts = {c.band: c.cut_track_id for c in conflicts_of(spec, analyses)}
    assert cuts == {"sub": "bass", "bass": "kick"}


def test_masking_matrix_is_symmetric_with_zero_diagonal():
    spec, analyses = build(
        (track("a", "guitar"), make_analysis("a", third_octave_db=GUITAR)),
        (track("b", "keys"), make_analysis("b", third_octave_db=PAD)),
        (track("c", "vocals"), make_analysis("c", third_octave_db=VOCAL)),
    )
    m = np.array(detect_masking(stem_grid(spec.tracks, analyses), analyses).matrix)
    assert m.shape == (7, 3, 3)
    assert np.allclose(m, m.transpose(0, 2, 1)) and np.all(np.diagonal(m, axis1=1, axis2=2) == 0)
    assert m.max() <= 1.0 and m.max() > 0


def test_a_pairs_overlap_is_read_from_the_matrix_whether_or_not_it_is_listed():
    """The conflicts list only the worst pairs; a preview's before/after reads any pair's overlap."""
    spec, analyses = build(
        (track("a", "guitar"), make_analysis("a", third_octave_db=GUITAR)),
        (track("b", "keys"), make_analysis("b", third_octave_db=PAD)),
        (track("c", "vocals"), make_analysis("c", third_octave_db=VOCAL)),
    )
    result = detect_masking(stem_grid(spec.tracks, analyses), analyses)
    m = np.array(result.matrix)
    b, i, j = np.unravel_index(int(np.argmax(m)), m.shape)
    band, a, c = result.bands[b], result.track_ids[i], result.track_ids[j]
    assert result.overlap(band, a, c) == result.overlap(band, c, a) == pytest.approx(m.max())
    assert result.overlap(band, a, "no-such-track") == 0.0 and result.overlap("no-band", a, c) == 0.0


# --- the mix estimate ---------------------------------------------------------------------------


def test_mix_loudness_is_the_power_sum_of_the_stems():
    spec, analyses = build(
        (track("a", "keys"), make_analysis("a", third_octave_db=PAD, integrated_lufs=-20.0)),
        (track("b", "keys", volume_db=-6.0), make_analysis("b", third_octave_db=PAD, integrated_lufs=-20.0)),
    )
    mix = estimate_mix(spec.tracks, analyses, grid=stem_grid(spec.tracks, analyses), genre="Pop")
    assert mix.integrated_lufs == pytest.approx(-20 + 10 * np.log10(1 + 10**-0.6), abs=0.05)
    assert mix.balance_db == pytest.approx(0.0, abs=1e-6)
    assert mix.loudness_method.startswith("BS.1770 gates")


def test_pan_law_moves_the_balance():
    spec, analyses = build(
        (track("a", "guitar", pan=-1.0), make_analysis("a", third_octave_db=GUITAR)),
        (track("b", "keys", pan=0.5), make_analysis("b", third_octave_db=GUITAR)),
    )
    mix = estimate_mix(spec.tracks, analyses, grid=stem_grid(spec.tracks, analyses), genre="Pop")
    # Left gets 1 + cos²(3π/8), right sin²(3π/8).
    left, right = 1 + np.cos(3 * np.pi / 8) ** 2, np.sin(3 * np.pi / 8) ** 2
    assert mix.balance_db == pytest.approx(10 * np.log10(left / right), abs=1e-6)


# --- analyze_session ----------------------------------------------------------------------------


def band_session(n_extra: int = 0, **kw):
    entries = [
        (
            track("vox", "vocals", name="Lead Vox"),
            make_analysis("vox", third_octave_db=VOCAL, integrated_lufs=-16),
        ),
        (
            track("kick", "kick", name="Kick"),
            make_analysis("kick", third_octave_db=KICK, integrated_lufs=-20),
        ),
        (
            track("bass", "bass", name="Bass DI"),
            make_analysis("bass", third_octave_db=BASS, integrated_lufs=-20),
        ),
        (
            track("gtr", "guitar", name="Gtr L", pan=-0.6),
            make_analysis("gtr", third_octave_db=GUITAR, integrated_lufs=-22),
        ),
        (track("pad", "pad", name="Pad"), make_analysis("pad", third_octave_db=PAD, integrated_lufs=-28)),
        (
            track("hats", "drums", name="Hats"),
            make_analysis("hats", third_octave_db=HATS, integrated_lufs=-26),
        ),
    ]
    rng = np.random.default_rng(7)
    for k in range(n_extra):
        lo = float(rng.choice([63, 160, 400, 1000, 2500]))
        entries.append(
            (
                track(f"x{k}", "synth", pan=float(rng.uniform(-1, 1))),
                make_analysis(
                    f"x{k}",
                    third_octave_db=spectrum((lo, lo * 4, -25.0)),
                    integrated_lufs=-24,
                    spans=[(float(rng.uniform(0, 20)), float(rng.uniform(30, 60)))],
                ),
            )
        )
    return build(*entries, **kw)


def test_analyze_session_end_to_end_is_json_clean():
    spec, analyses = band_session()
    out = analyze_session(spec, analyses)
    doc = json.loads(json.dumps(out.to_dict(), allow_nan=False))
    assert [t["track_id"] for t in doc["tracks"]] == ["vox", "kick", "bass", "gtr", "pad", "hats"]
    assert doc["platform"] == "spotify" and doc["bpm"] == 120
    assert {i["code"] for i in doc["issues"]} >= {"loudness_estimate"}
    (loud,) = [i for i in doc["issues"] if i["code"] == "loudness_estimate"]
    diff = loud["evidence"]["estimate_lufs"] - loud["evidence"]["target_lufs"]
    side = "over" if diff > 0 else "under"  # the direction in words, never a bare signed "away"
    assert f"{abs(diff):.1f} dB {side} the -14 LUFS Spotify plays at" in loud["message"], loud
    for t in out.tracks:
        assert all(s.target.track_id == t.track_id and s.track_type == t.track_type for s in t.suggestions)


def test_analyze_session_accepts_the_stored_document_and_skips_muted_and_missing():
    spec, analyses = band_session()
    doc = spec.to_dict()
    doc["tracks"][4]["muted"] = True
    del analyses["hats"]
    out = analyze_session(doc, analyses)
    assert [t.track_id for t in out.tracks] == ["vox", "kick", "bass", "gtr"]
    assert "pad" not in out.masking.track_ids
    missing = next(i for i in out.issues if i.code == "missing_analysis")
    assert "hats" in missing.message


def test_masking_remedy_lands_in_the_cut_tracks_suggestions():
    spec, analyses = build(
        (track("gtr", "guitar"), make_analysis("gtr", third_octave_db=LOW_MID_BAND)),
        (track("pad", "pad"), make_analysis("pad", third_octave_db=LOW_MID_BAND)),
    )
    out = analyze_session(spec, analyses)
    remedy = out.masking.conflicts[0].remedy
    pad = next(t for t in out.tracks if t.track_id == "pad")
    assert remedy in pad.suggestions


def test_balance_flags_a_buried_vocal():
    spec, analyses = band_session()
    ok = analyze_session(spec, analyses)
    assert next(t for t in ok.balance.types if t.type == "vocals").verdict == "ok"
    doc = spec.to_dict()
    doc["tracks"][0]["volume_db"] = -15.0
    buried = analyze_session(doc, analyses)
    assert next(t for t in buried.balance.types if t.type == "vocals").verdict == "too_quiet"
    gain = next(s for s in buried.tracks[0].suggestions if s.type == "gain")
    assert gain.parameters["gain_db"] > 0


def test_master_track_gets_platform_advice_and_is_not_summed():
    spec, analyses = band_session(platform="ebu_r128")
    doc = spec.to_dict()
    doc["tracks"].append(track("mst", "master", name="Master"))
    analyses["mst"] = make_analysis(
        "mst", third_octave_db=spectrum((30, 16000, -20.0)), integrated_lufs=-12.0, true_peak_dbtp=-0.5
    )
    out = analyze_session(doc, analyses)
    assert "mst" not in out.masking.track_ids
    gain = next(s for s in out.tracks[-1].suggestions if s.type == "gain")
    assert gain.parameters["gain_db"] == pytest.approx(-11.0)


# --- muted tracks and masking remedies ----------------------------------------------------------


def test_a_muted_track_and_a_fader_at_minus_infinity_get_no_suggestions():
    quiet_vox = make_analysis("vox", third_octave_db=VOCAL, integrated_lufs=-60.0, crest_factor_db=30.0)
    spec, analyses = build(
        (track("vox", "vocals", muted=True), quiet_vox),
        (track("vox2", "vocals", volume_db=-144.0), quiet_vox),
        (track("kick", "kick"), make_analysis("kick", third_octave_db=KICK)),
        (track("bass", "bass"), make_analysis("bass", third_octave_db=BASS)),
        (track("gtr", "guitar"), make_analysis("gtr", third_octave_db=GUITAR)),
        (track("pad", "pad"), make_analysis("pad", third_octave_db=PAD)),
    )
    out = analyze_session(spec, analyses)
    by_id = {t.track_id: t.suggestions for t in out.tracks}
    assert not by_id.get("vox") and not by_id.get("vox2")
    assert "vox2" not in out.masking.track_ids


def test_a_balance_move_for_a_buried_stem_is_capped():
    spec, analyses = build(
        (track("vox", "vocals"), make_analysis("vox", third_octave_db=VOCAL, integrated_lufs=-60.0)),
        (track("kick", "kick"), make_analysis("kick", third_octave_db=KICK, integrated_lufs=-12.0)),
        (track("bass", "bass"), make_analysis("bass", third_octave_db=BASS, integrated_lufs=-12.0)),
        (track("gtr", "guitar"), make_analysis("gtr", third_octave_db=GUITAR, integrated_lufs=-14.0)),
    )
    out = analyze_session(spec, analyses)
    gain = next(s for t in out.tracks if t.track_id == "vox" for s in t.suggestions if s.type == "gain")
    assert 0 < gain.parameters["gain_db"] <= 12.0 and "capped" in gain.reason


def test_no_masking_cut_in_a_band_where_the_cut_track_has_almost_no_energy():
    # A loud vocal with faint sub rumble, against a quiet kick in the sub: both reach the band's
    # level, but the vocal has ~0.01 % of its power there, so cutting it there changes nothing.
    vox = spectrum((125, 3150, -12.0), (25, 50, -52.0))
    kick = spectrum((25, 50, -50.0))
    spec, analyses = build(
        (track("vox", "vocals"), make_analysis("vox", third_octave_db=vox)),
        (track("kick", "kick"), make_analysis("kick", third_octave_db=kick)),
    )
    for c in conflicts_of(spec, analyses):
        a = analyses[c.cut_track_id]
        share = next(b.share for b in a.spectrum.bands if b.name == c.band)
        assert share >= 0.01, (c.band, c.cut_track_id, share)
        assert c.remedy.parameters["gain_db"] >= -6.0


@pytest.mark.parametrize(("track_index", "offset_db"), [(1, 8.0), (2, -9.0), (3, 7.0), (0, -10.0)])
def test_a_stem_far_from_its_usual_level_gets_the_full_fader_move(track_index: int, offset_db: float):
    spec, analyses = band_session()
    assert not [s for t in analyze_session(spec, analyses).tracks for s in t.suggestions if s.type == "gain"]
    doc = spec.to_dict()
    doc["tracks"][track_index]["volume_db"] = offset_db
    out = analyze_session(doc, analyses)
    tid = doc["tracks"][track_index]["track_id"]
    gains = [s for t in out.tracks for s in t.suggestions if s.type == "gain"]
    assert [s.target.track_id for s in gains] == [tid]
    # the clean stems sit within 3 dB of their usual levels, so the move undoes most of the offset
    assert gains[0].parameters["gain_db"] == pytest.approx(-offset_db, abs=3.5)
    assert gains[0].priority == 1 and gains[0].evidence["severity"] > 2


# --- dominance: a stem louder than the band's owner in its own band -----------------------------


def _keys_cuts_in_bass_band(out):
    keys = next(t for t in out.tracks if t.track_id == "keys")
    return [s for s in keys.suggestions if s.type == "eq_cut" and s.target.band == "bass"]


@pytest.mark.parametrize(("keys_low_db", "expect_cut"), [(-16.0, True), (-26.0, False)])
def test_keys_louder_than_the_bass_in_its_band_get_one_deep_cut(keys_low_db: float, expect_cut: bool):
    # The bass sits at -18 dB per 1/3 octave over 40-400 Hz; the keys' low end 2 dB over it reads
    # as louder than the bass all the time (a +9 dB low boost on a piano does this), 8 dB under it
    # as a normal arrangement.
    keys = spectrum((63, 200, keys_low_db), (250, 4000, -24.0))
    spec, analyses = build(
        (track("bass", "bass"), make_analysis("bass", third_octave_db=BASS)),
        (track("keys", "keys"), make_analysis("keys", third_octave_db=keys)),
        (track("kick", "kick"), make_analysis("kick", third_octave_db=spectrum((40, 160, -10.0)))),
    )
    out = analyze_session(spec, analyses)
    cuts = _keys_cuts_in_bass_band(out)
    dominance = [s for s in cuts if "louder_fraction" in s.evidence]
    if not expect_cut:
        assert not dominance
        return
    assert len(cuts) == 1 and dominance == cuts  # it replaces the milder overlap cut there
    cut = cuts[0]
    assert cut.evidence["masked_track"] == "bass" and cut.evidence["louder_fraction"] == 1.0
    assert cut.priority == 2
    # the upper quartile of keys-minus-bass is +2 dB: the cut leaves the keys 6 dB under the bass
    assert cut.parameters["gain_db"] == pytest.approx(-8.0, abs=0.3)
    assert "Louder than 'bass'" in cut.reason
    # the kick outshines the bass in its band too, but that is what a kick does: no cut for it
    kick = next(t for t in out.tracks if t.track_id == "kick")
    assert not [s for s in kick.suggestions if "louder_fraction" in s.evidence]


@pytest.mark.parametrize(("strings_mid_db", "expect_cut"), [(-14.0, True), (-26.0, False)])
def test_strings_louder_than_the_lead_vocal_in_its_mids_get_a_cut(strings_mid_db: float, expect_cut: bool):
    # Strings share the mids (ownership 2) but the lead owns them (3): strings 2 dB over the vocal
    # there bury it (a +9 dB bell at 1 kHz on a string section does this); 10 dB under, they sit.
    vocal = spectrum((200, 5000, -16.0))
    strings = spectrum((125, 400, -22.0), (500, 2000, strings_mid_db), (2500, 6300, -30.0))
    spec, analyses = build(
        (track("vox", "vocals"), make_analysis("vox", third_octave_db=vocal)),
        (track("str", "strings"), make_analysis("str", third_octave_db=strings)),
    )
    out = analyze_session(spec, analyses)
    mine = next(t for t in out.tracks if t.track_id == "str")
    cuts = [s for s in mine.suggestions if "louder_fraction" in s.evidence and s.target.band == "mid"]
    if not expect_cut:
        assert not cuts
        return
    assert len(cuts) == 1 and cuts[0].evidence["masked_track"] == "vox"
    assert cuts[0].parameters["freq_hz"] == pytest.approx(1000.0, rel=0.01)
    assert cuts[0].parameters["gain_db"] <= -6.0


def test_a_dominance_cut_is_verified_in_the_session_by_its_louder_fraction():
    from core.verify import is_session_advice, verify_in_session

    loud_keys = spectrum((63, 200, -16.0), (250, 4000, -24.0))
    spec, analyses = build(
        (track("bass", "bass"), make_analysis("bass", third_octave_db=BASS)),
        (track("keys", "keys"), make_analysis("keys", third_octave_db=loud_keys)),
    )
    cut = _keys_cuts_in_bass_band(analyze_session(spec, analyses))[0]
    assert is_session_advice(cut)  # previewed in its session, not on the keys alone
    # what the cut does: the keys' 63-200 Hz down 8 dB, under the bass
    after = make_analysis("keys", third_octave_db=spectrum((63, 200, -24.0), (250, 4000, -24.0)))
    verdict = verify_in_session(spec, analyses, cut, after)
    assert verdict.before["louder_fraction"] == 1.0
    assert verdict.after["louder_fraction"] == 0.0
    assert verdict.resolved


def test_a_stem_too_loud_gets_the_fader_move_not_also_the_cuts_its_level_causes():
    # The vocal 10 dB over its place masks the kick and the pad in its low end; once the fader move
    # is made those conflicts are gone, so cutting them as well would take the bands down twice.
    spec, analyses = band_session()
    doc = spec.to_dict()
    doc["tracks"][0]["volume_db"] = 10.0
    vox = next(t for t in analyze_session(doc, analyses).tracks if t.track_id == "vox")
    assert [s.parameters["gain_db"] < -6.0 for s in vox.suggestions if s.type == "gain"] == [True]
    band_cuts = [s for s in vox.suggestions if "overlap" in s.evidence or "louder_fraction" in s.evidence]
    assert not band_cuts, [(s.target.band, s.reason) for s in band_cuts]
    # a conflict the fader move leaves in place is still advised, at its own size
    doc = spec.to_dict()
    doc["tracks"][4]["volume_db"] = 10.0
    pad = next(t for t in analyze_session(doc, analyses).tracks if t.track_id == "pad")
    assert [s.parameters["gain_db"] < -6.0 for s in pad.suggestions if s.type == "gain"] == [True]
    mid = [s for s in pad.suggestions if s.type == "eq_cut" and s.target.band == "mid"]
    assert len(mid) == 1 and mid[0].parameters["gain_db"] <= -8.0
