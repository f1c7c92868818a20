"""Progress bars on stderr: redrawn in place on a terminal, one line per change otherwise."""

from __future__ import annotations

from typing import TextIO

from client.tracker import JobState

BAR_WIDTH = 24
NAME_WIDTH = 28


def bar(progress: float, *, width: int = BAR_WIDTH) -> str:
    filled = round(max(0.0, min(1.0, progress)) * width)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def line(job: JobState) -> str:
    name = job.name if len(job.name) <= NAME_WIDTH else job.name[: NAME_WIDTH - 1] + "…"
    if job.status == "failed":
        message = (job.error or {}).get("message", "failed")
        return f"{name:<{NAME_WIDTH}} {bar(job.progress)} FAILED: {message}"
    return f"{name:<{NAME_WIDTH}} {bar(job.progress)} {job.progress * 100:3.0f}%  {job.stage}"


class ProgressView:
    """Draws the jobs on ``stream``; ``live`` tells whether events arrive over Socket.IO."""

    def __init__(self, stream: TextIO, *, quiet: bool = False) -> None:
        self.stream = stream
        self.quiet = quiet
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._drawn = 0
        self._last: dict[str, tuple[str, str]] = {}

    def note(self, text: str) -> None:
        if not self.quiet:
            self._clear()
            print(text, file=self.stream, flush=True)

    def draw(self, jobs: list[JobState]) -> None:
        if self.quiet:
            return
        if self.tty:
            self._clear()
            for job in jobs:
                print(line(job), file=self.stream)
            self._drawn = len(jobs)
            self.stream.flush()
            return
        for job in jobs:  # not a terminal: one line when a job's status or stage changes
            key = (job.status, job.stage)
            if self._last.get(job.job_id) != key:
                self._last[job.job_id] = key
                print(line(job), file=self.stream, flush=True)

    def _clear(self) -> None:
        if self.tty and self._drawn:
            self.stream.write(f"\x1b[{self._drawn}F\x1b[J")
            self._drawn = 0
