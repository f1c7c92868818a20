"""Grounding: what the session's own measurements say about the problem a question names.

Input is the stored session result (the worker's ``{"tracks", "session_analysis", ...}``) read into
``SessionFacts``, plus, optionally, per-track facts from the tracks' analyses (quality issues and a
few levels). For each problem of core.ask.vocabulary.PROBLEMS the evidence is: masking conflicts in
the problem's bands, session issues (tonal balance with the right sign, level balance, loudness
estimate, ...), the tracks' quality issues with the problem's codes, and the suggestions of the
problem's fix types. The fixes quoted are those suggestions, so an answer never contradicts them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.ask.facts import Advice, Issue, SessionFacts, Value
from core.ask.levels import against_target, placement_claim, placement_who
from core.ask.understand import Question
from core.ask.vocabulary import EFFECT_SUGGESTIONS, PROBLEM_BY_KEY, Problem
from core.targets import PLATFORM_TARGETS

#: level_balance issues count for a level problem only in its direction (core.session.balance verdicts)
LEVEL_WORDS = {"low_level": "too quiet", "too_loud": "too loud"}


@dataclass(frozen=True)
class Evidence:
    """One measurement an answer rests on."""

    field: str
    value: Value
    text: str
    track_ids: tuple[str, ...] = ()
    band: str | None = None
    suggestion_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field, "value": self.value, "text": self.text, "track_ids": list(self.track_ids),
            "band": self.band, "suggestion_id": self.suggestion_id,
        }  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """The verdict on one problem: shown by the measurements or not, with what was checked; when not
    shown, ``evidence`` holds what shows the opposite (a mix quieter than the target for "too loud")."""

    problem: Problem
    shown: bool
    evidence: tuple[Evidence, ...]
    checked: tuple[str, ...]


@dataclass(frozen=True)
class Grounding:
    findings: tuple[Finding, ...]
    #: measurements quoted that are not tied to a problem (loudness against a target, ...)
    evidence: tuple[Evidence, ...]
    advice: tuple[Advice, ...]


def _focus(question: Question, facts: SessionFacts, track_id: str | None) -> set[str]:
    focus = set(question.entities.track_ids)
    if track_id:
        focus.add(track_id)
    types = set(question.entities.track_types) - {"mix_bus", "master"}
    if not focus and types:
        focus = {t.track_id for t in facts.tracks if t.type in types}
    return focus


def _tonal(issue: Issue, problem: Problem) -> bool:
    if issue.code != "tonal_balance":
        return True
    dev = issue.evidence.get("deviation_db")
    if not isinstance(dev, int | float):
        return False
    sign = problem.tonal_sign * float(dev)
    region = issue.evidence.get("bands")
    if not region:  # one band off
        return issue.evidence.get("band") in problem.tonal_bands and sign > 0
    # adjacent bands off the same way (core.suggestions.mastering.tonal_findings): the region shows a
    # problem of its own bands in its direction, and one of the other bands in the other direction
    # (a dark mix, 60 Hz-2 kHz over the rest, is a dull one)
    inside = set(str(region).split(","))
    if inside & set(problem.tonal_bands):
        return sign > 0
    return sign < 0


def _fixes(problem: Problem, facts: SessionFacts, focus: set[str], bands: Sequence[str]) -> list[Advice]:
    out = []
    for a in facts.advice:
        if a.type not in problem.fixes or (focus and a.track_id not in focus):
            continue
        wanted = tuple(bands) or problem.fix_bands
        if wanted is not None and a.band is not None and a.band not in wanted and a.type != "high_pass":
            continue
        out.append(a)
    return sorted(out, key=lambda a: a.priority)


def _track_level(
    problem: Problem, facts: SessionFacts, focus: set[str]
) -> tuple[Finding, list[Advice]] | None:
    """A focused track's level against its usual place in the balance, for "too loud" / "too quiet";
    None when the session's balance did not judge the focused tracks' types."""
    if problem.key not in LEVEL_WORDS or not focus:
        return None
    shown: list[Evidence] = []
    against: list[Evidence] = []
    for p in facts.placements:
        if not focus & set(p.track_ids):
            continue
        claim = placement_claim(p, problem_key=problem.key, who=placement_who(p, facts.name(p.track_ids[0])))
        if claim is None:
            continue
        text, is_shown = claim
        error = p.error_db
        e = Evidence(
            "session.balance.level_error_db", None if error is None else round(error, 1), text, p.track_ids
        )
        (shown if is_shown else against).append(e)
    if not shown and not against:
        return None
    fixes = [a for a in _fixes(problem, facts, focus, ()) if a.type == "gain"] if shown else []
    checked = ("each track's level against its usual place in the balance",)
    return Finding(problem, bool(shown), tuple(shown or against), checked), fixes


def _mix_loudness(
    issue: Issue, problem: Problem, facts: SessionFacts, focus: set[str]
) -> tuple[Evidence, bool] | None:
    """The loudness estimate as evidence, and whether it points the problem's way (louder than the
    target for "too loud", quieter for "too quiet"); None for a question on some tracks, not the mix."""
    est, target = issue.evidence.get("estimate_lufs"), issue.evidence.get("target_lufs")
    if focus or problem.key not in LEVEL_WORDS or not isinstance(est, int | float):
        return None
    if not isinstance(target, int | float):
        return None
    platform = PLATFORM_TARGETS[facts.platform].name if facts.platform in PLATFORM_TARGETS else facts.platform
    diff = float(est) - float(target)
    text = f"the stems sum to about {est:.1f} LUFS (an estimate before mastering), " + against_target(
        float(est), target_lufs=float(target), platform=platform
    )
    points = diff > 0 if problem.key == "too_loud" else diff < 0
    return Evidence("session.issues.loudness_estimate", round(diff, 1), text), points


def _finding(
    problem: Problem, question: Question, facts: SessionFacts, focus: set[str]
) -> tuple[Finding, list[Advice]]:
    on_track = _track_level(problem, facts, focus)
    if on_track is not None:
        return on_track
    bands = [b for b in question.entities.bands if b in problem.masking_bands] or list(problem.masking_bands)
    evidence: list[Evidence] = []
    against: list[Evidence] = []
    checked: list[str] = []
    if problem.masking_bands:
        checked.append(f"masking between tracks ({', '.join(bands)})")
        for c in facts.conflicts:
            if c.band not in bands or (focus and not focus & {c.track_a, c.track_b}):
                continue
            name_a, name_b = facts.name(c.track_a), facts.name(c.track_b)
            evidence.append(Evidence(
                "session.masking", round(c.overlap, 2),
                f"'{name_a}' and '{name_b}' mask each other in the {c.band.replace('_', ' ')} band "
                f"(overlap {c.overlap:.2f} over {c.conflict_s:.0f} s)",
                (c.track_a, c.track_b), c.band, c.remedy_id,
            ))  # fmt: skip
    if problem.issues:
        checked.append("the mix-wide checks (" + ", ".join(problem.issues) + ")")
        for issue in facts.issues:
            if issue.code in problem.issues and _tonal(issue, problem):
                if issue.code == "loudness_estimate":
                    mix = _mix_loudness(issue, problem, facts, focus)
                    if mix is not None:
                        (evidence if mix[1] else against).append(mix[0])
                    continue
                if (
                    issue.code == "level_balance"
                    and problem.key in LEVEL_WORDS
                    and (
                        LEVEL_WORDS[problem.key] not in issue.message
                        or (
                            focus
                            and issue.evidence.get("type")
                            not in {t.type for t in facts.tracks if t.track_id in focus}
                        )
                    )
                ):
                    continue
                value = issue.evidence.get("deviation_db", issue.evidence.get("relative_db"))
                evidence.append(
                    Evidence(
                        f"session.issues.{issue.code}",
                        value,
                        issue.message,
                        band=str(issue.evidence.get("band")) if "band" in issue.evidence else None,
                    )
                )
    if problem.quality:
        checked.append("each track's quality checks (" + ", ".join(problem.quality) + ")")
        for tf in facts.track_facts.values():
            if focus and tf.track_id not in focus:
                continue
            for issue in tf.issues:
                if issue.code in problem.quality:
                    evidence.append(
                        Evidence(
                            f"quality.{issue.code}",
                            None,
                            f"'{facts.name(tf.track_id)}': {issue.message}",
                            (tf.track_id,),
                        )
                    )
    fixes = _fixes(problem, facts, focus, question.entities.bands)
    remedy_ids = {e.suggestion_id for e in evidence if e.suggestion_id}
    fixes = [a for a in facts.advice if a.id in remedy_ids] + [a for a in fixes if a.id not in remedy_ids]
    if not problem.masking_bands and not problem.issues and not problem.quality:
        # Problems only a suggestion can show (sibilance, dryness): the rule that fired is the evidence.
        checked.append("the suggestion rules (" + ", ".join(problem.fixes) + ")")
        for a in fixes:
            evidence.append(
                Evidence(
                    f"suggestions.{a.type}",
                    None,
                    f"'{facts.name(a.track_id)}': {a.reason}",
                    (a.track_id,),
                    a.band,
                    a.id,
                )
            )
    return Finding(problem, bool(evidence), tuple(evidence or against), tuple(checked)), fixes


def _loudness(question: Question, facts: SessionFacts, focus: set[str]) -> list[Evidence]:
    key = next((p for p in question.entities.platforms if p in PLATFORM_TARGETS), facts.platform)
    target = PLATFORM_TARGETS.get(key)
    if target is None:
        return []
    out, name = [], target.name
    for tf in facts.track_facts.values():
        t = next((r for r in facts.tracks if r.track_id == tf.track_id), None)
        if t is None or (t.type not in ("mix_bus", "master") and tf.track_id not in focus):
            continue
        if tf.integrated_lufs is not None:
            out.append(Evidence(
                "loudness.integrated_lufs", round(tf.integrated_lufs, 1),
                f"'{facts.name(tf.track_id)}' measures {tf.integrated_lufs:.1f} LUFS integrated, "
                + against_target(tf.integrated_lufs, target_lufs=target.integrated_lufs, platform=name),
                (tf.track_id,),
            ))  # fmt: skip
        if tf.true_peak_dbtp is not None:
            verdict = "over" if tf.true_peak_dbtp > target.true_peak_dbtp else "within"
            out.append(Evidence(
                "loudness.true_peak_dbtp", round(tf.true_peak_dbtp, 1),
                f"'{facts.name(tf.track_id)}' peaks at {tf.true_peak_dbtp:.1f} dBTP, {verdict} the "
                f"{target.true_peak_dbtp:g} dBTP ceiling", (tf.track_id,),
            ))  # fmt: skip
    if not out and facts.mix_lufs is not None:
        out.append(Evidence(
            "session.mix.integrated_lufs", round(float(facts.mix_lufs), 1),
            f"the stems sum to about {facts.mix_lufs:.1f} LUFS (an estimate before mastering), "
            + against_target(float(facts.mix_lufs), target_lufs=target.integrated_lufs, platform=name),
            (),
        ))  # fmt: skip
    return out


def ground(question: Question, facts: SessionFacts, *, track_id: str | None = None) -> Grounding:
    """Check the question's problems (and any target it compares with) against the session's facts."""
    focus = _focus(question, facts, track_id)
    findings, advice = [], []
    for key in question.entities.problems:
        finding, fixes = _finding(PROBLEM_BY_KEY[key], question, facts, focus)
        findings.append(finding)
        advice += [a for a in fixes if a not in advice]
    evidence: list[Evidence] = []
    if question.entities.platforms or question.intent.value == "compare":
        evidence += _loudness(question, facts, focus)
    if not question.entities.problems:
        types = {t for e in question.entities.effects for t in EFFECT_SUGGESTIONS.get(e, ())}
        for a in facts.advice:
            if a.type in types and (not focus or a.track_id in focus) and a not in advice:
                advice.append(a)
    return Grounding(tuple(findings), tuple(evidence), tuple(advice))
