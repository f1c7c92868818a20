"""One summary row per file, from its analysis result: the table and the JSON lines."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

#: Most severe first; an issue of a severity not listed sorts last.
SEVERITY_ORDER = ("critical", "warning", "info")
COLUMNS = ("name", "LUFS", "dBTP", "LRA", "tempo", "key", "score", "top issue")
MAX_NAME = 32
MAX_ISSUE = 60


@dataclass(frozen=True)
class Row:
    name: str
    status: str  # done | failed | timeout
    job_id: str | None = None
    integrated_lufs: float | None = None
    true_peak_dbtp: float | None = None
    range_lu: float | None = None
    tempo_bpm: float | None = None
    key: str | None = None
    score: int | None = None
    top_issue: dict[str, str] | None = None  # {code, severity, message}
    error: dict[str, str] | None = None  # {code, message} when not done

    def to_json(self) -> str:
        return json.dumps(asdict(self), allow_nan=False, ensure_ascii=False)


def top_issue(issues: Iterable[Mapping[str, Any]]) -> dict[str, str] | None:
    """The most severe issue (the first of equals, as the analysis orders them)."""

    def rank(issue: Mapping[str, Any]) -> int:
        sev = issue.get("severity")
        return SEVERITY_ORDER.index(sev) if sev in SEVERITY_ORDER else len(SEVERITY_ORDER)

    ordered = sorted(issues, key=rank)
    if not ordered:
        return None
    first = ordered[0]
    return {
        "code": str(first.get("code")),
        "severity": str(first.get("severity")),
        "message": str(first.get("message")),
    }


def row_from_result(name: str, result: Mapping[str, Any], *, job_id: str | None = None) -> Row:
    """The headline numbers of a TrackAnalysis dict (core.results)."""
    loudness, quality = result["loudness"], result["quality"]
    return Row(
        name=name,
        status="done",
        job_id=job_id,
        integrated_lufs=loudness.get("integrated_lufs"),
        true_peak_dbtp=loudness.get("true_peak_dbtp"),
        range_lu=loudness.get("range_lu"),
        tempo_bpm=result["rhythm"].get("tempo_bpm"),
        key=result["tonal"].get("key"),
        score=quality.get("score"),
        top_issue=top_issue(quality.get("issues", ())),
    )


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def cells(row: Row) -> tuple[str, ...]:
    if row.status != "done":
        reason = (row.error or {}).get("message") or row.status
        return (_clip(row.name, MAX_NAME), "", "", "", "", "", "", _clip(f"FAILED: {reason}", MAX_ISSUE))
    issue = "" if row.top_issue is None else f"{row.top_issue['severity']}: {row.top_issue['message']}"
    return (
        _clip(row.name, MAX_NAME),
        _num(row.integrated_lufs),
        _num(row.true_peak_dbtp),
        _num(row.range_lu),
        _num(row.tempo_bpm),
        row.key or "—",
        "—" if row.score is None else str(row.score),
        _clip(issue, MAX_ISSUE) or "—",
    )


def table(rows: Iterable[Row]) -> str:
    """A plain text table; numbers right-aligned, text left-aligned."""
    body = [cells(r) for r in rows]
    widths = [max(len(c[i]) for c in [COLUMNS, *body]) for i in range(len(COLUMNS))]
    numeric = {1, 2, 3, 4, 6}

    def line(values: tuple[str, ...]) -> str:
        parts = [
            v.rjust(w) if i in numeric else v.ljust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(COLUMNS), line(tuple("-" * w for w in widths)), *(line(c) for c in body)])
