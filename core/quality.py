"""Quality control: defects a mastering engineer would flag, each with evidence and a concrete fix.

Every threshold is in core/quality_rules.py (``RULES``), with its source. A rule compares one
measured number with a warning and a critical threshold; rules sharing a code (``phase`` looks at
correlation and at mono loss) give one issue, decided by the worst of them. Each code's message and
fix is worded in core/quality_text.py.

Score
-----
Each issue costs ``penalty = P[severity] * (1 + overshoot)`` points, rounded to 0.1, where
``P = {info: 0, warning: 5, critical: 15}`` and ``overshoot`` is how far the value lies past the
threshold it crossed, in units of the rule's span ``|critical - warning|``, clamped to [0, 1]. So a
warning costs 5-10 points and a critical issue 15-30. The score is
``round(100 - sum(penalties))`` clamped to 0-100: a track with a critical true-peak over just past
0 dBTP (15) and a mild mud warning (5.5) scores 80. Each issue's ``evidence`` carries its
``measure``, ``value``, ``threshold`` and ``penalty``, so the score can be recomputed from the issues
alone (``score_from_issues``). A silent track gets a critical ``low_level`` issue at full penalty.

What is measured where
----------------------
Levels, peaks, clipping, DC, silence and noise floor come from the loudness and dynamics results;
correlation and mono loss from the stereo result (mono files are not judged for phase). Hum,
rumble and the spectral balance (mud, harshness, missing air) are measured here on the fine Welch
spectrum of the mono downmix (``FrameFeatures.fine_psd``, ~3 Hz bins):

- hum: at k * 50 Hz and k * 60 Hz (k = 1..8), the peak bin within 1 Hz (after parabolic
  interpolation) must be a local maximum; its prominence is its power over the median of the
  +-30 Hz neighbourhood (excluding +-6 Hz). Hum needs at least two harmonics of the same mains
  frequency at the warning prominence, so a musical note near 50 Hz alone is not hum.
- rumble: power in 8-30 Hz over the power above 8 Hz (the 8 Hz edge leaves DC to ``dc_offset``).
- mud, harshness, missing_air compare levels per octave of two regions (see the table), and only
  for broadband material: at least 6 of the octave bands 63 Hz-4 kHz within 30 dB of the loudest.
  A sine, a bass stem or a solo voice is not judged against a full-mix balance; nor, for the same
  reason, is its crest factor judged as over-compression.

A stem
------
The analysis is computed once per file, whatever it is used as. ``for_track_type`` is the view a
user who declared the track's type reads (the service applies it to every track result): on a stem
(any type but mix_bus, master, other) mud, harshness, missing air and over-compression are not
judged (they are full-mix measures: a bass has no air by design), long silence is information
(a part rests for bars), and the score is recomputed from what is left.
"""

from __future__ import annotations

import dataclasses
import math

from core import quality_rules as qr
from core.frames import FrameFeatures
from core.quality_measures import (
    Values,
    detect_hum,
    frame_rms_db,
    longest_run_s,
    rumble_db,
    spectral_balance,
)
from core.quality_rules import RULES, SEVERITY_PENALTY, Rule
from core.quality_text import TEXT
from core.results import (
    DynamicsResult,
    LoudnessResult,
    QualityIssue,
    QualityResult,
    Severity,
    SpectrumResult,
    StereoResult,
)

_RANK: dict[Severity, int] = {"info": 0, "warning": 1, "critical": 2}
CODES: tuple[str, ...] = tuple(dict.fromkeys(r.code for r in RULES))


def issue_penalty(rule: Rule, value: float | None, severity: Severity) -> float:
    """Points an issue costs: P[severity] * (1 + overshoot), rounded to 0.1; None counts as one span."""
    over = 1.0 if value is None else rule.overshoot(value, severity)
    return round(SEVERITY_PENALTY[severity] * (1.0 + over), 1)


def score_from_issues(issues: tuple[QualityIssue, ...]) -> int:
    """100 minus the issues' penalties, rounded half up and clamped to 0-100."""
    total = sum(float(i.evidence["penalty"] or 0.0) for i in issues)
    return int(min(max(math.floor(100.0 - total + 0.5), 0), 100))


#: Track types judged as a full mix; any other declared type is a stem (core.suggestions.TRACK_TYPES).
#: A track of unknown type may be a mix, so it is judged as one.
FULL_MIX_TYPES: frozenset[str] = frozenset({"mix_bus", "master", "other"})
#: Judged only on a full mix: a stem's spectrum (a bass without air, hats all upper mids) and its
#: dynamics (a compressed vocal) are its part in the arrangement, not defects of the track.
FULL_MIX_ONLY: frozenset[str] = frozenset({"mud", "harshness", "missing_air", "over_compression"})
#: On a stem these are information: a part that rests for bars has gaps by design, and a stem sits
#: well under a finished mix's level (seven stems at -27 LUFS sum to about -18); whether it is too
#: quiet is judged against the mix (core.session balance), not against a full mix's level.
STEM_INFO: frozenset[str] = frozenset({"long_silence", "low_level"})
#: ... except at this severity: a critical low level is a silent or near-silent file (a wrong
#: export), whatever the track is used as. A snare that is 80 % silence stays information.
STEM_KEEPS: frozenset[tuple[str, str]] = frozenset({("low_level", "critical")})


def for_track_type(quality: QualityResult, track_type: str | None) -> QualityResult:
    """The quality of a track as a stem of ``track_type``: full-mix judgements dropped, gaps as info.

    The analysis (and its quality) is computed once per file, whatever the file is used as; this view
    is what a user who declared the track's type reads. The score is recomputed from what is left
    (``score_from_issues``). Unknown types and FULL_MIX_TYPES get ``quality`` unchanged.
    """
    if not track_type or track_type in FULL_MIX_TYPES:
        return quality
    kept = []
    for issue in quality.issues:
        if issue.code in FULL_MIX_ONLY:
            continue
        keep = issue.severity == "info" or (issue.code, issue.severity) in STEM_KEEPS
        if issue.code in STEM_INFO and not keep:
            issue = dataclasses.replace(issue, severity="info", evidence={**issue.evidence, "penalty": 0.0})
        kept.append(issue)
    issues = tuple(kept)
    return QualityResult(score=score_from_issues(issues), issues=issues)


# --- gathering the measured values ---------------------------------------------------------------


def _rule(code: str, measure: str) -> Rule:
    return next(r for r in RULES if r.code == code and r.measure == measure)


def gather_values(
    *,
    loudness: LoudnessResult,
    spectrum: SpectrumResult,
    dynamics: DynamicsResult,
    stereo: StereoResult | None,
    frames: FrameFeatures,
    channels: int,
) -> Values:
    """Every number the rules judge (under the rule's ``measure`` name) plus context for messages.

    ``clipped_samples`` is counted in every channel (core.dynamics), so ``clipped_percent`` is its
    share of all samples, frames x ``channels``: a file clipped throughout reads 100 %.
    """
    n = max(frames.n_samples * max(channels, 1), 1)
    duration_s = frames.n_samples / frames.sr
    v: Values = {
        "clipped_samples": dynamics.clipped_samples,
        "clipped_percent": 100.0 * dynamics.clipped_samples / n,
        "channels": channels,
        "true_peak_dbtp": loudness.true_peak_dbtp,
        "sample_peak_dbfs": loudness.sample_peak_dbfs
        if loudness.sample_peak_dbfs is not None
        else dynamics.peak_dbfs,
        "dc_offset": dynamics.dc_offset,
        "dc_offset_abs": abs(dynamics.dc_offset) if duration_s >= qr.DC_MIN_DURATION_S else None,
        "integrated_lufs": loudness.integrated_lufs,
        "range_lu": loudness.range_lu,
        "plr_db": loudness.plr_db,
        "crest_factor_db": dynamics.crest_factor_db,
        "rms_dbfs": dynamics.rms_dbfs,
        "silence_ratio": dynamics.silence_ratio,
        "noise_floor_dbfs": dynamics.noise_floor_dbfs,
        "correlation": stereo.correlation if stereo is not None else None,
        "mono_loss_db": stereo.mono_loss_db if stereo is not None else None,
        "rumble_db": rumble_db(frames),
        "rolloff_hz": spectrum.rolloff_hz,
        "duration_s": duration_s,
    }
    v.update(spectral_balance(frames))
    v.update(detect_hum(frames, min_prominence_db=_rule("hum", "hum_prominence_db").warning))
    # The longest silent stretch of the mono downmix, bounded by the per-channel silence ratio
    # (anti-phase channels cancel in the downmix without being silent).
    silent = frame_rms_db(frames) < qr.SILENCE_DBFS
    longest = longest_run_s(silent, frames.hop_length / frames.sr)
    longest_silence_s = min(longest, dynamics.silence_ratio * duration_s)
    v["longest_silence_s"] = longest_silence_s
    # Silence between the hits of a drum stem or the phrases of a vocal is the material, not a gap:
    # the silent share is judged only when some silent stretch is long.
    gap = longest_silence_s >= qr.SILENCE_RATIO_MIN_GAP_S
    v["judged_silence_ratio"] = dynamics.silence_ratio if gap else None
    # The crest factor judges compression only when the PLR is unknown; both need broadband material.
    broadband = int(v["broadband_octaves"] or 0) >= qr.BROADBAND_MIN_OCTAVES
    v["judged_plr_db"] = v["plr_db"] if broadband else None
    v["judged_crest_factor_db"] = v["crest_factor_db"] if broadband and v["plr_db"] is None else None
    v["judged_noise_floor_dbfs"] = judged_noise_floor(dynamics)
    return v


def judged_noise_floor(dynamics: DynamicsResult) -> float | None:
    """The 10th-percentile window level when it is a noise floor, else None; the gate suggestion
    (core.suggestions.track) asks the same.

    It is one only when the track has quiet passages: within NOISE_FLOOR_MIN_DEPTH_DB of the RMS
    level it is the music itself. And only when it is steady (core.dynamics noise_floor_steady):
    otherwise it is the decays of notes and hits. And only when it sounds like noise
    (noise_floor_tonalness; unknown reads as noise): a tonal floor is the part played softly.
    """
    floor, rms = dynamics.noise_floor_dbfs, dynamics.rms_dbfs
    deep = floor is not None and rms is not None and rms - floor >= qr.NOISE_FLOOR_MIN_DEPTH_DB
    steady = dynamics.noise_floor_steady
    held = steady is not None and steady >= qr.NOISE_FLOOR_MIN_STEADY
    tonal = dynamics.noise_floor_tonalness
    noisy = tonal is None or tonal < qr.NOISE_FLOOR_MAX_TONALNESS
    return floor if deep and held and noisy else None


#: Which value each rule judges, when it differs from ``rule.measure`` (gated copies).
_JUDGED = {
    "plr_db": "judged_plr_db",
    "crest_factor_db": "judged_crest_factor_db",
    "noise_floor_dbfs": "judged_noise_floor_dbfs",
    "silence_ratio": "judged_silence_ratio",
}

#: The evidence each code reports besides the judged value.
_EVIDENCE: dict[str, tuple[str, ...]] = {
    "clipping": ("clipped_samples", "clipped_percent", "sample_peak_dbfs"),
    "true_peak_over": ("true_peak_dbtp", "sample_peak_dbfs"),
    "dc_offset": ("dc_offset",),
    "hum": ("mains_hz", "hum_harmonics_hz", "hum_prominence_db"),
    "rumble": ("rumble_db",),
    "mud": ("mud_excess_db", "broadband_octaves"),
    "harshness": ("harsh_excess_db", "broadband_octaves"),
    "missing_air": ("air_db", "rolloff_hz", "broadband_octaves"),
    "over_compression": ("plr_db", "crest_factor_db", "range_lu", "integrated_lufs"),
    "phase": ("correlation", "mono_loss_db"),
    "low_level": ("integrated_lufs", "sample_peak_dbfs"),
    "long_silence": ("silence_ratio", "longest_silence_s", "duration_s"),
    "high_noise_floor": ("noise_floor_dbfs", "rms_dbfs"),
}


def _num(value: float | int | str | None, digits: int = 2) -> float | int | str | None:
    return round(value, digits) if isinstance(value, float) else value


# --- the assessment ------------------------------------------------------------------------------


def _worst(code: str, values: Values) -> tuple[Rule, float | None, Severity] | None:
    found: list[tuple[int, float, Rule, float | None, Severity]] = []
    for rule in RULES:
        if rule.code != code:
            continue
        raw = values.get(_JUDGED.get(rule.measure, rule.measure))
        if not isinstance(raw, int | float):
            continue
        severity = rule.severity(float(raw))
        if severity is not None:
            found.append((_RANK[severity], rule.overshoot(float(raw), severity), rule, float(raw), severity))
    if code == "low_level" and values["integrated_lufs"] is None and values["sample_peak_dbfs"] is None:
        found.append((_RANK["critical"], 1.0, _rule("low_level", "integrated_lufs"), None, "critical"))
    if not found:
        return None
    _, _, rule, value, severity = max(found, key=lambda item: (item[0], item[1]))
    return rule, value, severity


def assess_quality(
    *,
    loudness: LoudnessResult,
    spectrum: SpectrumResult,
    dynamics: DynamicsResult,
    stereo: StereoResult | None,
    frames: FrameFeatures,
    channels: int,
) -> QualityResult:
    """Judge a track against RULES; the score is the documented function of the issues (module doc).

    Parameters
    ----------
    loudness, spectrum, dynamics, stereo : results of the measures (stereo is None for mono)
    frames : FrameFeatures
        The shared spectral pass; hum, rumble and the spectral balance use ``fine_psd``.
    channels : int
        Channels of the file: ``dynamics.clipped_samples`` counts in every channel, so the clipped
        percentage is of ``frames.n_samples * channels`` samples.

    Returns
    -------
    QualityResult
        ``issues`` in the order of RULES' codes, at most one per code.
    """
    values = gather_values(
        loudness=loudness,
        spectrum=spectrum,
        dynamics=dynamics,
        stereo=stereo,
        frames=frames,
        channels=channels,
    )
    issues: list[QualityIssue] = []
    for code in CODES:
        worst = _worst(code, values)
        if worst is None:
            continue
        rule, value, severity = worst
        evidence = {
            key: _num(values[key], 4 if key in ("dc_offset", "clipped_percent") else 2)
            for key in _EVIDENCE[code]
        }
        shown = None if value is None else round(value, 4)
        evidence.update(
            measure=rule.measure,
            value=shown,
            threshold=rule.threshold(severity),
            penalty=issue_penalty(rule, shown, severity),
        )
        message, fix = TEXT[code](values, rule)
        issues.append(QualityIssue(code=code, severity=severity, message=message, evidence=evidence, fix=fix))
    result = tuple(issues)
    return QualityResult(score=score_from_issues(result), issues=result)
