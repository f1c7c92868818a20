"""Questions about the user rather than the sound: the reference, their style, their workflow.

"How does my mix compare to the reference?", "how do I usually mix?" and "how could I work faster?"
are answered from results Codette already holds: the session analysis's reference comparison, the
production style learnt from the user's sessions, and the session's workflow. Each answer part is
``(lines, evidence, suggestion_ids)``; the service puts it before the knowledge base's answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core.ask.grounding import Evidence
from core.session.style_profile import StyleProfile
from core.session.workflow import WorkflowResult
from core.suggestions.wording import band_words


class Topic(StrEnum):
    REFERENCE = "reference"
    STYLE = "style"
    WORKFLOW = "workflow"


#: The first pattern that matches a (lower-cased) question names its topic.
TOPIC_PATTERNS: tuple[tuple[Topic, str], ...] = (
    (Topic.REFERENCE, r"\breferences?\b|\bref track"),
    (
        Topic.WORKFLOW,
        r"\bwork(ing)? (faster|quicker|more efficiently)|\bworkflow\b|\bspeed (up|my)\b|\befficien",
    ),
    (
        Topic.STYLE,
        r"\b(how|what) do i usually\b|\bmy (production |mixing )?style\b|\bmy habits?\b|\busually mix",
    ),
)
#: Bands reported per answer, largest deviation first.
MAX_BANDS = 3
MAX_CHAINS = 3


@dataclass(frozen=True)
class HabitAnswer:
    lines: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    suggestion_ids: tuple[str, ...]
    grounded: bool


def topic_of(question: str) -> Topic | None:
    """The topic a question asks about, or None (a question about the sound)."""
    text = question.lower()
    return next((topic for topic, pattern in TOPIC_PATTERNS if re.search(pattern, text)), None)


def answer_reference(session_analysis: Mapping[str, Any] | None) -> HabitAnswer:
    """From a stored session analysis (``SessionAnalysis.to_dict()``): the mix against its references."""
    reference = (session_analysis or {}).get("reference")
    if session_analysis is None or reference is None:
        line = (
            'This session names no reference track yet: add one ("references": [sha256] in PUT '
            "/api/v1/sessions/<id>) and analyse again, or compare two files with POST /api/v1/compare."
        )
        return HabitAnswer((line,), (), (), False)
    names = reference["names"]
    who = f"the reference '{names[0]}'" if len(names) == 1 else f"the average of your {len(names)} references"
    judged = [d for d in session_analysis["mix"]["tonal_balance"] if d.get("deviation_db") is not None]
    evidence, lines = [], []
    if not judged:
        lines.append(f"The stems are not a full mix yet, so their tonal balance is not compared with {who}.")
    else:
        worst = sorted(judged, key=lambda d: -abs(d["deviation_db"]))[:MAX_BANDS]
        parts = [f"{band_words(d['band'])} {d['deviation_db']:+.1f} dB" for d in worst]
        outside = [d for d in judged if d.get("outside")]
        verdict = (
            f"{len(outside)} of {len(judged)} bands are outside ±{reference['tolerance_db']:g} dB"
            if outside
            else f"every band is within ±{reference['tolerance_db']:g} dB"
        )
        lines.append(f"Against {who}, your mix's tonal balance: {', '.join(parts)}; {verdict}.")
        for d in worst:
            evidence.append(
                Evidence(
                    "session.reference.tonal_balance",
                    round(float(d["deviation_db"]), 2),
                    f"{band_words(d['band'])} {d['deviation_db']:+.1f} dB against the reference",
                    band=d["band"],
                )
            )
    if reference.get("mix_lufs_diff") is not None:
        diff = reference["mix_lufs_diff"]
        lines.append(
            f"The stems sum to {diff:+.1f} LU against its {reference['integrated_lufs']:g} LUFS; level-match "
            "before you judge by ear."
        )
        evidence.append(
            Evidence("session.reference.loudness", diff, f"mix {diff:+.1f} LU against the reference")
        )
    moves = [
        s
        for t in session_analysis.get("tracks") or ()
        for s in t.get("suggestions") or ()
        if "reference" in (s.get("evidence") or {})
    ]
    if moves:
        said = [
            f"{s['type'].replace('_', ' ')} of {s['parameters']['gain_db']:+.1f} dB at "
            f"{s['parameters']['freq_hz']:.0f} Hz on '{s['target']['track_id']}'"
            for s in moves[:MAX_BANDS]
        ]
        lines.append(f"To move toward it: {'; '.join(said)}.")
    return HabitAnswer(tuple(lines), tuple(evidence), tuple(s["id"] for s in moves[:MAX_BANDS]), True)


def answer_style(profile: StyleProfile, *, usual_genre: str | None, usual_bpm: float | None) -> HabitAnswer:
    """From the production style learnt from the user's analysed sessions."""
    if profile.sessions == 0:
        line = "Codette has not seen any of your sessions analysed yet; your style is learnt from them."
        return HabitAnswer((line,), (), (), False)
    lines = [f"From your {profile.sessions} analysed session{'s' if profile.sessions != 1 else ''}:"]
    evidence = [Evidence("style.sessions", profile.sessions, f"{profile.sessions} sessions analysed")]
    if profile.genres:
        g = profile.genres[0]
        lines.append(f"mostly {g.genre} ({g.sessions} of {profile.sessions}).")
        evidence.append(Evidence("style.genre", g.genre, f"{g.genre} in {g.sessions} sessions"))
    if profile.tempo_median_bpm is not None and profile.tempo_range_bpm is not None:
        lo, hi = profile.tempo_range_bpm
        lines.append(f"Your tempos: median {profile.tempo_median_bpm:g} BPM ({lo:g}-{hi:g}).")
        evidence.append(Evidence("style.tempo_median_bpm", profile.tempo_median_bpm, "median tempo"))
    chains = _chains(profile)
    if chains:
        lines.append(f"Your usual chains: {'; '.join(chains)}.")
    if usual_genre is not None:
        tempo = f" and the tempo-synced times to {usual_bpm:g} BPM" if usual_bpm is not None else ""
        lines.append(f"A new session with no genre declared or detected is judged as {usual_genre}{tempo}.")
    return HabitAnswer(tuple(lines), tuple(evidence), (), True)


def _chains(profile: StyleProfile) -> list[str]:
    top = sorted(profile.chains, key=lambda c: (-c.count, c.track_type))[:MAX_CHAINS]
    return [f"{c.track_type.replace('_', ' ')}: {' → '.join(c.chain)}" for c in top]


def answer_workflow(workflow: WorkflowResult | None) -> HabitAnswer:
    """From the session's workflow (None: no session named)."""
    if workflow is None:
        line = "Name a session (session_id) whose DAW reports its actions, and Codette reads its workflow."
        return HabitAnswer((line,), (), (), False)
    if workflow.stats.n_actions == 0:
        line = "This session has no DAW actions yet (POST .../context with an action): nothing to read."
        return HabitAnswer((line,), (), (), False)
    lines = [
        f"In this session you work {workflow.pattern.replace('_', '-')} "
        f"(efficiency {100 * workflow.efficiency:.0f}% over {workflow.stats.n_actions} actions): "
        f"{'; '.join(workflow.reasons)}."
    ]
    if workflow.tips:
        lines.append("To work faster: " + " ".join(workflow.tips))
    else:
        lines.append("Nothing slows you down in the actions so far; keep working in passes.")
    evidence = (
        Evidence("workflow.pattern", workflow.pattern, f"pattern {workflow.pattern}"),
        Evidence("workflow.efficiency", workflow.efficiency, f"efficiency {workflow.efficiency:.2f}"),
    )
    return HabitAnswer(tuple(lines), evidence, (), True)


def merge(habit: HabitAnswer, answer: Mapping[str, Any], *, intent: str) -> dict[str, Any]:
    """An Ask answer (``Answer.to_dict()``) with the habit part first."""
    out = dict(answer)
    out["answer"] = " ".join([*habit.lines, str(answer.get("answer") or "")]).strip()
    out["intent"] = intent
    out["evidence"] = [*(e.to_dict() for e in habit.evidence), *answer.get("evidence", [])]
    ids: Sequence[str] = answer.get("suggestions") or []
    out["suggestions"] = list(dict.fromkeys([*habit.suggestion_ids, *ids]))
    out["grounded"] = bool(answer.get("grounded")) or habit.grounded
    return out
