"""The embedded command line: ``python -m core analyze FILE... [--json]``, ``python -m core compare A B``.

analyze
    Analyses each file in turn. With ``--json``, prints exactly one JSON object per input file, one
    per line, in input order: ``{"file": PATH, "analysis": {...}}`` (TrackAnalysis.to_dict), or
    ``{"file": PATH, "error": {"code": ..., "message": ...}}`` when that file cannot be analysed.
    Without ``--json``, a readable summary per file. A bad file never stops the others.
compare
    Analyses A and B and prints the differences B - A (A is the reference) and their similarity
    (core.compare); ``--json`` prints one object ``{"a": PATH, "b": PATH, "comparison": {...}}``.

Errors: a core.errors.CodetteError becomes that file's ``error`` object (its stable code); any other
exception is a bug: its traceback goes to stderr and the file gets code ``internal_error``.
A progress bar goes to stderr (never stdout) when several files are analysed and stderr is a
terminal, or when ``--progress`` is given.

Exit status: 0 every file analysed; 1 at least one file failed; 2 usage error (bad arguments or
settings).
"""

from __future__ import annotations

import os

# One BLAS thread per process, set before numpy loads: the analysis's matrix products are small,
# and OpenBLAS's thread pool stalls them for milliseconds when the cores are busy (and worker pools
# already run one process per core). An explicit setting in the environment wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import ctypes
import functools
import json
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from config import SettingsError, load_settings
from core.analysis import AnalysisParams, analyze
from core.cli_report import format_analysis, format_comparison
from core.compare import compare_tracks
from core.errors import CodetteError, InvalidAudio
from core.results import TrackAnalysis

#: glibc's mallopt parameters (malloc.h) and the values set for this process: arrays up to 32 MiB
#: come from the heap instead of fresh mmap'd pages, and freed memory is kept for the next block.
#: The analysis allocates and frees the same few-megabyte temporaries for every block; by default
#: each is a new mapping whose pages fault in again: ~0.2 s of system time on a 3-minute file
#: (a quarter of the process's CPU), ~0.05-0.1 s with these. Peak memory barely moves (the same
#: arrays are alive at once): 73 -> 77 MB on that file.
MALLOPT = ((-3, 32 << 20), (-1, 256 << 20), (-2, 16 << 20))  # M_MMAP_THRESHOLD, M_TRIM_THRESHOLD, M_TOP_PAD


def keep_freed_memory() -> None:
    """Apply MALLOPT where the C library has mallopt (glibc); elsewhere nothing changes."""
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the symbols already loaded: the C library's among them
    except (OSError, AttributeError):
        return
    for param, value in MALLOPT:
        mallopt(param, value)


EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
INTERNAL_ERROR = "internal_error"


class Progress:
    """A one-line ``\\r`` progress bar on a text stream (stderr); silent when disabled."""

    def __init__(self, stream: TextIO, *, total: int, enabled: bool, width: int = 30) -> None:
        self.stream, self.total, self.enabled, self.width = stream, total, enabled, width

    def show(self, index: int, fraction: float, label: str) -> None:
        if not self.enabled:
            return
        done = (index + min(max(fraction, 0.0), 1.0)) / self.total
        filled = int(done * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {100 * done:5.1f} % {index + 1}/{self.total} {label[:40]:<40}")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * (self.width + 60) + "\r")
            self.stream.flush()


def _dumps(obj: Any) -> str:
    return json.dumps(obj, allow_nan=False, separators=(",", ":"))


def _analyse_one(
    path: str, params: AnalysisParams, on_progress: Callable[[float, str], None]
) -> tuple[TrackAnalysis | None, dict[str, str] | None]:
    """(result, None) or (None, error dict); never raises for a bad file."""
    if not Path(path).is_file():
        what = "does not exist" if not Path(path).exists() else "is not a regular file"
        return None, InvalidAudio(f"{path} {what}").to_dict()
    try:
        return analyze(path, params=params, on_progress=on_progress), None
    except CodetteError as exc:
        return None, exc.to_dict()
    except Exception as exc:  # a bug: report it for this file, keep going with the others
        traceback.print_exc(file=sys.stderr)
        return None, {"code": INTERNAL_ERROR, "message": f"{type(exc).__name__}: {exc}"}


def _report(progress: Progress, index: int, path: str, fraction: float, stage: str) -> None:
    progress.show(index, fraction, path)


def cmd_analyze(args: argparse.Namespace, params: AnalysisParams) -> int:
    files: list[str] = args.files
    enabled = args.progress if args.progress is not None else (len(files) > 1 and sys.stderr.isatty())
    progress = Progress(sys.stderr, total=len(files), enabled=enabled)
    failed = 0
    for index, path in enumerate(files):
        progress.show(index, 0.0, path)
        result, error = _analyse_one(path, params, functools.partial(_report, progress, index, path))
        progress.close()  # clear the bar before writing to stdout (they share a terminal)
        if error is not None:
            failed += 1
            if args.json:
                print(_dumps({"file": path, "error": error}), flush=True)
            else:
                print(f"{path}: error [{error['code']}] {error['message']}\n", flush=True)
            continue
        assert result is not None
        if args.json:
            print(_dumps({"file": path, "analysis": result.to_dict()}), flush=True)
        else:
            print(format_analysis(result) + "\n", flush=True)
    return EXIT_FAILED if failed else EXIT_OK


def cmd_compare(args: argparse.Namespace, params: AnalysisParams) -> int:
    results: list[TrackAnalysis] = []
    errors: dict[str, dict[str, str]] = {}
    for path in (args.a, args.b):
        result, error = _analyse_one(path, params, lambda f, stage: None)
        if error is not None:
            errors[path] = error
        else:
            assert result is not None
            results.append(result)
    if errors:
        for path, error in errors.items():
            if args.json:
                print(_dumps({"file": path, "error": error}), flush=True)
            else:
                print(f"{path}: error [{error['code']}] {error['message']}", flush=True)
        return EXIT_FAILED
    comparison = compare_tracks(results[0], results[1])
    if args.json:
        print(_dumps({"a": args.a, "b": args.b, "comparison": comparison.to_dict()}), flush=True)
    else:
        print(format_comparison(comparison), flush=True)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core",
        description="Analyse audio files the way Codette's engine does (no server needed).",
        epilog="Exit status: 0 all files analysed, 1 some file failed, 2 usage error.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    analyze_p = sub.add_parser("analyze", help="analyse one or more files")
    analyze_p.add_argument("files", nargs="+", metavar="FILE")
    analyze_p.add_argument("--json", action="store_true", help="one JSON object per file per line")
    analyze_p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: with several files on a terminal)",
    )
    analyze_p.set_defaults(run=cmd_analyze)
    compare_p = sub.add_parser("compare", help="compare B against the reference A")
    compare_p.add_argument("a", metavar="A")
    compare_p.add_argument("b", metavar="B")
    compare_p.add_argument("--json", action="store_true", help="one JSON object")
    compare_p.set_defaults(run=cmd_compare)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    keep_freed_memory()
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"python -m core: {exc}", file=sys.stderr)
        return EXIT_USAGE
    run: Callable[[argparse.Namespace, AnalysisParams], int] = args.run
    return run(args, AnalysisParams(max_duration_s=settings.max_duration_s))


if __name__ == "__main__":
    sys.exit(main())
