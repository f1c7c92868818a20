"""core.verify: rendering a suggestion and re-measuring what it cited."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.analysis import analyze
from core.results import QualityIssue, QualityResult
from core.suggestions import suggest_for_track
from core.suggestions.model import Suggestion, make_suggestion
from core.verify import SideEffect, Verification, compare_analyses, verify_suggestion, vet_suggestions
from tests.core.mixes import bell_db, butter_db, pink, shape

SR = 44100


def _body_db(f: np.ndarray) -> np.ndarray:
    """Keys-like: a broad bell around 800 Hz, nothing under 50 Hz of its own."""
    return bell_db(f, fc=800.0, gain_db=6.0, octaves=3.0) + butter_db(f, fc=50.0, order=4, kind="high")


def _keys_with_rumble(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = 8 * SR
    body = shape(pink(n, rng), _body_db) * 0.05
    t = np.arange(n) / SR
    rumble = 0.012 * np.sin(2 * np.pi * 25.0 * t)
    mono = body + rumble
    return np.stack([mono, mono]).astype(np.float32)


def test_high_pass_on_rumble_resolves_and_reports_its_evidence() -> None:
    y = _keys_with_rumble()
    before = analyze((y, SR), name="keys")
    advice = suggest_for_track(before, track_id="keys", track_type="keys")
    hp = next(s for s in advice if s.type == "high_pass")
    verdict, rendered = verify_suggestion(y, SR, hp, track_type="keys", before=before)
    assert rendered is not None and rendered.shape == y.shape
    assert verdict.renderable and verdict.resolved
    assert verdict.before["share_below_db"] == pytest.approx(hp.evidence["share_below_db"], abs=0.05)
    assert verdict.after["share_below_db"] < min(
        verdict.before["share_below_db"] - 5, hp.evidence["share_below_db_above"]
    )
    assert not [e for e in verdict.side_effects if e.code in ("true_peak", "clipping")]
    assert verdict.to_dict()["suggestion_id"] == hp.id


def test_a_token_move_does_not_resolve() -> None:
    y = _keys_with_rumble(1)
    before = analyze((y, SR), name="keys")
    hp = next(
        s for s in suggest_for_track(before, track_id="keys", track_type="keys") if s.type == "high_pass"
    )
    token = dataclasses.replace(hp, parameters={**hp.parameters, "freq_hz": 12.0})  # far under the rumble
    verdict, _ = verify_suggestion(y, SR, token, track_type="keys", before=before)
    assert not verdict.resolved and not verdict.improved
    assert verdict.after["share_below_db"] > hp.evidence["share_below_db_above"]


def test_a_gain_that_clips_is_a_side_effect() -> None:
    y = _keys_with_rumble(2)
    boost = make_suggestion(
        "gain",
        track_id="keys",
        track_type="keys",
        band=None,
        parameters={"gain_db": 12.0},
        priority=3,
        confidence=0.5,
        reason="test",
        evidence={},
    )
    verdict, _ = verify_suggestion(y, SR, boost, track_type="keys")
    codes = {e.code for e in verdict.side_effects}
    assert "true_peak" in codes
    assert verdict.after["integrated_lufs"] - verdict.before["integrated_lufs"] == pytest.approx(
        12.0, abs=0.5
    )


def test_not_renderable_is_reported_not_rendered() -> None:
    y = _keys_with_rumble(3)
    declip = make_suggestion(
        "cleanup",
        track_id="keys",
        track_type="keys",
        band=None,
        parameters={"process": "declip"},
        priority=1,
        confidence=0.9,
        reason="test",
        evidence={"clipped_samples": 10},
    )
    verdict, rendered = verify_suggestion(y, SR, declip, track_type="keys")
    assert rendered is None and not verdict.renderable and not verdict.resolved
    assert verdict.after == {} and "clipped_samples" in verdict.before


def test_vet_demotes_unresolved_and_drops_harmful() -> None:
    def sug(gain: float):
        return make_suggestion(
            "eq_cut",
            track_id="t",
            track_type="keys",
            band="low_mid",
            parameters={"freq_hz": 300.0, "gain_db": gain, "q": 1.0},
            priority=2,
            confidence=0.8,
            reason="test",
            evidence={},
        )

    good, weak, bad, unseen, partial = sug(-6.0), sug(-2.0), sug(-4.0), sug(-3.0), sug(-5.0)
    harm = (SideEffect("true_peak", "over", -1.0, 1.0),)
    verdicts = {
        good.id: Verification(good.id, "t", True, True, {}, {}, ()),
        weak.id: Verification(weak.id, "t", True, False, {}, {}, ()),
        bad.id: Verification(bad.id, "t", True, False, {}, {}, harm),
        partial.id: Verification(partial.id, "t", True, False, {}, {}, (), improved=True),
    }
    out = {s.id: s for s in vet_suggestions([good, weak, bad, unseen, partial], verdicts)}
    assert bad.id not in out
    assert out[good.id].priority == 2 and out[good.id].evidence["verified"] == 1
    # most of the way there: kept at its rank, marked as improved, not as verified
    assert out[partial.id].priority == 2 and out[partial.id].confidence == partial.confidence
    assert out[partial.id].evidence["verified"] == 0 and out[partial.id].evidence["improved"] == 1
    assert out[weak.id].priority == 3 and out[weak.id].confidence < weak.confidence
    assert out[weak.id].evidence["verified"] == 0
    assert out[unseen.id] == unseen


def test_vet_session_keeps_a_level_move_that_resolves_and_marks_it_verified() -> None:
    from core.verify import vet_session

    rng = np.random.default_rng(5)
    n = 6 * SR
    shapes = {  # type -> (bell centre, usual level against the lead in dB)
        "vocals": (1500.0, 0.0),
        "kick": (70.0, -1.0),
        "bass": (120.0, -1.0),
        "keys": (600.0, -5.0),
        "pad": (900.0, -7.0),
    }
    audio, analyses, tracks = {}, {}, []
    for ttype, (fc, usual_db) in shapes.items():
        mono = shape(pink(n, rng), lambda f, fc=fc: bell_db(f, fc=fc, gain_db=12.0, octaves=1.5))
        mono = mono / np.sqrt(np.mean(mono**2)) * 10 ** ((-20.0 + usual_db) / 20)
        if ttype == "keys":
            mono = mono * 10 ** (9.0 / 20)  # 9 dB too loud
        y = np.stack([mono, mono]).astype(np.float32)
        audio[ttype] = (y, SR)
        analyses[ttype] = analyze((y, SR), name=ttype)
        tracks.append({"track_id": ttype, "name": ttype, "type": ttype})
    doc = {"bpm": 120.0, "tracks": tracks}
    vetted, verdicts = vet_session(doc, audio, analyses)
    keys = next(t for t in vetted.tracks if t.track_id == "keys")
    gain = next(s for s in keys.suggestions if s.type == "gain")
    assert gain.parameters["gain_db"] == pytest.approx(-9.0, abs=3.0)
    assert verdicts[gain.id].resolved and gain.evidence["verified"] == 1
    assert verdicts[gain.id].after["relative_db"] < verdicts[gain.id].before["relative_db"] - 5


def test_side_effects_judge_a_stem_as_the_user_reads_it() -> None:
    """A new full-mix judgement (mud) after a cut on a keys stem is no side effect; on a mix it is."""
    y = _keys_with_rumble(2)
    before = analyze((y, SR), name="keys")
    hp = next(
        s for s in suggest_for_track(before, track_id="keys", track_type="keys") if s.type == "high_pass"
    )
    mud = QualityIssue("mud", "warning", "250-500 Hz sits 6 dB above the line", {"penalty": 6.0}, "fix")
    after = dataclasses.replace(before, quality=QualityResult(94, (*before.quality.issues, mud)))
    on_stem = compare_analyses(hp, before, after, track_type="keys")
    on_mix = compare_analyses(hp, before, after, track_type="mix_bus")
    assert "quality_mud" not in {e.code for e in on_stem.side_effects}
    assert "quality_mud" in {e.code for e in on_mix.side_effects}


def test_a_part_raised_into_another_reports_the_clash_and_a_part_cut_toward_it_does_not() -> None:
    """Keys 12 dB over a pad everywhere: no clash. Raising the pad 9 dB brings the two within 6 dB, a
    clash the move created (a side effect of the preview). Cutting the keys' mids 10 dB crosses the
    same line, but by the keys coming down: the pad is less masked than before, so it is not one."""
    from core.render import render_suggestion
    from core.verify import verify_session_moves

    rng = np.random.default_rng(3)
    n = 6 * SR
    levels = {"keys": -14.0, "pad": -26.0}
    audio = {}
    for name, dbfs in levels.items():
        mono = pink(n, rng)
        mono = mono / np.sqrt(np.mean(mono**2)) * 10 ** (dbfs / 20)
        audio[name] = np.stack([mono, mono]).astype(np.float32)
    analyses = {name: analyze((y, SR), name=name) for name, y in audio.items()}
    doc = {"bpm": 120.0, "tracks": [{"track_id": t, "name": t, "type": t} for t in levels]}
    cut = make_suggestion("eq_cut", track_id="keys", track_type="keys", band="mid",
                          parameters={"freq_hz": 1000.0, "gain_db": -10.0, "q": 0.7},
                          priority=4, confidence=0.5, reason="test")  # fmt: skip
    raise_pad = make_suggestion("gain", track_id="pad", track_type="pad", band=None,
                                parameters={"gain_db": 9.0}, priority=4, confidence=0.5,
                                reason="test")  # fmt: skip
    found = {}
    for move in (cut, raise_pad):
        tid = move.target.track_id
        after = {tid: analyze((render_suggestion(audio[tid], SR, move), SR), name=tid)}
        found[move.type] = verify_session_moves(doc, analyses, [move], after)
    for v in found.values():
        assert v.before["overlap:mid:keys/pad"] == 0.0 and v.after["overlap:mid:keys/pad"] >= 0.5
    clashes = [e for e in found["gain"].side_effects if e.code.startswith("new_masking:")]
    assert "new_masking:mid:keys/pad" in {e.code for e in clashes}
    assert all("none before" in e.message for e in clashes)
    assert not [e for e in found["eq_cut"].side_effects if e.code.startswith("new_masking:")]


def test_advice_to_take_down_a_band_the_move_did_not_raise_is_no_side_effect() -> None:
    """A kick cut at 122 Hz loses level; its sub, unchanged, may then cross the rumble line against a
    smaller whole (pop909_391). That high-pass advice is not the cut's doing; a boost's is."""
    from core.verify.side_effects import new_advice

    def advice(type_: str, band: str) -> Suggestion:
        return make_suggestion(
            type_, track_id="kick", track_type="kick", band=band,
            parameters={"freq_hz": 30.0}, priority=2, confidence=0.7, reason="r",
        )  # fmt: skip

    after = [advice("high_pass", "sub"), advice("eq_boost", "presence")]
    codes = lambda moved: [e.code for e in new_advice([], after, "kick", moved)]  # noqa: E731
    assert codes({"kick": {"sub": -0.4, "bass": -3.0}}) == ["new_advice_eq_boost"]
    assert codes({"kick": {"sub": 1.2}}) == ["new_advice_eq_boost", "new_advice_high_pass"]
    assert codes({"kick": None}) == ["new_advice_eq_boost", "new_advice_high_pass"]  # unknown: louder
    assert codes(None) == ["new_advice_eq_boost", "new_advice_high_pass"]


def test_the_step_after_a_move_keeps_the_genre_and_tempo_the_step_before_used() -> None:
    """A move does not change the song's genre: a detection at its confidence line must not flip the
    tonal target between before and after (pop909_391: Hip-Hop/Rap 0.302 before, 0.299 after)."""
    from core.session import analyze_session
    from core.verify.in_session import held

    rng = np.random.default_rng(7)
    tracks, analyses = [], {}
    for ttype, fc in (("kick", 70.0), ("bass", 120.0), ("keys", 600.0), ("vocals", 1500.0)):
        mono = shape(pink(4 * SR, rng), lambda f, fc=fc: bell_db(f, fc=fc, gain_db=12.0, octaves=1.5)) * 0.05
        analyses[ttype] = analyze((np.stack([mono, mono]).astype(np.float32), SR), name=ttype)
        tracks.append({"track_id": ttype, "name": ttype, "type": ttype})
    before = analyze_session({"tracks": tracks}, analyses)
    spec = held({"tracks": tracks}, before)
    assert (spec.genre, spec.bpm) == (before.genre_used, before.bpm)
    assert [t.track_id for t in spec.tracks] == [t["track_id"] for t in tracks]
    again = analyze_session(spec, analyses)
    assert again.genre_used == before.genre_used
    assert [d.target_db for d in again.mix.tonal_balance] == [d.target_db for d in before.mix.tonal_balance]


def test_vetting_runs_the_session_step_the_user_is_shown() -> None:
    """vet_session judges on the step run with the session's context (here the tempo heard in the
    stems' sum, with none declared), and reuses that step as the one before each move."""
    from core.session.tempo import TempoVote
    from core.verify import StepContext, vet_session

    rng = np.random.default_rng(11)
    audio, analyses, tracks = {}, {}, []
    for ttype, fc in (("kick", 70.0), ("bass", 120.0), ("keys", 600.0), ("vocals", 1500.0)):
        mono = shape(pink(4 * SR, rng), lambda f, fc=fc: bell_db(f, fc=fc, gain_db=12.0, octaves=1.5)) * 0.05
        y = np.stack([mono, mono]).astype(np.float32)
        audio[ttype], analyses[ttype] = (y, SR), analyze((y, SR), name=ttype)
        tracks.append({"track_id": ttype, "name": ttype, "type": ttype})
    heard = StepContext(heard_tempo=TempoVote(97.0, 0.9, 0.9))
    vetted, _ = vet_session({"tracks": tracks}, audio, analyses, context=heard)
    assert vetted.bpm == pytest.approx(97.0)
    plain, _ = vet_session({"tracks": tracks}, audio, analyses)
    assert plain.bpm != pytest.approx(97.0)
