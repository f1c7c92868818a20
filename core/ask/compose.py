"""Composing the answer text from the question, the retrieved knowledge and the grounding.

Order: the verdict from the measurements (when a session was given), the fix with the parameters
of Codette's own suggestions, then the general knowledge (the best entry's text). Without a
session the answer is the knowledge alone, with a pointer to analyse the session.
"""

from __future__ import annotations

from core.ask.facts import Advice, SessionFacts
from core.ask.grounding import Grounding
from core.ask.retrieve import Hit
from core.ask.understand import Intent, Question

#: How each suggestion parameter reads in a sentence (format, with the value as {v}).
PARAMETER_TEXT: dict[str, str] = {
    "freq_hz": "at {v:.0f} Hz", "gain_db": "{v:+.1f} dB", "q": "Q {v:.1f}", "ratio": "ratio {v:.1f}:1",
    "threshold_db": "threshold {v:.1f} dB", "attack_ms": "attack {v:.0f} ms",
    "release_ms": "release {v:.0f} ms",
    "time_ms": "{v:.0f} ms", "pre_delay_ms": "pre-delay {v:.0f} ms", "decay_s": "decay {v:.1f} s",
    "send_db": "send {v:.0f} dB", "ceiling_dbtp": "ceiling {v:.1f} dBTP",
    "slope_db_per_octave": "{v:.0f} dB/oct", "mono_below_hz": "mono below {v:.0f} Hz",
    "drive_db": "drive {v:.1f} dB", "mix_pct": "mix {v:.0f} %", "feedback_pct": "feedback {v:.0f} %",
    "width": "width {v:.2f}", "note": "{v} note", "process": "{v}", "action": "{v}",
}  # fmt: skip
TYPE_TEXT: dict[str, str] = {
    "eq_cut": "EQ cut", "eq_boost": "EQ boost", "high_pass": "high-pass", "low_pass": "low-pass",
    "compression": "compression", "limiting": "limiter", "gain": "gain", "de_ess": "de-esser",
    "saturation": "saturation", "reverb": "reverb", "delay": "delay", "stereo_width": "stereo width",
    "phase_fix": "phase fix", "cleanup": "cleanup",
}  # fmt: skip
MAX_FIXES = 4


def advice_text(advice: Advice, facts: SessionFacts) -> str:
    parts = []
    for key, value in advice.parameters.items():
        fmt = PARAMETER_TEXT.get(key)
        if fmt is None:
            continue
        parts.append(fmt.format(v=value) if isinstance(value, int | float) or fmt == "{v}" else str(value))
    where = f" in the {advice.band.replace('_', ' ')} band" if advice.band and advice.type == "eq_cut" else ""
    label = TYPE_TEXT.get(advice.type, advice.type)
    return f"{label} on '{facts.name(advice.track_id)}'{where}: {', '.join(parts)}".rstrip(": ")


def _clause(text: str) -> str:
    """A sentence as a clause after "; " or "; and ": "The mix's low mids ..." -> "the mix's low mids ...".

    Only a capitalised plain word is lowered: quoted track names, "LUFS", "EQ" or a number stay.
    """
    word = text.split(" ", 1)[0]
    return text[0].lower() + text[1:] if word.isalpha() and word[0].isupper() and word[1:].islower() else text


def _join(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    rest = [_clause(i) for i in items[1:]]
    return "; ".join([items[0], *rest[:-1]]) + "; and " + rest[-1]


def compose(
    question: Question,
    hits: list[Hit],
    *,
    grounding: Grounding | None,
    facts: SessionFacts | None,
    session_note: str | None = None,
) -> str:
    """The answer in plain words."""
    lines: list[str] = []
    if grounding is not None and facts is not None:
        for f in grounding.findings:
            if f.shown:
                lines.append(
                    f"The measurements show {f.problem.label}: "
                    f"{_join([e.text.rstrip('.') for e in f.evidence[:4]])}."
                )
            elif f.evidence:
                lines.append(
                    f"The measurements do not show {f.problem.label}: "
                    f"{_join([e.text.rstrip('.') for e in f.evidence[:4]])}."
                )
            else:
                lines.append(
                    f"The measurements do not show {f.problem.label}: "
                    f"Codette checked {_join(list(f.checked))} "
                    f"and none of them points to it."
                )
        for e in grounding.evidence:
            lines.append(e.text[0].upper() + e.text[1:].rstrip(".") + ".")
        if grounding.advice:
            fixes = [advice_text(a, facts) for a in grounding.advice[:MAX_FIXES]]
            lines.append(f"Codette's suggestions for this session: {_join(fixes)}.")
        elif any(f.shown for f in grounding.findings):
            lines.append(
                "No suggestion of this session addresses it directly; the general advice below applies."
            )
    elif session_note:
        lines.append(session_note)
    if hits:
        best = hits[0].entry
        lead = "If you still hear it: " if grounding and grounding.findings and not any(
            f.shown for f in grounding.findings) else ""  # fmt: skip
        lines.append(lead + best.text)
        if question.intent is not Intent.EXPLAIN and len(hits) > 1:
            lines.append(f"See also: {hits[1].entry.title}.")
    if grounding is None and facts is None and not session_note and question.entities.problems:
        lines.append("Give a session_id to check this against your session's measurements.")
    return " ".join(lines)
