"""Blob retention: delete blobs that no job, session or cached analysis has named for a while.

Run by one worker at a time on a timer (worker/retention.py). What counts as a reference: a stored
job's hash, any hash in a session document or a job's frozen input (JobStore.referenced_blobs), and
a cached analysis of the blob under the current parameters. A blob unreferenced at one sweep is
marked; one still unreferenced ``Settings.blob_retention_s`` later is deleted with its ownership
records (store/retention.py has the algorithm, for both backends).
"""

from __future__ import annotations

from core.analysis import cache_key
from service.ports import Ports, SweepReport
from service.track_job import analysis_params


def sweep_blobs(ports: Ports, *, now_s: float) -> SweepReport:
    """One retention sweep of ``ports.blobs``; returns what it kept, marked and deleted."""
    named = ports.jobs.referenced_blobs()
    params = analysis_params(ports.settings)

    def referenced(sha256: str) -> bool:
        return sha256 in named or ports.cache.exists(cache_key(sha256, params))

    report = ports.blobs.sweep(referenced, grace_s=ports.settings.blob_retention_s, now_s=now_s)
    ports.jobs.forget_blobs(report.deleted)
    return report
