"""python -m client preview SUGGESTION_ID... --url URL --token TOKEN [--session ID] [--out DIR] [--json]

Renders suggested moves on the server and measures them before and after: one suggestion on its own
track (POST /api/v1/suggestions/<id>/preview), or, with ``--session``, a set of moves across the
session's tracks at once (POST /api/v1/sessions/<id>/preview). Prints whether the moves resolved what
they cite, the figures before and after, and any side effect; ``--out`` saves the loudness-matched
before/after excerpts as WAV files to listen to. The ids are the ones ``python -m client session``
prints. Same exit codes as ``analyze``: 0 done, 1 the preview failed, 2 usage or connection errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from client.files import read_token
from client.library import Codette
from client.rest import ClientError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _figure(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else "-"


def report(result: dict[str, Any], *, saved: list[Path]) -> str:
    """The preview as text for a terminal: the verdict, the figures before -> after, the side
    effects and the excerpts."""
    ids = result.get("suggestion_ids") or [result.get("suggestion_id")]
    tracks = result.get("track_ids") or [result.get("track_id")]
    verdict = "resolved" if result.get("resolved") else "not resolved"
    if not result.get("resolved") and result.get("improved"):
        verdict += " (most of the way there)"
    lines = [f"preview of {', '.join(map(str, ids))} on {', '.join(map(str, tracks))}: {verdict}"]
    before, after = result.get("before") or {}, result.get("after") or {}
    names = sorted(set(before) | set(after))
    width = max((len(n) for n in names), default=0)
    for name in names:
        lines.append(f"  {name:<{width}}  {_figure(before.get(name))} -> {_figure(after.get(name))}")
    effects = result.get("side_effects") or []
    lines.append("side effects: " + ("none" if not effects else ""))
    lines += [f"  {e.get('message', e.get('code'))}" for e in effects]
    audio = result.get("audio") or {}
    if audio:
        matched = (
            f", loudness-matched (the after excerpt {audio.get('match_gain_db', 0):+.1f} dB)"
            if audio.get("loudness_matched")
            else ""
        )
        where = f"; saved as {', '.join(str(p) for p in saved)}" if saved else "; --out DIR saves them"
        span = f"{_figure(audio.get('duration_s'))} s from {_figure(audio.get('start_s'))} s"
        lines.append(f"excerpts: {span}{matched}{where}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        token = read_token(args.token, args.token_file)
    except OSError as exc:
        print(f"codette: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.session is None and len(args.ids) > 1:
        print("codette: several suggestions are previewed together with --session ID", file=sys.stderr)
        return EXIT_USAGE
    codette = Codette(args.url, token)
    saved: list[Path] = []
    try:
        if args.session is not None:
            job_id = codette.session(args.session).preview(args.ids)
        else:
            job_id = codette.preview_suggestion(args.ids[0])
        job = codette.wait_for_job(job_id, timeout_s=args.timeout)
        if job["status"] != "done":
            error = job.get("error") or {}
            print(
                f"codette: the preview failed: {error.get('message')} ({error.get('code')})", file=sys.stderr
            )
            return EXIT_FAILED
        if args.out is not None and (job.get("result") or {}).get("audio"):
            args.out.mkdir(parents=True, exist_ok=True)
            for which in ("before", "after"):
                path = args.out / f"{job_id}-{which}.wav"
                path.write_bytes(codette.preview_audio(job_id, which))
                saved.append(path)
    except ClientError as exc:
        print(f"codette: {exc.message} ({exc.code})", file=sys.stderr)
        return EXIT_FAILED if exc.code == "timeout" else EXIT_USAGE
    except OSError as exc:
        print(f"codette: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        codette.close()
    if args.json:
        print(json.dumps(job))
    else:
        print(report(job.get("result") or {}, saved=saved))
    return EXIT_OK
