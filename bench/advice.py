"""Does the advice fix what is wrong? Inject known mix errors, one stem at a time, and check.

For each clean session (sessions-dev when present, plus seeded synthetic ones) and each error kind
(bench/advice_errors.py), one stem is perturbed; the session step runs as the service runs it
(core.session.analyze_session on every stem's analysis) and its suggestions are ranked as
``GET /api/v1/sessions/<id>/suggestions?limit=3`` ranks them for a new user (core.ranking.rank,
no context, no profile, the exploration draw seeded per session). Then:

- detection: one of the top 3 targets the perturbed stem with a move that answers the error;
- repair: rendering that suggestion (core.render) brings the injected deviation >= 60 % back;
- harm: a repair, or a top-3 suggestion on a clean session, whose render has side effects
  (core.verify: a new quality issue, new overs or clipping, a loudness shift, new urgent advice).

The naive peer in the same run: "cut 3 dB where the stem's band share is highest", on the three
stems whose highest band share is largest. Also timed: a preview (render + re-analysis +
verification) of one suggestion on a 3-minute stereo stem. Run: python -m bench advice
(CODETTE_ADVICE_SESSIONS=n limits the dev sessions, CODETTE_ADVICE_SYNTHETIC=n the synthetic ones,
CODETTE_ADVICE_VET=1 adds the vetted ranking's column, several minutes per session).
"""

from __future__ import annotations

import os
import sys
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.advice_errors import KINDS, Injection, fraction_back, inject, seeded_plan  # noqa: E402
from bench.advice_sessions import Session, dev_sessions, synthetic_session  # noqa: E402
from core.analysis import analyze  # noqa: E402
from core.bands import BANDS  # noqa: E402
from core.ranking import rank  # noqa: E402
from core.render import is_renderable, render_suggestion  # noqa: E402
from core.results import TrackAnalysis  # noqa: E402
from core.session import analyze_session  # noqa: E402
from core.session.tempo import mix_tempo  # noqa: E402
from core.suggestions.model import Suggestion, make_suggestion  # noqa: E402
from core.verify import compare_analyses, verify_suggestion, vet_session  # noqa: E402

TOP = 3
#: Side effects that are new advice (a new first-rank move, a new masking clash), not a quality
#: threshold crossed: reported to the user, not counted as harm.
ADVICE_EFFECTS = ("new_advice_", "new_masking:")
#: Also rank after core.verify.vet_session (slow: every renderable suggestion of every perturbed
#: session is rendered and re-analysed): CODETTE_ADVICE_VET=1.
VET = os.environ.get("CODETTE_ADVICE_VET", "0") == "1"
REPAIR_FRACTION = 0.6


@dataclass
class Outcome:
    detected: bool = False
    repaired: bool | None = None  # None: not renderable (e.g. declip)
    harmed: bool = False
    fraction: float | None = None
    rank_text: str = ""


def _octaves(a: float, b: float) -> float:
    return abs(float(np.log2(a / b)))


def answers(s: Suggestion, inj: Injection) -> bool:
    """Does ``s`` target the perturbed stem with a move that answers the injected error?"""
    if s.target.track_id != inj.track_id:
        return False
    p = s.parameters
    f = p.get("freq_hz")
    g = p.get("gain_db")
    if inj.kind == "gain_up":
        return s.type == "gain" and isinstance(g, float | int) and g < 0
    if inj.kind == "gain_down":
        return s.type == "gain" and isinstance(g, float | int) and g > 0
    if inj.kind in ("mud", "harshness", "masking"):
        assert inj.freq_hz is not None
        return s.type == "eq_cut" and isinstance(f, float | int) and _octaves(f, inj.freq_hz) <= 0.75
    if inj.kind == "sibilance":
        assert inj.freq_hz is not None
        return (
            s.type in ("de_ess", "eq_cut") and isinstance(f, float | int) and _octaves(f, inj.freq_hz) <= 1.0
        )
    if inj.kind == "rumble":
        return s.type == "high_pass" and isinstance(f, float | int) and f >= 35.0
    if inj.kind == "over_compression":
        return s.type == "compression" and p.get("action") == "reduce"
    if inj.kind == "clipping":
        return s.type == "cleanup" and p.get("process") == "declip"
    return False


def _doc(session: Session) -> dict[str, object]:
    return {
        "bpm": session.bpm,
        "tracks": [{"track_id": s.track_id, "name": s.track_id, "type": s.type} for s in session.stems],
    }


def top_suggestions(
    session: Session,
    analyses: dict[str, TrackAnalysis],
    *,
    audio: dict[str, tuple[np.ndarray, int]] | None = None,
    limit: int = TOP,
) -> tuple[Suggestion, ...]:
    """The session's top 3 as the suggestions route ranks them for a new user.

    With ``audio`` (track_id -> (y, sr)), after core.verify.vet_session: what the service stores
    once it vets advice before storing it (moves that do not prove themselves are demoted/dropped).
    """
    result = analyze_session(_doc(session), analyses)
    if audio is not None:
        result, _ = vet_session(_doc(session), audio, analyses, result)
    found = [s for t in result.tracks for s in t.suggestions]
    seed = zlib.crc32(session.name.encode())
    ranked = rank(
        found, context=None, profile=None, population=None, rng=np.random.default_rng(seed), limit=limit
    )
    return tuple(r.suggestion for r in ranked)  # type: ignore[misc]


def naive_peer(session: Session, analyses: dict[str, TrackAnalysis]) -> tuple[Suggestion, ...]:
    """Cut 3 dB where each stem's band share is highest, on the three stems with the largest share."""
    picks = []
    for stem in session.stems:
        bands = analyses[stem.track_id].spectrum.bands
        best = max(bands, key=lambda b: b.share)
        centre = next(b.centre_hz for b in BANDS if b.name == best.name)
        s = make_suggestion(
            "eq_cut",
            track_id=stem.track_id,
            track_type=stem.type,
            band=best.name,
            parameters={"freq_hz": centre, "gain_db": -3.0, "q": 1.0},
            priority=3,
            confidence=0.5,
            reason="naive peer",
        )
        picks.append((best.share, s))
    picks.sort(key=lambda x: -x[0])
    return tuple(s for _, s in picks[:TOP])


def _render_check(
    s: Suggestion,
    inj: Injection,
    clean: np.ndarray,
    pert: np.ndarray,
    sr: int,
    before: TrackAnalysis,
    ttype: str,
) -> Outcome:
    p = s.parameters
    move = f"{s.type} {p.get('freq_hz', '')} Hz {p.get('gain_db', '')} dB q{p.get('q', '')}"
    out = Outcome(detected=True, rank_text=f"{move} against {inj.gain_db:+g} dB at {inj.freq_hz or 0:.0f} Hz")
    if not is_renderable(s):
        return out
    rendered = render_suggestion(pert, sr, s)
    out.fraction = fraction_back(inj, clean, pert, rendered, sr)
    out.repaired = out.fraction >= REPAIR_FRACTION
    after = analyze((rendered, sr), name=s.target.track_id)
    verdict = compare_analyses(s, before, after, track_type=ttype)
    out.harmed = bool([e for e in verdict.side_effects if not e.code.startswith(ADVICE_EFFECTS)])
    return out


def run_case(
    session: Session, clean_analyses: dict[str, TrackAnalysis], inj: Injection, rng: np.random.Generator
) -> tuple[Outcome, Outcome, Outcome]:
    """(the route's top 3 today, the vetted top 3, the naive peer) on one perturbed session."""
    stem = next(s for s in session.stems if s.track_id == inj.track_id)
    pert = inject(stem.y, session.sr, inj, rng)
    a_pert = analyze((pert, session.sr), name=stem.track_id)
    analyses = {**clean_analyses, stem.track_id: a_pert}
    audio = {s.track_id: (s.y, session.sr) for s in session.stems}
    audio[stem.track_id] = (pert, session.sr)
    results = []
    pickers = (
        top_suggestions,
        (lambda sess, an: top_suggestions(sess, an, audio=audio)) if VET else None,
        naive_peer,
    )
    for pick in pickers:
        if pick is None:
            results.append(Outcome(rank_text="(not vetted)"))
            continue
        top = pick(session, analyses)
        hit = next((s for s in top if answers(s, inj)), None)
        if hit is None:
            text = "; ".join(f"{s.type}@{s.target.track_id}" for s in top)
            if pick is top_suggestions:
                full = top_suggestions(session, analyses, limit=50)
                at = next((i for i, s in enumerate(full) if answers(s, inj)), None)
                text += f" (answer {'absent' if at is None else f'at rank {at + 1} of {len(full)}'})"
            results.append(Outcome(rank_text=text))
            continue
        results.append(_render_check(hit, inj, stem.y, pert, session.sr, a_pert, stem.type))
    return results[0], results[1], results[2]


def clean_harm(
    session: Session, analyses: dict[str, TrackAnalysis], *, vetted: bool
) -> tuple[int, int, list[str]]:
    """(top-3 count, harmful count, descriptions) on the unperturbed session."""
    audio = {s.track_id: (s.y, session.sr) for s in session.stems} if vetted else None
    top = top_suggestions(session, analyses, audio=audio)
    harmful, text = 0, []
    stems = {s.track_id: s for s in session.stems}
    for s in top:
        stem = stems[s.target.track_id]
        verdict = None
        if is_renderable(s):
            verdict, _ = verify_suggestion(
                stem.y, session.sr, s, track_type=stem.type, before=analyses[stem.track_id]
            )
        bad = verdict is not None and any(not e.code.startswith(ADVICE_EFFECTS) for e in verdict.side_effects)
        harmful += int(bad)
        gain = s.parameters.get("gain_db")
        text.append(
            f"{s.type}{'' if gain is None else f' {gain:+}'}@{s.target.track_id}{' HARM' if bad else ''}"
        )
    return len(top), harmful, text


def preview_speed(session: Session) -> tuple[float, float]:
    """Seconds for one preview on a 3-minute stereo stem: (with the cached analysis, from scratch)."""
    stem = max(session.stems, key=lambda s: s.type == "keys")
    reps = int(np.ceil(180 * session.sr / stem.y.shape[1]))
    y = np.tile(stem.y, (1, reps))[:, : 180 * session.sr]
    s = make_suggestion(
        "eq_cut", track_id=stem.track_id, track_type=stem.type, band="low_mid",
        parameters={"freq_hz": 320.0, "gain_db": -6.0, "q": 1.0}, priority=3, confidence=0.5, reason="speed",
    )  # fmt: skip
    t0 = time.perf_counter()
    before = analyze((y, session.sr), name=stem.track_id)
    t1 = time.perf_counter()
    verify_suggestion(y, session.sr, s, track_type=stem.type, before=before)
    t2 = time.perf_counter()
    return t2 - t1, t2 - t0


def _pct(n: int, d: int) -> str:
    return "-" if d == 0 else f"{n}/{d} {100 * n / d:.0f}%"


def main() -> None:
    n_dev = int(os.environ.get("CODETTE_ADVICE_SESSIONS", "12"))
    n_syn = int(os.environ.get("CODETTE_ADVICE_SYNTHETIC", "3"))
    sessions = list(dev_sessions(n_dev)) if n_dev > 0 else []
    if not sessions:
        print("sessions-dev absent or skipped: synthetic sessions only")
    sessions += [synthetic_session(seed) for seed in range(n_syn)]
    if not sessions:
        print("no sessions: nothing to measure")
        return
    ours: dict[str, list[Outcome]] = defaultdict(list)
    vetted: dict[str, list[Outcome]] = defaultdict(list)
    peer: dict[str, list[Outcome]] = defaultdict(list)
    misses: dict[str, list[str]] = defaultdict(list)
    clean = {False: [0, 0], True: [0, 0]}
    tempo_right: dict[str, list[str]] = {"votes": [], "sum": []}
    t0 = time.perf_counter()
    for index, session in enumerate(sessions):
        analyses = {s.track_id: analyze((s.y, session.sr), name=s.track_id) for s in session.stems}
        # no tempo declared: the stems' own votes, and the stems' sum as the session job hears it
        summed = mix_tempo((s.y, session.sr, 0.0) for s in session.stems)
        for how, heard_tempo in (("votes", None), ("sum", summed)):
            heard = analyze_session({**_doc(session), "bpm": None}, analyses, heard_tempo=heard_tempo).bpm
            if heard is not None and abs(np.log2(heard / session.bpm)) <= np.log2(1.04):
                tempo_right[how].append(session.name)
            else:
                print(f"  {session.name} session tempo from the {how}: {heard} (labelled {session.bpm:g})")
        for v in (False, True) if VET else (False,):
            n, bad, text = clean_harm(session, analyses, vetted=v)
            clean[v][0] += n
            clean[v][1] += bad
            label = "vetted" if v else "route "
            print(f"  {session.name} clean top-{TOP} {label}: {', '.join(text) or '(none)'}", flush=True)
        tracks = [(s.track_id, s.type) for s in session.stems]
        for kind in KINDS:
            inj, rng = seeded_plan(session.name, kind, index=index, tracks=tracks)
            if inj is None:
                continue
            o, ov, p = run_case(session, analyses, inj, rng)
            ours[kind].append(o)
            vetted[kind].append(ov)
            peer[kind].append(p)
            if not o.detected:
                misses[kind].append(f"{session.name}/{inj.track_id}: {o.rank_text}")
            if o.repaired is False:
                misses[f"{kind} repair"].append(
                    f"{session.name}/{inj.track_id}: {o.rank_text}, {o.fraction:.2f} back"
                )
            if VET and not ov.detected:
                misses[f"{kind} (vetted)"].append(f"{session.name}/{inj.track_id}: {ov.rank_text}")
    elapsed = time.perf_counter() - t0
    print(
        f"\n{len(sessions)} sessions, {elapsed:.0f} s; detection = top-{TOP} names the stem and the move; "
        f"repair = render brings >= {100 * REPAIR_FRACTION:.0f}% back (of detected, renderable); "
        f"harm = side effects"
    )
    header = (
        f"{'error':<17}|{'route detect':>14}{'repair':>12}{'harm':>5} |{'vetted detect':>14}"
        f"{'repair':>12}{'harm':>5} |{'peer detect':>13}{'repair':>10}{'harm':>5}"
    )
    print(header)
    print("-" * len(header))
    for kind in KINDS:
        row = []
        for outcomes in (ours[kind], vetted[kind], peer[kind]):
            det = [o for o in outcomes if o.detected]
            rend = [o for o in det if o.repaired is not None]
            fixed = [o for o in rend if o.repaired]
            harm = sum(o.harmed for o in det)
            repair = _pct(len(fixed), len(rend)) if rend else ("n/a" if det else "-")
            row.append((_pct(len(det), len(outcomes)), repair, str(harm)))
        (d, r, h), (vd, vr, vh), (pd, pr, ph) = row
        if not VET:
            vd, vr, vh = "not run", "", ""
        print(f"{kind:<17}|{d:>14}{r:>12}{h:>5} |{vd:>14}{vr:>12}{vh:>5} |{pd:>13}{pr:>10}{ph:>5}")
    for v, label in ((False, "route"), (True, "vetted")):
        n, bad = clean[v]
        print(f"clean sessions ({label}): {n} top-{TOP} suggestions, {bad} with side effects when rendered")
    n_sum, n_votes = len(tempo_right["sum"]), len(tempo_right["votes"])
    print(
        f"session tempo with none declared, within 4 % of the label: {n_sum}/{len(sessions)} heard in "
        f"the stems' sum (what the session job uses), {n_votes}/{len(sessions)} from the stems' own votes"
    )
    for kind, lines in misses.items():
        for line in lines:
            print(f"  missed {kind}: {line}")
    warm, cold = preview_speed(sessions[0])
    print(
        f"preview of one suggestion, 3-min stereo stem: {warm:.2f} s (analysis cached), "
        f"{cold:.2f} s (from scratch)"
    )


if __name__ == "__main__":
    main()
