"""core.quality: each code raised by its injected defect, silence on clean material, the score function.

Unit layer: the spectral pass (FrameFeatures) is computed from real synthetic signals; the scalar
results (loudness, dynamics, stereo) are constructed with the values a defect would produce, so
these tests do not depend on the other measures. tests/core/test_quality_e2e.py runs the same
defects through core.analysis.analyze.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from core.frames import FrameFeatures, compute_frames
from core.quality import CODES, FULL_MIX_ONLY, assess_quality, for_track_type, score_from_issues
from core.quality_rules import RULES, SEVERITY_PENALTY
from core.results import (
    BandCurves,
    DynamicsResult,
    LoudnessResult,
    QualityIssue,
    QualityResult,
    SpectrumResult,
    StereoResult,
    to_dict,
)
from tests.core.mixes import SR, bell_db, butter_db, clean_mix, shape

BLOCK = 1 << 17


def frames_of(y: np.ndarray) -> FrameFeatures:
    mono = y.mean(axis=0) if y.ndim == 2 else y
    return compute_frames((mono[i : i + BLOCK].astype(np.float32) for i in range(0, len(mono), BLOCK)), sr=SR)


def nominal(y: np.ndarray) -> dict[str, object]:
    """Results a clean, well-levelled stereo mix would get (values of the clean base)."""
    return {
        "loudness": LoudnessResult(
            integrated_lufs=-16.0,
            range_lu=6.0,
            momentary_max_lufs=-11.0,
            short_term_max_lufs=-13.0,
            true_peak_dbtp=-6.0,
            sample_peak_dbfs=-6.3,
            plr_db=10.0,
            short_term_curve=None,  # type: ignore[arg-type]
        ),
        "spectrum": SpectrumResult((), 2000.0, 9000.0, 0.1, -1.5, (), BandCurves(0.5, (), ())),
        "dynamics": DynamicsResult(
            rms_dbfs=-14.6,
            peak_dbfs=-6.3,
            crest_factor_db=11.3,
            dynamic_range_db=12.0,
            clipped_samples=0,
            dc_offset=0.0,
            silence_ratio=0.17,
            noise_floor_dbfs=-30.0,
            noise_floor_steady=1.0,
        ),
        "stereo": StereoResult(correlation=0.85, width=0.3, balance_db=0.2, mono_loss_db=0.6),
        "frames": frames_of(y),
        "channels": y.shape[0] if y.ndim == 2 else 1,
    }


def assess(y: np.ndarray, **changes: dict[str, object]) -> QualityResult:
    """assess_quality on ``y``'s frames and the nominal results, with fields replaced per result."""
    inputs = nominal(y)
    for name, fields in changes.items():
        inputs[name] = dataclasses.replace(inputs[name], **fields)  # type: ignore[type-var]
    return assess_quality(**inputs)  # type: ignore[arg-type]


def flagged(result: QualityResult) -> dict[str, str]:
    return {i.code: i.severity for i in result.issues if i.severity != "info"}


@pytest.fixture(scope="module")
def clean() -> np.ndarray:
    return clean_mix()


def _t(y: np.ndarray) -> np.ndarray:
    return np.arange(y.shape[-1]) / SR


def test_clean_mix_has_no_issues_and_full_score(clean: np.ndarray) -> None:
    result = assess(clean)
    assert flagged(result) == {}
    assert result.score == 100


# --- spectral defects, injected into the signal -------------------------------------------------


def with_hum(y: np.ndarray, mains: float) -> np.ndarray:
    """Mains hum: the fundamental and four harmonics, each a sine at -40 dBFS, in both channels."""
    t = _t(y)
    return y + sum(10 ** (-40 / 20) * np.sin(2 * np.pi * k * mains * t + k) for k in range(1, 6))


@pytest.mark.parametrize("mains", [50.0, 60.0])
def test_hum_is_found_and_names_the_mains_frequency(clean: np.ndarray, mains: float) -> None:
    issue = {i.code: i for i in assess(with_hum(clean, mains)).issues}["hum"]
    assert issue.evidence["mains_hz"] == mains
    assert f"{mains:.0f} Hz" in issue.fix
    harmonics = [float(h) for h in str(issue.evidence["hum_harmonics_hz"]).split(",")]
    assert len(harmonics) >= 2 and all(h / mains == round(h / mains) for h in harmonics)


def test_rumble_at_15_hz(clean: np.ndarray) -> None:
    y = clean + 10 ** (-20 / 20) * np.sin(2 * np.pi * 15.0 * _t(clean))
    assert set(flagged(assess(y))) == {"rumble"}


def test_boosted_300_hz_is_mud(clean: np.ndarray) -> None:
    y = shape(clean, lambda f: bell_db(f, fc=300.0, gain_db=12.0, octaves=1.0))
    assert set(flagged(assess(y))) == {"mud"}


def test_boosted_3_khz_is_harsh(clean: np.ndarray) -> None:
    y = shape(clean, lambda f: bell_db(f, fc=3000.0, gain_db=12.0, octaves=1.0))
    assert set(flagged(assess(y))) == {"harshness"}


def test_low_pass_at_4_khz_is_missing_air(clean: np.ndarray) -> None:
    y = shape(clean, lambda f: butter_db(f, fc=4000.0, order=8, kind="low"))
    result = assess(y)
    assert set(flagged(result)) == {"missing_air"}
    assert flagged(result)["missing_air"] == "critical"


def test_dc_offset_is_not_rumble(clean: np.ndarray) -> None:
    result = assess(clean + 0.05, dynamics={"dc_offset": 0.05})
    assert flagged(result) == {"dc_offset": "critical"}


# --- scalar defects, in the constructed results --------------------------------------------------

SCALAR_DEFECTS = {
    "clipping": {"dynamics": {"clipped_samples": 4000}},
    "true_peak_over": {"loudness": {"true_peak_dbtp": 0.6, "sample_peak_dbfs": -0.1, "plr_db": 16.6}},
    "over_compression": {"loudness": {"plr_db": 5.5, "range_lu": 1.5}, "dynamics": {"crest_factor_db": 5.2}},
    "phase": {"stereo": {"correlation": -0.98, "mono_loss_db": 30.0}},
    "low_level": {"loudness": {"integrated_lufs": -45.5, "sample_peak_dbfs": -35.8, "true_peak_dbtp": -35.5}},
    "long_silence": {"dynamics": {"silence_ratio": 0.62}},
    "high_noise_floor": {"dynamics": {"noise_floor_dbfs": -50.0}},
}


@pytest.mark.parametrize("code", sorted(SCALAR_DEFECTS))
def test_scalar_defect_raises_its_code_only(clean: np.ndarray, code: str) -> None:
    result = assess(clean, **SCALAR_DEFECTS[code])  # type: ignore[arg-type]
    assert set(flagged(result)) == {code}
    (issue,) = result.issues
    assert issue.fix and issue.message
    assert any(ch.isdigit() for ch in issue.fix), "a fix gives numbers"


def test_long_silence_from_the_longest_gap(clean: np.ndarray) -> None:
    y = clean.copy()
    y[:, : int(9.5 * SR)] = 0.0  # 9.5 s lead-in + the 2 s tail: 96 % silent, longest gap 9.5 s
    issue = {i.code: i for i in assess(y, dynamics={"silence_ratio": 0.96}).issues}["long_silence"]
    assert issue.severity == "critical"
    assert issue.evidence["longest_silence_s"] == pytest.approx(9.5, abs=0.1)
    assert "9.5 s" in issue.message
    # The per-channel silence ratio bounds the gap: anti-phase channels cancel in the mono downmix.
    issue = {i.code: i for i in assess(y, dynamics={"silence_ratio": 0.3}).issues}["long_silence"]
    assert issue.evidence["longest_silence_s"] == pytest.approx(0.3 * 12.0)


def test_gaps_between_hits_are_not_long_silence(clean: np.ndarray) -> None:
    """A drum stem is half silence in 0.3 s gaps: the silent share alone is not a defect."""
    y = clean[:, : int(10 * SR)].copy()
    period, hit = int(0.6 * SR), int(0.3 * SR)
    for start in range(0, y.shape[1], period):
        y[:, start + hit : start + period] = 0.0
    assert "long_silence" not in flagged(assess(y, dynamics={"silence_ratio": 0.5}))


def test_a_kick_like_mean_is_not_a_dc_offset(clean: np.ndarray) -> None:
    """Asymmetric waveforms average a few thousandths of full scale; that is not an offset."""
    assert "dc_offset" not in flagged(assess(clean, dynamics={"dc_offset": 0.0016}))


def test_noise_floor_is_not_judged_without_quiet_passages(clean: np.ndarray) -> None:
    # A floor 10 dB under the RMS level is the music, not noise (no quiet passage to measure it in).
    assert flagged(assess(clean, dynamics={"noise_floor_dbfs": -24.6})) == {}


def test_a_floor_that_decays_pass_through_is_not_hiss(clean: np.ndarray) -> None:
    # deep enough under the RMS level, but not held: the tails of notes and hits, not noise
    loud = {"noise_floor_dbfs": -40.0}
    assert "high_noise_floor" in flagged(assess(clean, dynamics=loud))
    assert flagged(assess(clean, dynamics={**loud, "noise_floor_steady": 0.1})) == {}


def test_a_tonal_floor_is_the_part_played_softly_not_hiss(clean: np.ndarray) -> None:
    # deep and held, but its frames read as notes (core.tonal.floor_tonalness): no noise to report
    loud = {"noise_floor_dbfs": -40.0}
    assert "high_noise_floor" in flagged(assess(clean, dynamics={**loud, "noise_floor_tonalness": 0.1}))
    assert flagged(assess(clean, dynamics={**loud, "noise_floor_tonalness": 0.95})) == {}


def test_mono_material_is_not_judged_for_phase(clean: np.ndarray) -> None:
    inputs = nominal(clean)
    inputs["stereo"] = None
    assert flagged(assess_quality(**inputs)) == {}  # type: ignore[arg-type]


def test_silent_track_is_critical_low_level() -> None:
    y = np.zeros((2, SR * 2))
    empty = {"integrated_lufs": None, "sample_peak_dbfs": None, "true_peak_dbtp": None, "plr_db": None}
    result = assess(
        y,
        loudness=empty,
        dynamics={"peak_dbfs": None, "rms_dbfs": None, "silence_ratio": 1.0, "noise_floor_dbfs": None},
        stereo={"correlation": None, "mono_loss_db": None},
    )
    codes = flagged(result)
    assert codes["low_level"] == "critical"
    assert result.score == 100 - 2 * SEVERITY_PENALTY["critical"] - 2 * SEVERITY_PENALTY["critical"]


# --- no false positives on material that is not a full mix ---------------------------------------


def test_pure_sine_is_not_judged_as_a_mix() -> None:
    y = 0.5 * np.sin(2 * np.pi * 1000.0 * np.arange(6 * SR) / SR)
    result = assess(
        np.stack([y, y]),
        loudness={"integrated_lufs": -9.0, "true_peak_dbtp": -6.0, "sample_peak_dbfs": -6.0, "plr_db": 3.0},
        dynamics={"crest_factor_db": 3.01, "rms_dbfs": -6.0, "silence_ratio": 0.0, "noise_floor_dbfs": -6.0},
    )
    assert flagged(result) == {}


def test_bass_stem_is_not_missing_air() -> None:
    y = shape(clean_mix(seed=2), lambda f: butter_db(f, fc=200.0, order=4, kind="low"))
    assert flagged(assess(y)) == {}


# --- the score -----------------------------------------------------------------------------------


def documented_score(result: QualityResult) -> int:
    """The score function of core/quality.py's docstring, recomputed from the rule table."""
    total = 0.0
    for issue in result.issues:
        ev = issue.evidence
        rule = next(r for r in RULES if r.code == issue.code and r.measure == ev["measure"])
        limit = rule.critical if issue.severity == "critical" else rule.warning
        assert ev["threshold"] == limit
        if ev["value"] is None:
            over = 1.0
        else:
            past = float(ev["value"]) - limit if rule.direction == "above" else limit - float(ev["value"])
            assert past > 0.0
            over = min(past / abs(rule.critical - rule.warning), 1.0)
        penalty = SEVERITY_PENALTY[issue.severity] * (1.0 + over)
        assert ev["penalty"] == pytest.approx(penalty, abs=0.05)
        total += round(penalty, 1)
    return max(0, min(100, math.floor(100.0 - total + 0.5)))


def test_score_is_the_documented_function_of_the_issues(clean: np.ndarray) -> None:
    everything: dict[str, dict[str, object]] = {"loudness": {}, "dynamics": {}, "stereo": {}}
    for code in ("clipping", "true_peak_over", "phase", "long_silence"):
        for name, fields in SCALAR_DEFECTS[code].items():
            everything[name].update(fields)
    bad = shape(clean, lambda f: bell_db(f, fc=3000.0, gain_db=12.0, octaves=1.0))
    results = [assess(bad, **everything)]  # type: ignore[arg-type]
    results += [assess(clean, **SCALAR_DEFECTS[code]) for code in SCALAR_DEFECTS]  # type: ignore[arg-type]
    for result in results:
        assert result.score == documented_score(result) == score_from_issues(result.issues)
    assert results[0].score < 50
    # Worse is lower: a true peak further over costs more.
    mild = assess(clean, loudness={"true_peak_dbtp": -0.8})
    severe = assess(clean, loudness={"true_peak_dbtp": -0.2})
    assert 100 > mild.score > severe.score


def test_every_code_has_text_and_the_table_is_consistent() -> None:
    assert set(CODES) >= {
        "clipping", "true_peak_over", "dc_offset", "hum", "rumble", "mud", "harshness", "missing_air",
        "over_compression", "phase", "low_level", "long_silence", "high_noise_floor",
    }  # fmt: skip
    for rule in RULES:
        assert rule.source
        worse = rule.critical > rule.warning if rule.direction == "above" else rule.critical < rule.warning
        assert worse, rule


def test_result_is_json_clean(clean: np.ndarray) -> None:
    result = assess(clean + 0.05, dynamics={"dc_offset": 0.05, "clipped_samples": 3})
    text = json.dumps(to_dict(result), allow_nan=False)
    assert "dc_offset" in text and "clipping" in text


def test_the_worked_example_of_the_docs() -> None:
    from core.quality import issue_penalty
    from core.results import QualityIssue

    tp = next(r for r in RULES if r.code == "true_peak_over")
    mud = next(r for r in RULES if r.code == "mud")
    assert issue_penalty(tp, 0.6, "critical") == 24.0
    assert issue_penalty(mud, 5.2, "warning") == 6.5
    issues = tuple(
        QualityIssue(code, sev, "", {"penalty": p}, "")
        for code, sev, p in (("a", "critical", 24.0), ("b", "warning", 6.5))
    )
    assert score_from_issues(issues) == 70  # 69.5 rounds half up


def test_dc_is_not_judged_on_a_clip_shorter_than_two_seconds(clean: np.ndarray) -> None:
    short = clean[:, : int(1.5 * SR)]
    assert "dc_offset" not in flagged(assess(short, dynamics={"dc_offset": 0.008}))
    assert "dc_offset" in flagged(assess(clean, dynamics={"dc_offset": 0.008}))


def test_for_track_type_judges_stems_as_stems_and_leaves_mixes_alone() -> None:
    def issue(code: str, severity: str, penalty: float) -> QualityIssue:
        return QualityIssue(code, severity, code, {"penalty": penalty}, "fix")  # type: ignore[arg-type]

    issues = (
        issue("missing_air", "critical", 20.0),
        issue("mud", "warning", 6.0),
        issue("long_silence", "warning", 7.5),
        issue("true_peak_over", "critical", 15.0),
    )
    q = QualityResult(score_from_issues(issues), issues)
    assert q.score == 52
    for mix_type in ("", None, "mix_bus", "master", "other"):
        assert for_track_type(q, mix_type) == q
    stem = for_track_type(q, "bass")
    assert not {i.code for i in stem.issues} & FULL_MIX_ONLY
    assert [(i.code, i.severity, i.evidence["penalty"]) for i in stem.issues] == [
        ("long_silence", "info", 0.0),
        ("true_peak_over", "critical", 15.0),
    ]
    assert stem.score == 85


def test_a_quiet_stem_is_information_but_a_silent_one_stays_critical() -> None:
    quiet = QualityIssue("low_level", "warning", "low", {"penalty": 6.0}, "fix")
    silent = QualityIssue("low_level", "critical", "silent", {"penalty": 30.0}, "fix")
    gappy = QualityIssue("long_silence", "critical", "gaps", {"penalty": 20.0}, "fix")  # a snare's rests
    for issue, severity in ((quiet, "info"), (silent, "critical"), (gappy, "info")):
        q = QualityResult(score_from_issues((issue,)), (issue,))
        assert [i.severity for i in for_track_type(q, "keys").issues] == [severity]
        assert for_track_type(q, "master") == q
