"""A drill, run by hand (not collected by pytest): a private stack (one worker with two processes, an
API), and per round a batch of 12 analyses with Redis stopped and started (or, with --freeze, also
frozen with SIGSTOP for 0.5-9 s) one to three times while it runs. Prints each round's outcome and
whether the worker process is still alive; stops at the first batch that does not finish within
120 s and prints the worker's log tail.

    .venv/bin/python -m tests.resilience.drill_redis_flaps --rounds 15 --seed 1
    .venv/bin/python -m tests.resilience.drill_redis_flaps --rounds 15 --seed 2 --freeze --visibility 3600

With kombu's stock Redis transport the worker stopped in 2 of 13 such rounds ("Unrecoverable error:
AttributeError", worker/broker.py). tests/resilience/test_redis_outage.py runs one short round in the
suite; this drill runs many, because the failure depends on timing.
"""

from __future__ import annotations

import argparse
import random
import signal
import tempfile
import time
from pathlib import Path

from tests.conftest import wav_bytes
from tests.resilience.calls import submit, wait_batch
from tests.resilience.stack import Stack, ensure_redis

FILES, SECONDS = 12, 45.0


def fault(stack: Stack, rng: random.Random, *, freeze: bool) -> str:
    assert stack.redis_proc is not None
    if freeze and rng.random() < 0.5:
        held = rng.uniform(0.5, 9.0)
        stack.redis_proc.send_signal(signal.SIGSTOP)
        time.sleep(held)
        stack.redis_proc.send_signal(signal.SIGCONT)
        return f"frozen {held:.1f} s"
    away = rng.uniform(0.3, 3.0)
    stack.stop_redis()
    time.sleep(away)
    stack.start_redis()
    return f"stopped {away:.1f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--visibility", type=int, default=15, help="the broker's visibility timeout (s)")
    parser.add_argument("--freeze", action="store_true", help="also freeze Redis (SIGSTOP) for 0.5-9 s")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    stack = Stack.create(
        Path(tempfile.mkdtemp(prefix="codette-drill-")), visibility_timeout_s=args.visibility
    )
    try:
        stack.start_worker("w1", concurrency=2)
        url = stack.start_api()
        for r in range(args.rounds):
            files = [
                (f"t{i}.wav", wav_bytes(seconds=SECONDS, seed=5000 + 20 * r + i, channels=1))
                for i in range(FILES)
            ]
            batch = submit(url, files)
            faults = []
            try:
                for _ in range(rng.choice([1, 1, 2, 3])):
                    time.sleep(rng.uniform(0.1, 1.5))
                    faults.append(fault(stack, rng, freeze=args.freeze))
            finally:
                ensure_redis(stack)
            started = time.monotonic()
            try:
                final = wait_batch(url, batch["batch_id"], timeout_s=120)
            except AssertionError as exc:
                alive = stack.workers["w1"].poll() is None
                print(f"round {r}: {', '.join(faults)}: NOT FINISHED, worker alive: {alive}: {exc}")
                print(stack.logs()[-6000:])
                return 1
            done = sum(j["status"] == "done" for j in final["jobs"])
            alive = stack.workers["w1"].poll() is None
            print(
                f"round {r}: {', '.join(faults)}: {done}/{FILES} done in {time.monotonic() - started:.1f} s"
                f" after Redis came back; worker alive: {alive}",
                flush=True,
            )
        return 0
    finally:
        stack.close()


if __name__ == "__main__":
    raise SystemExit(main())
