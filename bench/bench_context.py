"""Handling one context update in-process: p50/p99 over 10,000 realistic updates (budget: p99 < 5 ms).

Three measurements of the same seeded stream, in the same run:
  apply      apply_update on a validated update (the core fold)
  handle     ContextUpdate.from_dict(payload) + apply_update (what a Socket.IO handler calls)
  handle+io  handle, plus the JSON decode/encode of the state the service keeps in Redis (its peer)
  full-window  handle on a stream of 10 actions a second, so the window stays at MAX_ACTIONS
The stream is a session's life: play-head ticks, bursts of edits and fader moves (up to a full
action window), focus and selection changes, record and stop.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from core.context import ContextState, ContextUpdate, apply_update

N_UPDATES = 10_000
BUDGET_P99_MS = 5.0
SID = "bench-session"
ACTIONS = ("adjust_fader", "adjust_plugin", "cut", "trim", "move_clip", "zoom", "solo", "undo", "open_help")
FOCUS = ("mixer", "editor", "Pro-Q 3", "Pro-L 2 limiter", "Youlean Loudness Meter", "Valhalla Room", None)
TRACKS = ("vox", "drums", "bass", "keys", "master", None)


def stream(n: int, *, seed: int = 5) -> list[tuple[float, dict[str, Any]]]:
    rng = np.random.default_rng(seed)
    now, position, out = 0.0, 0.0, []
    for _ in range(n):
        burst = rng.random() < 0.3  # bursts of 5-20 actions per second fill the window (very_active)
        now += float(rng.uniform(0.05, 0.2) if burst else rng.exponential(0.5))
        position += 0.1
        r = rng.random()
        payload: dict[str, Any] = {"session_id": SID}
        if r < 0.45:
            payload["position_s"] = round(position, 3)
        elif r < 0.85:
            payload["action"] = ACTIONS[int(rng.integers(len(ACTIONS)))]
        elif r < 0.93:
            payload["focused"] = FOCUS[int(rng.integers(len(FOCUS)))]
            payload["selected_track"] = TRACKS[int(rng.integers(len(TRACKS)))]
        else:
            payload["transport"] = ("playing", "stopped", "recording")[int(rng.integers(3))]
            payload["armed_tracks"] = ["vox"] if payload["transport"] == "recording" else []
        out.append((now, payload))
    return out


def _measure(
    step: Callable[[Any, float, dict[str, Any]], Any],
    updates: list[tuple[float, dict[str, Any]]],
    initial: Any,
) -> tuple[float, float, float]:
    times = np.empty(len(updates), dtype=np.int64)
    state = initial
    for i, (now, payload) in enumerate(updates):
        t0 = time.perf_counter_ns()
        state = step(state, now, payload)
        times[i] = time.perf_counter_ns() - t0
    ms = times / 1e6
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99)), float(ms.max())


def _apply(parsed: dict[int, ContextUpdate]) -> Callable[[Any, float, dict[str, Any]], Any]:
    def step(state: ContextState | None, now: float, payload: dict[str, Any]) -> ContextState:
        return apply_update(state, parsed[id(payload)], now_s=now)[0]

    return step


def _handle(state: ContextState | None, now: float, payload: dict[str, Any]) -> ContextState:
    return apply_update(state, ContextUpdate.from_dict(payload), now_s=now)[0]


def _handle_io(text: str | None, now: float, payload: dict[str, Any]) -> str:
    state = ContextState.from_dict(json.loads(text)) if text is not None else None
    new, changes = apply_update(state, ContextUpdate.from_dict(payload), now_s=now)
    if changes:
        json.dumps({"changes": [c.to_dict() for c in changes], "state": new.state.value}, allow_nan=False)
    return json.dumps(new.to_dict(), allow_nan=False)


def _describe(updates: list[tuple[float, dict[str, Any]]], parsed: dict[int, ContextUpdate]) -> str:
    state: ContextState | None = None
    seen: dict[str, int] = {}
    longest = changed = 0
    for now, payload in updates:
        state, changes = apply_update(state, parsed[id(payload)], now_s=now)
        seen[state.activity.value] = seen.get(state.activity.value, 0) + 1
        longest = max(longest, len(state.actions))
        changed += bool(changes)
    levels = ", ".join(f"{k} {v}" for k, v in sorted(seen.items()))
    return f"activity {levels}; longest action window {longest}; {changed} updates published a change"


def main() -> None:
    updates = stream(N_UPDATES)
    parsed = {id(p): ContextUpdate.from_dict(p) for _, p in updates}
    _measure(_handle, updates[:500], None)  # warm-up
    rows = [
        ("apply", _measure(_apply(parsed), updates, None)),
        ("handle", _measure(_handle, updates, None)),
        ("handle+io", _measure(_handle_io, updates, None)),
    ]
    # worst case: an action every 0.1 s keeps the window at MAX_ACTIONS
    full = [(i * 0.1, {"session_id": SID, "action": ACTIONS[i % len(ACTIONS)]}) for i in range(N_UPDATES)]
    rows.append(("full-window", _measure(_handle, full, None)))
    final = updates[-1][0]
    print(f"{N_UPDATES} updates over {final:.0f} s of session time; budget p99 < {BUDGET_P99_MS} ms")
    print(f"  stream: {_describe(updates, parsed)}")
    base_p99 = rows[0][1][1]
    for name, (p50, p99, worst) in rows:
        print(
            f"  {name:<10} p50 {p50 * 1000:7.1f} us   p99 {p99 * 1000:7.1f} us   max {worst * 1000:8.1f} us"
            f"   p99/apply {p99 / base_p99:4.2f}   p99/budget {p99 / BUDGET_P99_MS:.4f}"
        )


if __name__ == "__main__":
    main()
