"""The session step on real analyses: synthesised stems through core.analysis.analyze."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.analysis import analyze
from core.session import SessionSpec, analyze_session
from core.suggestions import suggest_for_track

SR = 22050


def band_noise(rng, lo_hz, hi_hz, n, level_db):
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SR)
    spec[(f < lo_hz) | (f > hi_hz)] = 0
    y = np.fft.irfft(spec, n)
    return y * 10 ** (level_db / 20) / np.sqrt(np.mean(y**2))


def gate(n, spans):
    t = np.arange(n) / SR
    return np.any([(t >= s) & (t < e) for s, e in spans], axis=0).astype(float)


def run(y, name):
    return analyze((np.asarray(y, dtype=np.float32), SR), name=name)


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(11)


def test_low_mid_overlap_between_real_stems(rng):
    n = 12 * SR
    t = np.arange(n) / SR
    analyses = {
        "gtr": run(band_noise(rng, 250, 450, n, -20) + band_noise(rng, 1000, 3000, n, -32), "gtr"),
        "pad": run(band_noise(rng, 250, 450, n, -21), "pad"),
        "kick": run(0.3 * np.sin(2 * np.pi * 45 * t), "kick"),
        "hats": run(band_noise(rng, 7000, 10000, n, -24), "hats"),
    }
    spec = SessionSpec.from_dict(
        {
            "bpm": 120,
            "tracks": [
                {"track_id": "gtr", "name": "Gtr", "type": "guitar"},
                {"track_id": "pad", "name": "Pad", "type": "pad"},
                {"track_id": "kick", "name": "Kick", "type": "kick"},
                {"track_id": "hats", "name": "Hats", "type": "drums"},
            ],
        }
    )
    out = analyze_session(spec, analyses)
    worst = out.masking.conflicts[0]
    assert worst.band == "low_mid" and {worst.track_a, worst.track_b} == {"gtr", "pad"}
    assert worst.cut_track_id == "pad"
    pairs = {frozenset((c.track_a, c.track_b)) for c in out.masking.conflicts}
    assert not any("kick" in p or "hats" in p for p in pairs)
    json.dumps(out.to_dict(), allow_nan=False)


def test_real_vocal_with_rumble_and_sibilance(rng):
    n = 10 * SR
    t = np.arange(n) / SR
    voice = sum((0.2 / h) * np.sin(2 * np.pi * 180 * h * t) for h in range(1, 14)) * (
        0.6 + 0.4 * np.sin(np.pi * t)
    )
    rumble = 0.05 * np.sin(2 * np.pi * 30 * t)
    sibilance = band_noise(rng, 5500, 9000, n, -16) * ((t % 1.0) < 0.15)
    a = run(voice + rumble + sibilance, "vox")
    got = {s.type: s for s in suggest_for_track(a, track_id="vox", track_type="vocals", bpm=120)}
    assert 60 <= got["high_pass"].parameters["freq_hz"] <= 120
    assert 5000 <= got["de_ess"].parameters["freq_hz"] <= 9000
    assert -8 <= got["de_ess"].parameters["gain_db"] <= -3
    clean = run(voice, "clean")
    types = {s.type for s in suggest_for_track(clean, track_id="c", track_type="vocals", bpm=120)}
    assert "high_pass" not in types and "de_ess" not in types


def test_real_stems_entering_at_known_times_give_sections_within_a_bar(rng):
    bpm, bar = 120.0, 2.0
    n = int(32 * SR)
    pad = band_noise(rng, 200, 2000, n, -26)
    drums = band_noise(rng, 60, 8000, n, -22) * gate(n, [(8, 24)])
    bass = band_noise(rng, 40, 200, n, -20) * gate(n, [(8, 24)])
    lead = band_noise(rng, 500, 4000, n, -20) * gate(n, [(16, 24)])
    names = {"pad": ("pad", pad), "drums": ("drums", drums), "bass": ("bass", bass), "lead": ("synth", lead)}
    analyses = {k: run(y, k) for k, (_, y) in names.items()}
    spec = SessionSpec.from_dict(
        {"bpm": bpm, "tracks": [{"track_id": k, "name": k, "type": ty} for k, (ty, _) in names.items()]}
    )
    sections = analyze_session(spec, analyses).arrangement.sections
    starts = [s.start_s for s in sections[1:]]
    assert len(starts) == 3 and all(abs(g - e) <= bar for g, e in zip(starts, [8, 16, 24], strict=True)), (
        starts
    )
    assert sections[0].label == "intro" and sections[-1].label == "outro"


def test_mix_estimate_matches_the_rendered_sum(rng):
    n = 10 * SR
    a = band_noise(rng, 100, 4000, n, -22)
    b = band_noise(rng, 300, 6000, n, -24)
    analyses = {"a": run(a, "a"), "b": run(b, "b")}
    spec = SessionSpec.from_dict(
        {
            "tracks": [
                {"track_id": "a", "name": "a", "type": "keys", "volume_db": -3.0},
                {"track_id": "b", "name": "b", "type": "synth"},
            ]
        }
    )
    estimate = analyze_session(spec, analyses).mix.integrated_lufs
    rendered = run(a * 10 ** (-3 / 20) + b, "mix").loudness.integrated_lufs
    assert estimate == pytest.approx(rendered, abs=1.0)


def test_a_masking_cut_names_both_stems_not_only_their_types(rng):
    # hats typed "drums" with body in the snare's mids: the cut says which stems, as the user names them
    n = 10 * SR
    analyses = {
        "02_snare": run(band_noise(rng, 600, 1800, n, -20), "02_snare"),
        "03_hats": run(band_noise(rng, 600, 1800, n, -21) + band_noise(rng, 6000, 10000, n, -18), "03_hats"),
    }
    spec = SessionSpec.from_dict(
        {
            "bpm": 120,
            "tracks": [
                {"track_id": "02_snare", "name": "02_snare", "type": "snare"},
                {"track_id": "03_hats", "name": "03_hats", "type": "drums"},
            ],
        }
    )
    out = analyze_session(spec, analyses)
    (c,) = [c for c in out.masking.conflicts if c.band == "mid"]
    assert c.cut_track_id == "03_hats"
    cut = c.remedy
    assert cut is not None and cut.target.track_id == "03_hats"
    assert cut.reason.startswith("Masks '02_snare' in the mids")
    assert "the snare track '02_snare' owns that band more than the drum track '03_hats'" in cut.reason
