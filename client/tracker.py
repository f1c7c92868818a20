"""The state of the jobs being watched, updated from Socket.IO events or REST snapshots (thread-safe)."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FINISHED = frozenset({"done", "failed"})


@dataclass
class JobState:
    job_id: str
    name: str
    batch_id: str
    status: str = "queued"
    progress: float = 0.0
    stage: str = "queued"
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


@dataclass
class Tracker:
    jobs: dict[str, JobState] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_batch(self, created: Mapping[str, Any]) -> None:
        """Record the jobs of a 202 from POST /api/v1/analyses (cached ones are done already)."""
        with self._lock:
            for j in created["jobs"]:
                state = JobState(j["job_id"], j["name"], created["batch_id"])
                if j.get("cached"):
                    state.status, state.progress, state.stage = "done", 1.0, "cached"
                self.jobs[j["job_id"]] = state

    def apply_event(self, event: str, payload: Mapping[str, Any]) -> None:
        """job.progress / job.done / job.failed from the server; others are ignored."""
        with self._lock:
            job = self.jobs.get(str(payload.get("job_id")))
            if job is None or job.finished:
                return
            if event == "job.progress":
                job.status, job.progress, job.stage = (
                    "running",
                    float(payload["progress"]),
                    str(payload["stage"]),
                )
            elif event == "job.done":
                job.status, job.progress, job.stage = "done", 1.0, "done"
                job.result = payload.get("result") or None
            elif event == "job.failed":
                job.status, job.stage, job.error = "failed", "failed", dict(payload.get("error") or {})

    def apply_snapshot(self, snapshot: Mapping[str, Any]) -> None:
        """A batch (GET /api/v1/batches/<id>) or job snapshot; never moves a finished job back."""
        jobs = snapshot.get("jobs", [snapshot])
        with self._lock:
            for j in jobs:
                job = self.jobs.get(str(j.get("job_id")))
                if job is None or (job.finished and job.result is not None):
                    continue
                job.status, job.progress, job.stage = j["status"], float(j["progress"]), str(j["stage"])
                if j.get("result"):
                    job.result = j["result"]
                if j.get("error"):
                    job.error = dict(j["error"])

    def snapshot(self) -> list[JobState]:
        with self._lock:
            return [dataclasses.replace(j) for j in self.jobs.values()]

    @property
    def finished(self) -> bool:
        with self._lock:
            return all(j.finished for j in self.jobs.values())

    def missing_results(self) -> list[str]:
        """Jobs done without their result in hand (polling gives none): fetch them with GET /jobs/<id>."""
        with self._lock:
            return [j.job_id for j in self.jobs.values() if j.status == "done" and j.result is None]

    def batch_ids(self) -> list[str]:
        with self._lock:
            return list(dict.fromkeys(j.batch_id for j in self.jobs.values()))
