"""python -m client session FOLDER_OR_FILES --url URL --token TOKEN [--bpm N] [--genre G] [--limit 5]

A folder of stems as one session: hashes the files and uploads only what the server lacks, types
each stem from its name (``other`` where none fits), stores the session (PUT /api/v1/sessions/<id>),
runs its analysis (every track, then masking, balance, genre, the estimated mix and the advice) and
prints the mix's issues and the top suggestions as GET .../suggestions ranks them, with their
concrete parameters and ids (for ``feedback`` or a preview). Same exit codes as ``analyze``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from client.files import NoAudioFiles, collect_audio, read_token
from client.library import Codette
from client.progress import ProgressView
from client.rest import ClientError, sha256_file

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
#: The server's session and track id pattern (api/schemas.ID_PATTERN).
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _bpm(bpm: float) -> str:
    """A tempo as an engineer reads it: to 0.1 BPM, whole numbers without the decimal (58.01 -> 58)."""
    return f"{bpm:.1f}".removesuffix(".0")


#: Below this detection confidence the headline shows it and how to declare the genre instead.
SURE_GENRE = 0.6


def _genre_source(analysis: dict[str, Any]) -> str:
    """Where the genre that judges the mix came from, in words (core.session's ``genre_source``)."""
    source = analysis.get("genre_source", "?")
    if source == "style":
        return "your usual genre; none detected with confidence"
    if source == "default":
        return "the default; no genre detected with confidence"
    confidence = (analysis.get("genre") or {}).get("confidence")
    if source == "detected" and isinstance(confidence, int | float) and confidence < SURE_GENRE:
        # a guess from tempo and track types (a pop song at 70 BPM reads Hip-Hop/Rap at 0.30): say so
        return f"detected with confidence {confidence:.2f}; --genre sets it"
    return str(source)  # declared, or detected with confidence


def safe_id(text: str, *, fallback: str) -> str:
    """``text`` made into an id the server accepts: unsafe runs become '-', at most 128 characters."""
    cleaned = _UNSAFE.sub("-", text).strip("-.")[:128]
    return cleaned or fallback


def session_doc(
    files: list[Path], hashes: list[str], types: list[str], *, bpm: float | None, genre: str | None,
    platform: str | None,
) -> dict[str, Any]:  # fmt: skip
    """The session document: one track per file, ids from the file names (made unique)."""
    tracks, seen = [], set()
    for i, (path, sha, ttype) in enumerate(zip(files, hashes, types, strict=True)):
        track_id = safe_id(path.stem, fallback=f"track-{i + 1}")
        while track_id in seen:
            track_id = f"{track_id}-{i + 1}"
        seen.add(track_id)
        tracks.append({"track_id": track_id, "name": path.name, "type": ttype or "other", "sha256": sha})
    doc: dict[str, Any] = {"tracks": tracks}
    for key, value in (("bpm", bpm), ("genre", genre), ("platform", platform)):
        if value is not None:
            doc[key] = value
    return doc


def _params(parameters: dict[str, Any]) -> str:
    parts = []
    for name, value in parameters.items():
        if isinstance(value, float):
            value = f"{value:g}"
        parts.append(f"{name}={value}")
    return ", ".join(parts)


def report(job: dict[str, Any], suggestions: dict[str, Any]) -> str:
    """The session's headline, mix issues and ranked suggestions, as text for a terminal."""
    result = job.get("result") or {}
    analysis = result.get("session_analysis") or {}
    summary = result.get("summary") or {}
    lines = []
    bpm = analysis.get("bpm")
    mix = analysis.get("mix") or {}
    lufs = mix.get("integrated_lufs")
    lines.append(
        f"session {result.get('session_id', '?')}: {summary.get('analysed', 0)} of "
        f"{summary.get('track_count', 0)} tracks analysed; "
        + (f"{_bpm(bpm)} BPM ({analysis.get('bpm_source')})" if isinstance(bpm, int | float) else "no tempo")
        + f"; genre {analysis.get('genre_used', '?')} ({_genre_source(analysis)}); "
        + (f"the stems sum to about {lufs:.1f} LUFS" if isinstance(lufs, int | float) else "no mix estimate")
    )
    for t in summary.get("tracks") or []:
        if t.get("status") != "done":
            lines.append(f"  {t.get('track_id')}: {t.get('status')}")
    issues = [i for i in analysis.get("issues") or [] if i.get("severity") != "info"]
    if issues:
        lines.append("")
        lines.append("mix issues:")
        for i in issues:
            lines.append(f"  {i.get('severity', ''):8s} {i.get('message', '')}")
    found = suggestions.get("suggestions") or []
    lines.append("")
    lines.append(f"top {len(found)} suggestion(s), most wrong first:" if found else "no suggestions")
    for n, s in enumerate(found, start=1):
        target = s.get("target") or {}
        lines.append(
            f"  {n}. {target.get('track_id', '?')} ({s.get('track_type', '?')}): {s.get('type')} "
            f"{_params(s.get('suggested_parameters') or s.get('parameters') or {})}"
        )
        lines.append(f"     {s.get('reason', '')}")
        lines.append(f"     id {s.get('id')}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    view = ProgressView(sys.stderr, quiet=args.quiet)
    try:
        token = read_token(args.token, args.token_file)
        files = collect_audio(args.paths)
    except (OSError, NoAudioFiles) as exc:
        print(f"codette: {exc}", file=sys.stderr)
        return EXIT_USAGE
    first = Path(args.paths[0])
    session_id = args.id or safe_id(first.name if first.is_dir() else first.parent.name, fallback="session")
    codette = Codette(args.url, token)
    try:
        types = codette.guess_types(files)
        sent = codette.upload(files, note=view.note)
        view.note(f"{sent.uploaded} file(s) uploaded, {sent.reused} already there (sha256)")
        hashes = [sha256_file(p) for p in files]
        doc = session_doc(files, hashes, types, bpm=args.bpm, genre=args.genre, platform=args.platform)
        for t in doc["tracks"]:
            view.note(f"  {t['track_id']}: {t['type']}")
        session = codette.session(session_id)
        session.put(doc)
        view.note(f"session {session_id}: analysing {len(files)} track(s)")
        job = codette.wait_for_job(session.analyze(), timeout_s=args.timeout)
        if job["status"] != "done":
            error = job.get("error") or {}
            print(f"codette: the session analysis failed: {error.get('message')} ({error.get('code')})",
                  file=sys.stderr)  # fmt: skip
            return EXIT_FAILED
        suggestions = session.suggestions(limit=args.limit)
    except ClientError as exc:
        print(f"codette: {exc.message} ({exc.code})", file=sys.stderr)
        return EXIT_FAILED if exc.code == "timeout" else EXIT_USAGE
    finally:
        codette.close()
    if args.json:
        print(json.dumps({"session": job, "suggestions": suggestions}))
    else:
        print(report(job, suggestions))
    summary = (job.get("result") or {}).get("summary") or {}
    return EXIT_OK if not summary.get("failed") else EXIT_FAILED
