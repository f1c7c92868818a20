"""python -m client analyze FOLDER_OR_FILES --url URL --token TOKEN [--json] [--no-live]
python -m client session FOLDER --url URL --token TOKEN [--bpm N] [--genre G] [--limit 5] [--json]
python -m client preview SUGGESTION_ID... --url URL --token TOKEN [--session ID] [--out DIR] [--json]
python -m client feedback SUGGESTION_ID KIND --url URL --token TOKEN [--rating N] [--set NAME=VALUE]

``session`` analyses a folder of stems as one session (client/session_cli.py); ``preview`` renders
suggested moves and measures them before and after (client/preview_cli.py); ``feedback`` records
what you did with one (client/feedback_cli.py). ``analyze``:

Hashes audio files, uploads only those the server does not have from you yet (sha256), queues their
analyses on a running Codette server, shows a progress bar per file on stderr (live over
Socket.IO, else REST polling) and prints a summary table (or JSON lines with --json) on stdout.
Exit status: 0 when every file was analysed, 1 when any failed or timed out, 2 on usage, connection
or authentication errors.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from client import feedback_cli, preview_cli, session_cli
from client.files import NoAudioFiles, collect_audio, read_token
from client.library import Codette
from client.progress import ProgressView
from client.rest import ClientError
from client.summary import Row, row_from_result, table
from client.tracker import Tracker
from client.watch import wait

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m client", description="Codette command-line client")
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("analyze", help="upload files or folders of stems and summarise their analyses")
    _common(a)
    a.add_argument("--json", action="store_true", help="print one JSON object per file instead of a table")
    a.add_argument("--no-live", action="store_true", help="poll over REST instead of listening on Socket.IO")
    a.add_argument(
        "--no-guess-types",
        action="store_true",
        help="send every file untyped (default: guess kick, bass, vocals, ... from the file name)",
    )
    s = sub.add_parser(
        "session",
        help="analyse a folder of stems as one session: mix issues and the top suggestions",
    )
    _common(s)
    s.add_argument("--id", help="the session id (default: the folder's name)")
    s.add_argument("--bpm", type=float, help="the session's tempo (default: heard from the stems)")
    s.add_argument("--genre", help="the genre whose tonal target judges the mix (default: detected)")
    s.add_argument("--platform", help="the loudness target, e.g. spotify, apple_music (default: spotify)")
    s.add_argument("--limit", type=int, default=5, help="suggestions to print (default %(default)s)")
    s.add_argument("--json", action="store_true", help="print the session job and suggestions as JSON")
    v = sub.add_parser(
        "preview",
        help="render suggested moves (ids from `session`) and measure them before and after",
    )
    v.add_argument("ids", nargs="+", metavar="SUGGESTION_ID")
    _connection(v)
    v.add_argument("--session", help="preview the moves together in this session (several ids)")
    v.add_argument("--out", type=Path, help="save the before/after excerpts (WAV) in this folder")
    v.add_argument("--json", action="store_true", help="print the preview job as JSON")
    f = sub.add_parser("feedback", help="record what you did with a suggestion, so the ranking learns it")
    f.add_argument("id", metavar="SUGGESTION_ID")
    f.add_argument("kind", choices=feedback_cli.KINDS)
    _connection(f)
    f.add_argument("--rating", type=int, help="1-5")
    f.add_argument("--comment")
    f.add_argument(
        "--set", action="append", metavar="NAME=VALUE", help="modified: a parameter you chose (repeatable)"
    )
    return p


def _common(a: argparse.ArgumentParser) -> None:
    a.add_argument("paths", nargs="+", metavar="FOLDER_OR_FILE")
    _connection(a)


def _connection(a: argparse.ArgumentParser) -> None:
    a.add_argument("--url", default="http://127.0.0.1:5000", help="the server (default %(default)s)")
    tok = a.add_mutually_exclusive_group(required=True)
    tok.add_argument("--token", help="bearer token (visible to other local users in the process list)")
    tok.add_argument(
        "--token-file", type=Path, help="read the bearer token from this file (e.g. var/api-token)"
    )
    a.add_argument("--quiet", action="store_true", help="no progress on stderr")
    a.add_argument(
        "--timeout", type=float, default=1800.0, help="give up after this many seconds (default %(default)s)"
    )


def labels_of(files: Sequence[Path], batches: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Each job's name in the summary where file names repeat (a folder of sessions holds a dozen
    01_kick.ogg): its path under the files' common folder. Empty when every name is unique."""
    names = [p.name for p in files]
    jobs = [j["job_id"] for batch in batches for j in batch["jobs"]]
    if len(set(names)) == len(names) or len(jobs) != len(files):
        return {}
    root = Path(os.path.commonpath([p.parent for p in files]))
    return {job: p.relative_to(root).as_posix() for job, p in zip(jobs, files, strict=True)}


def rows_of(tracker: Tracker, labels: dict[str, str] | None = None) -> list[Row]:
    rows = []
    for job in tracker.snapshot():
        name = (labels or {}).get(job.job_id, job.name)
        if job.status == "done" and job.result is not None:
            rows.append(row_from_result(name, job.result, job_id=job.job_id))
        elif job.status == "failed":
            rows.append(
                Row(name, "failed", job.job_id, error=job.error or {"code": "failed", "message": "failed"})
            )
        else:
            rows.append(
                Row(
                    name,
                    "timeout",
                    job.job_id,
                    error={"code": "timeout", "message": f"still {job.status}"},
                )
            )
    return rows


def analyze(args: argparse.Namespace) -> int:
    view = ProgressView(sys.stderr, quiet=args.quiet)
    try:
        token = read_token(args.token, args.token_file)
        files = collect_audio(args.paths)
    except (OSError, NoAudioFiles) as exc:
        print(f"codette: {exc}", file=sys.stderr)
        return EXIT_USAGE
    codette = Codette(args.url, token)
    tracker = Tracker()
    labels: dict[str, str] = {}
    try:
        types = None if args.no_guess_types else codette.guess_types(files)
        if types is not None:
            guessed = sum(1 for t in types if t)
            view.note(f"track types guessed from file names for {guessed} of {len(files)} file(s)")
        sent = codette.send(files, track_types=types, note=view.note)
        view.note(
            f"{sent.uploaded} file(s) uploaded to {codette.api.base_url}, "
            f"{sent.reused} already there (sha256)"
        )
        labels = labels_of(files, sent.batches)
        for batch in sent.batches:
            tracker.add_batch(batch)
        finished = wait(codette.api, tracker, view, live=not args.no_live, timeout_s=args.timeout)
    except ClientError as exc:
        print(f"codette: {exc.message} ({exc.code})", file=sys.stderr)
        return EXIT_USAGE
    finally:
        codette.close()
    rows = rows_of(tracker, labels)
    if args.json:
        for row in rows:
            print(row.to_json())
    else:
        print(table(rows))
    if not finished:
        print(f"codette: gave up after {args.timeout:g} s", file=sys.stderr)
    return EXIT_OK if all(r.status == "done" for r in rows) else EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "session":
        return session_cli.run(args)
    if args.command == "preview":
        return preview_cli.run(args)
    if args.command == "feedback":
        return feedback_cli.run(args)
    return analyze(args)


if __name__ == "__main__":
    sys.exit(main())
