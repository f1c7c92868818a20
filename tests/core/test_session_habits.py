"""core.session.analyze_session with the user's habits and references: usual genre and tempo, references."""

from __future__ import annotations

import pytest

from core.errors import InvalidParameter
from core.session import SessionSpec, analyze_session, learn_style_profile
from core.session.reference import reference_target
from core.session.style_profile import usual_bpm, usual_genre
from tests.core.session_fixtures import PAD, VOCAL, make_analysis, spectrum, track


def test_the_usual_tempo_times_release_delay_and_pre_delay_only_without_a_session_tempo() -> None:
    analyses = {"v": make_analysis(third_octave_db=VOCAL, crest_factor_db=20, range_lu=12)}
    doc = {"tracks": [track("v", "vocals")]}

    def params(**kw: float) -> dict[str, dict]:  # type: ignore[type-arg]
        result = analyze_session(doc, analyses, **kw)  # type: ignore[arg-type]
        return {s.type: s.parameters for t in result.tracks for s in t.suggestions}

    plain, habit = params(), params(usual_bpm=128.0)
    assert plain["compression"]["release_ms"] != habit["compression"]["release_ms"]
    assert habit["delay"]["time_ms"] == pytest.approx(60_000 / 128, abs=1)  # a quarter note at 128
    assert analyze_session(doc, analyses, usual_bpm=128.0).bpm is None  # measured: still no tempo
    with_tempo = analyze_session({**doc, "bpm": 100}, analyses, usual_bpm=128.0)
    delay = {s.type: s.parameters for t in with_tempo.tracks for s in t.suggestions}["delay"]
    assert delay["time_ms"] == pytest.approx(600, abs=1)  # the session's own tempo wins


def test_usual_genre_and_tempo_need_three_sessions_of_one_habit() -> None:
    edm = SessionSpec.from_dict({"bpm": 128, "genre": "edm", "tracks": [track("k", "kick")]})
    slow = SessionSpec.from_dict({"bpm": 80, "genre": "jazz", "tracks": [track("k", "kick")]})
    assert usual_genre(learn_style_profile([edm, edm])) is None
    three = learn_style_profile([edm, edm, edm])
    assert (usual_genre(three), usual_bpm(three)) == ("Electronic/EDM", 128)
    mixed = learn_style_profile([edm, edm, slow])
    assert usual_genre(mixed) == "Electronic/EDM" and usual_bpm(mixed) is None  # 80 and 128: no habit


def test_references_average_their_shapes_and_the_mix_is_judged_against_them() -> None:
    bright = make_analysis("ref", third_octave_db=spectrum((31.5, 16000, -30.0)))
    dull = make_analysis("mix", third_octave_db=spectrum((31.5, 2500, -30.0), (3150, 16000, -45.0)))
    target = reference_target([("a" * 64, bright)])
    assert target.names == ("ref",) and max(target.band_levels_db) - min(target.band_levels_db) < 3
    result = analyze_session({"tracks": [track("k", "keys")]}, {"k": dull}, reference=target)
    assert result.reference is not None and result.reference.sha256 == ("a" * 64,)
    moves = [s for t in result.tracks for s in t.suggestions if "reference" in s.evidence]
    assert {s.target.band for s in moves} >= {"brilliance"} and all(s.type == "eq_boost" for s in moves)
    with pytest.raises(InvalidParameter):
        reference_target([])


def test_a_bus_gets_the_reference_moves_instead_of_the_genre_curve() -> None:
    dull = make_analysis("bus", third_octave_db=spectrum((31.5, 2500, -30.0), (3150, 16000, -50.0)))
    bright = make_analysis("ref", third_octave_db=spectrum((31.5, 16000, -30.0)))
    doc = {"tracks": [track("m", "mix_bus"), track("p", "pad")]}
    analyses = {"m": dull, "p": make_analysis(third_octave_db=PAD)}
    genre = analyze_session(doc, analyses)
    ref = analyze_session(doc, analyses, reference=reference_target([("b" * 64, bright)]))
    on_bus = [s for t in ref.tracks if t.track_id == "m" for s in t.suggestions if s.type.startswith("eq_")]
    assert on_bus and all("reference" in s.evidence and "target_db" not in s.evidence for s in on_bus)
    assert any("target_db" in s.evidence for t in genre.tracks for s in t.suggestions)
