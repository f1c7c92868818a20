"""core.session.genre: session metadata typical of each genre puts that genre first."""

from __future__ import annotations

import pytest

from core.bands import BANDS
from core.session import SessionSpec, analyze_session, detect_genre
from core.targets import GENRE_TARGETS, GENRES
from tests.core.session_fixtures import BASS, KICK, VOCAL, make_analysis, spectrum, track

TYPICAL: dict[str, tuple[float | None, list[dict]]] = {
    "Electronic/EDM": (
        128,
        [
            track("k", "kick", name="Kick 909"),
            track("b", "bass", name="Sub Bass", inserts=["Serum"]),
            track("l", "synth", name="Supersaw Lead", inserts=["Serum", "OTT"]),
            track("p", "pad", name="Pad"),
            track("r", "fx", name="Riser", inserts=["LFOTool"]),
            track("a", "synth", name="Arp Pluck", inserts=["Sylenth1"]),
        ],
    ),
    "Hip-Hop/Rap": (
        88,
        [
            track("v", "vocals", name="Rap Verse", inserts=["Auto-Tune", "Decapitator"]),
            track("ad", "vocals", name="Adlibs"),
            track("k", "kick", name="Kick"),
            track("8", "bass", name="808"),
            track("h", "drums", name="Hi Hat Roll"),
            track("s", "snare", name="Snare"),
            track("smp", "keys", name="Sample Chop", inserts=["RC-20"]),
        ],
    ),
    "Rock": (
        140,
        [
            track("gl", "guitar", name="Rhythm Gtr L", inserts=["Guitar Rig"]),
            track("gr", "guitar", name="Rhythm Gtr R", inserts=["Neural DSP Archetype"]),
            track("ld", "guitar", name="Lead Gtr Solo"),
            track("b", "bass", name="Bass DI"),
            track("k", "kick", name="Kick In"),
            track("s", "snare", name="Snare Top"),
            track("oh", "drums", name="Overheads"),
            track("v", "vocals", name="Vocal"),
        ],
    ),
    "Pop": (
        110,
        [
            track("v", "vocals", name="Lead Vox", inserts=["Melodyne", "Pro-Q 3", "Soothe2"]),
            track("bv", "backing_vocals", name="BVs Harmony"),
            track("dbl", "backing_vocals", name="Vox Double"),
            track("k", "kick", name="Kick"),
            track("b", "bass", name="Bass"),
            track("syn", "synth", name="Synth Chords"),
            track("p", "keys", name="Piano"),
        ],
    ),
    "Jazz": (
        160,
        [
            track("pn", "keys", name="Piano", inserts=["Pianoteq"]),
            track("ub", "bass", name="Upright Bass"),
            track("ride", "drums", name="Ride"),
            track("br", "drums", name="Brushes"),
            track("sax", "brass", name="Tenor Sax"),
            track("tp", "brass", name="Trumpet"),
        ],
    ),
    "Classical": (
        None,
        [
            track("v1", "strings", name="Violin I", inserts=["Spitfire"]),
            track("v2", "strings", name="Violin II"),
            track("va", "strings", name="Viola"),
            track("vc", "strings", name="Cello"),
            track("hn", "brass", name="French Horn"),
            track("fl", "other", name="Flute"),
            track("tim", "other", name="Timpani"),
        ],
    ),
    "Ambient": (
        70,
        [
            track("d", "pad", name="Drone", inserts=["ValhallaShimmer"]),
            track("t", "fx", name="Texture Granular"),
            track("f", "fx", name="Field Recording", inserts=["Blackhole"]),
            track("sw", "pad", name="Swell Pad"),
            track("syn", "synth", name="Evolving Synth"),
        ],
    ),
}


def test_every_genre_has_a_typical_session():
    assert set(TYPICAL) == set(GENRES)


@pytest.mark.parametrize("genre", GENRES)
def test_typical_metadata_puts_its_genre_first(genre):
    bpm, tracks = TYPICAL[genre]
    spec = SessionSpec.from_dict({"bpm": bpm, "tracks": tracks})
    result = detect_genre(spec.tracks, bpm=spec.bpm)
    assert result.genre == genre, result.candidates
    assert result.confidence >= 0.3
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True) and {c.genre for c in result.candidates} == set(GENRES)
    assert result.reasons


def test_metadata_free_session_is_not_confident():
    spec = SessionSpec.from_dict(
        {"tracks": [track("a", "other", name="Audio 1"), track("b", "other", name="Audio 2")]}
    )
    assert detect_genre(spec.tracks, bpm=None).confidence < 0.3


def test_declared_genre_picks_the_target_and_defaults():
    tracks = TYPICAL["Pop"][1][:3]
    analyses = {t["track_id"]: make_analysis(t["track_id"], third_octave_db=VOCAL) for t in tracks}
    declared = analyze_session(
        SessionSpec.from_dict({"bpm": 120, "genre": "edm", "tracks": tracks}), analyses
    )
    assert declared.genre_used == "Electronic/EDM" and declared.genre_source == "declared"
    delay = next(s for s in declared.tracks[0].suggestions if s.type == "delay")
    assert delay.parameters["time_ms"] == 375.0  # EDM's dotted eighth at 120 BPM
    detected = analyze_session(SessionSpec.from_dict({"bpm": 110, "tracks": tracks}), analyses)
    assert (
        detected.genre.genre == "Pop" and detected.genre_used == "Pop" and detected.genre_source == "detected"
    )


def shaped_like(genre, base_db=-30.0):
    """A broadband 1/3-octave spectrum following ``genre``'s tonal target."""
    target = GENRE_TARGETS[genre].band_levels_db
    return spectrum(*[(b.low_hz, b.high_hz * 0.999, base_db + t) for b, t in zip(BANDS, target, strict=True)])


def test_audio_features_break_a_metadata_tie():
    tracks = [track("a", "other", name="Audio 1"), track("b", "other", name="Audio 2")]
    spec = SessionSpec.from_dict({"bpm": 95, "tracks": tracks})
    heavy = {k: make_analysis(k, third_octave_db=shaped_like("Hip-Hop/Rap")) for k in "ab"}
    airy = {k: make_analysis(k, third_octave_db=shaped_like("Classical")) for k in "ab"}
    top_heavy = analyze_session(spec, heavy).genre.candidates
    top_airy = analyze_session(spec, airy).genre.candidates
    rank = lambda cands, g: [c.genre for c in cands].index(g)  # noqa: E731
    assert rank(top_heavy, "Hip-Hop/Rap") < rank(top_airy, "Hip-Hop/Rap")


def test_a_narrow_band_session_gives_no_audio_evidence():
    # A kick and a bass are not a full mix: their spectrum says nothing about the genre's tonal target.
    tracks = [track("a", "other", name="Audio 1"), track("b", "other", name="Audio 2")]
    spec = SessionSpec.from_dict({"bpm": 95, "tracks": tracks})
    narrow = {"a": make_analysis("a", third_octave_db=KICK), "b": make_analysis("b", third_octave_db=BASS)}
    reasons = analyze_session(spec, narrow).genre.reasons
    assert not [r for r in reasons if "tonal balance" in r]
