"""Retention for both blob stores: mark what nothing references, delete it a grace time later.

One algorithm over a small interface (``Marked``) that the local directory and the object store
implement. A sweep asks ``referenced(sha256)`` for every stored blob (the caller's answer from jobs,
sessions and cached analyses). The first sweep that finds a blob unreferenced marks it with the time;
a sweep at least ``grace_s`` later deletes it if it is still unreferenced and still marked. A blob
referenced again, or stored again (``put`` of the same bytes drops its mark), loses its mark and
starts over. Deletes are idempotent, so two concurrent sweeps are safe, only wasteful.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from service.ports import SweepReport


class Marked(Protocol):
    """What a blob store offers the sweep: its hashes, its marks, and deletion."""

    def blob_hashes(self) -> Iterable[str]: ...
    def marks(self) -> dict[str, tuple[str, float]]:
        """sha256 -> (mark id, epoch seconds it was marked)."""
        ...

    def add_mark(self, sha256: str, now_s: float) -> None: ...
    def has_mark(self, mark_id: str) -> bool: ...
    def drop_marks(self, mark_ids: Iterable[str]) -> None: ...
    def delete_blob(self, sha256: str) -> None:
        """The bytes, every mark and every owner record the store keeps for ``sha256``."""
        ...


def mark_and_sweep(
    store: Marked, referenced: Callable[[str], bool], *, grace_s: float, now_s: float
) -> SweepReport:
    """One sweep (see the module docstring); ``abandoned`` is left for the store to fill in."""
    marks = store.marks()
    kept = marked = 0
    deleted: list[str] = []
    for sha256 in store.blob_hashes():
        mark = marks.pop(sha256, None)
        if referenced(sha256):
            kept += 1
            if mark is not None:
                store.drop_marks([mark[0]])
        elif mark is None:
            store.add_mark(sha256, now_s)
            marked += 1
        elif now_s - mark[1] >= grace_s and store.has_mark(mark[0]):
            # has_mark: a put of the same bytes since the sweep began dropped the mark; keep the blob.
            store.delete_blob(sha256)
            deleted.append(sha256)
        else:
            kept += 1
    store.drop_marks(mark_id for mark_id, _ in marks.values())  # marks whose blob is gone
    return SweepReport(kept=kept, marked=marked, deleted=tuple(deleted), abandoned=0)
