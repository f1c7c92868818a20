"""The issue's own check: five fixed errors, each injected into one stem of every session.

Issue 15 measured the advice on private 7-stem sessions with one known error each: keys +8 dB
(Q 1) at 320 Hz (mud) and at 3.2 kHz (harshness), the lead +10 dB (Q 2) at 7 kHz (sibilance), a
stem 8 dB too loud (here the keys) and the lead 10 dB too quiet. This runs those five on the same
sessions as ``python -m bench advice`` (sessions-dev when present, plus seeded synthetic ones) and
counts, per error and per subset, how often the route's top 3 (and, with CODETTE_ADVICE_VET=1, the
vetted top 3 the service stores) names the stem and the move, and how often rendering it brings
the deviation 60 % back (bench.advice.run_case). Run: python -m bench advice_issue
(CODETTE_ADVICE_SESSIONS / CODETTE_ADVICE_SYNTHETIC limit the sessions as for bench advice).
"""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.advice import VET, Outcome, run_case  # noqa: E402
from bench.advice_errors import Injection  # noqa: E402
from bench.advice_sessions import Session, dev_sessions, synthetic_session  # noqa: E402
from core.analysis import analyze  # noqa: E402

ERRORS = ("mud", "harshness", "sibilance", "gain_up", "gain_down")
#: Where each error goes: the first of these types the session has.
KEYS_TYPES = ("keys", "pad", "strings", "guitar")
LEAD_TYPES = ("vocals", "lead")


def _first(session: Session, types: tuple[str, ...]) -> tuple[str, str] | None:
    for wanted in types:
        for stem in session.stems:
            if stem.type == wanted:
                return stem.track_id, stem.type
    return None


def injections(session: Session) -> dict[str, Injection]:
    """The issue's five errors for ``session`` (those whose stem it has)."""
    out: dict[str, Injection] = {}
    keys, lead = _first(session, KEYS_TYPES), _first(session, LEAD_TYPES)
    if keys is not None:
        kid, ktype = keys
        out["mud"] = Injection("mud", kid, ktype, 8.0, 320.0, 1.0, (320 / 2**0.25, 320 * 2**0.25))
        out["harshness"] = Injection(
            "harshness", kid, ktype, 8.0, 3200.0, 1.0, (3200 / 2**0.25, 3200 * 2**0.25)
        )
        out["gain_up"] = Injection("gain_up", kid, ktype, gain_db=8.0)
    if lead is not None:
        lid, ltype = lead
        out["sibilance"] = Injection(
            "sibilance", lid, ltype, 10.0, 7000.0, 2.0, (7000 / 2 ** (1 / 6), 7000 * 2 ** (1 / 6))
        )
        out["gain_down"] = Injection("gain_down", lid, ltype, gain_db=-10.0)
    return out


def _cell(outcomes: list[Outcome]) -> str:
    if not outcomes:
        return "-"
    found = [o for o in outcomes if o.detected]
    rendered = [o for o in found if o.repaired is not None]
    fixed = sum(bool(o.repaired) for o in rendered)
    backs = [o.fraction for o in rendered if o.fraction is not None]
    least = f", least {min(backs):.2f} back" if backs else ""
    return f"{len(found)}/{len(outcomes)} (repair {fixed}/{len(rendered)}{least})"


def main() -> None:
    n_dev = int(os.environ.get("CODETTE_ADVICE_SESSIONS", "12"))
    n_syn = int(os.environ.get("CODETTE_ADVICE_SYNTHETIC", "3"))
    subsets: list[tuple[str, list[Session]]] = [
        ("sessions-dev", list(dev_sessions(n_dev)) if n_dev > 0 else []),
        ("synthetic", [synthetic_session(seed) for seed in range(n_syn)]),
    ]
    if not any(sessions for _, sessions in subsets):
        print("no sessions: nothing to measure")
        return
    results: dict[tuple[str, str, str], list[Outcome]] = defaultdict(list)
    misses: list[str] = []
    t0 = time.perf_counter()
    for subset, sessions in subsets:
        for session in sessions:
            analyses = {s.track_id: analyze((s.y, session.sr), name=s.track_id) for s in session.stems}
            for kind, inj in injections(session).items():
                route, vetted, _ = run_case(session, analyses, inj, np.random.default_rng(0))
                results[(subset, kind, "route")].append(route)
                if VET:
                    results[(subset, kind, "vetted")].append(vetted)
                for column, o in (("route", route), ("vetted", vetted)):
                    if not o.detected and (column == "route" or VET):
                        misses.append(f"{column} {kind}: {session.name}/{inj.track_id}: {o.rank_text}")
    print(f"\nthe issue's five errors, {time.perf_counter() - t0:.0f} s; found = in the top 3, named right")
    columns = ("route", "vetted") if VET else ("route",)
    header = f"{'error':<11}{'subset':<14}" + "".join(f"{c:>38}" for c in columns)
    print(header)
    print("-" * len(header))
    for kind in ERRORS:
        for subset, sessions in subsets:
            if sessions:
                cells = "".join(f"{_cell(results[(subset, kind, c)]):>38}" for c in columns)
                print(f"{kind:<11}{subset:<14}{cells}")
    for line in misses:
        print(f"  missed {line}")


if __name__ == "__main__":
    main()
