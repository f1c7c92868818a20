"""The Python client as a library: the flows of the TypeScript SDK, over REST and Socket.IO.

    from client import Codette
    with Codette("http://127.0.0.1:5000", token) as codette:
        jobs = codette.analyze(["stems/kick.wav", "stems/bass.wav"], track_types=["kick", "bass"])
        print(jobs[0].result["loudness"]["integrated_lufs"])

Files are hashed locally and only what the server lacks for this user is uploaded; an unchanged
folder re-analyses without sending its audio again.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from client.progress import ProgressView
from client.rest import Api, ClientError, sha256_file
from client.tracker import JobState, Tracker
from client.tracktypes import guess_type
from client.watch import wait

#: Tracks per POST /api/v1/analyses (the server's default limit is 64 per request).
TRACKS_PER_REQUEST = 16
#: Files from this size on go straight to object storage (presigned, resumable) where the server has one.
DIRECT_UPLOAD_BYTES = 8 << 20


@dataclass
class Sent:
    """What ``send`` did: the 202 bodies, how many files went over the wire and how many were reused."""

    batches: list[dict[str, Any]] = field(default_factory=list)
    uploaded: int = 0
    reused: int = 0
    bytes_sent: int = 0


class Session:
    """One DAW session: its document, analysis, DAW context and suggestions."""

    def __init__(self, api: Api, session_id: str) -> None:
        self.api, self.id = api, session_id

    def _path(self, suffix: str = "") -> str:
        return f"/api/v1/sessions/{self.id}{suffix}"

    def put(self, doc: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = self.api.call("PUT", self._path(), json=doc)
        return body

    def analyze(self) -> str:
        """Queue the session's analysis; its job id (follow it with ``Codette.wait_for_job``)."""
        return str(self.api.call("POST", self._path("/analyze"))["job_id"])

    def analysis(self) -> dict[str, Any]:
        body: dict[str, Any] = self.api.call("GET", self._path("/analysis"))
        return body

    def context(self, update: dict[str, Any] | None = None) -> dict[str, Any]:
        """The DAW context; with ``update``, report it first (POST .../context)."""
        if update is None:
            body: dict[str, Any] = self.api.call("GET", self._path("/context"))
        else:
            body = self.api.call("POST", self._path("/context"), json=update)
        return body

    def suggestions(self, limit: int = 5) -> dict[str, Any]:
        body: dict[str, Any] = self.api.call("GET", self._path("/suggestions"), params={"limit": limit})
        return body

    def preview(self, suggestion_ids: Sequence[str]) -> str:
        """Render these moves together and measure before/after; the preview job's id."""
        body = {"suggestion_ids": list(suggestion_ids)}
        return str(self.api.call("POST", self._path("/preview"), json=body)["job_id"])

    def workflow(self) -> dict[str, Any]:
        """How the user works in this session (pattern, efficiency and its reasons, tips)."""
        body: dict[str, Any] = self.api.call("GET", self._path("/workflow"))
        return body


class Codette:
    """A Codette server, for one user (bearer token)."""

    def __init__(self, url: str, token: str, *, direct_upload_bytes: int = DIRECT_UPLOAD_BYTES) -> None:
        self.api = Api(url, token)
        #: Files this large go straight to object storage where the server offers it (None: never).
        self.direct_upload_bytes: int | None = direct_upload_bytes

    def __enter__(self) -> Codette:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.api.close()

    def guess_types(self, paths: Sequence[str | Path]) -> list[str]:
        """Each file's type guessed from its name with the server's hints ("" where none fits)."""
        hints = self.api.call("GET", "/ui/config.json").get("type_hints", [])
        return [guess_type(Path(p).name, hints) for p in paths]

    def upload(self, paths: Sequence[str | Path], *, note: Callable[[str], None] = lambda _: None) -> Sent:
        """Hash every file, upload only those this user has not stored yet; ``Sent`` without batches."""
        return self._upload([Path(p) for p in paths], note)[1]

    def _upload(self, files: list[Path], note: Callable[[str], None]) -> tuple[list[str], Sent]:
        hashes = [sha256_file(p) for p in files]
        missing = set(self.api.missing(list(dict.fromkeys(hashes))))
        sent = Sent()
        for path, sha256 in zip(files, hashes, strict=True):
            if sha256 not in missing:
                sent.reused += 1
                continue
            note(f"uploading {path.name}")
            try:
                stored = self._put(path, sha256)
            except ClientError as exc:  # name the file: a direct upload's answer only knows its size
                if path.name in exc.message:
                    raise
                raise ClientError(exc.code, f"{path.name}: {exc.message}", status=exc.status) from exc
            if stored != sha256:
                raise ClientError("hash_mismatch", f"{path}: the server stored {stored}, not {sha256}")
            missing.discard(sha256)
            sent.uploaded += 1
            sent.bytes_sent += path.stat().st_size
        return hashes, sent

    def _put(self, path: Path, sha256: str) -> str:
        if self.direct_upload_bytes is not None and path.stat().st_size >= self.direct_upload_bytes:
            stored = self.api.put_blob_direct(path, sha256)
            if stored is not None:
                return stored
            self.direct_upload_bytes = None  # no object store behind this server: through the API
        return self.api.put_blob(path)

    def send(
        self,
        paths: Sequence[str | Path],
        *,
        track_types: Sequence[str] | None = None,
        note: Callable[[str], None] = lambda _: None,
    ) -> Sent:
        """``upload``, then queue one analysis per file by hash; the 202 bodies in ``Sent.batches``."""
        files = [Path(p) for p in paths]
        types = list(track_types) if track_types is not None else [""] * len(files)
        if len(types) != len(files):
            raise ClientError("invalid_parameter", f"{len(types)} track types for {len(files)} files")
        hashes, sent = self._upload(files, note)
        tracks = [
            {"sha256": h, "name": p.name, "type": t} for p, h, t in zip(files, hashes, types, strict=True)
        ]
        for i in range(0, len(tracks), TRACKS_PER_REQUEST):
            sent.batches.append(self.api.submit(tracks[i : i + TRACKS_PER_REQUEST]))
        return sent

    def analyze(
        self,
        paths: Sequence[str | Path],
        *,
        track_types: Sequence[str] | None = None,
        live: bool = True,
        timeout_s: float = 1800.0,
        view: ProgressView | None = None,
    ) -> list[JobState]:
        """``send``, then wait for every job; the jobs' final states (results included), in file order."""
        view = view or ProgressView(io.StringIO(), quiet=True)
        sent = self.send(paths, track_types=track_types, note=view.note)
        tracker = Tracker()
        for batch in sent.batches:
            tracker.add_batch(batch)
        if not wait(self.api, tracker, view, live=live, timeout_s=timeout_s):
            raise ClientError("timeout", f"jobs still running after {timeout_s:g} s")
        return tracker.snapshot()

    def wait_for_job(self, job_id: str, *, timeout_s: float = 1800.0, poll_s: float = 0.5) -> dict[str, Any]:
        """Poll one job (a session analysis, say) until it is done or failed; its final state."""
        deadline = time.monotonic() + timeout_s
        while True:
            job: dict[str, Any] = self.api.job(job_id)
            if job["status"] in ("done", "failed"):
                return job
            if time.monotonic() > deadline:
                raise ClientError("timeout", f"job {job_id} still {job['status']} after {timeout_s:g} s")
            time.sleep(poll_s)

    def session(self, session_id: str) -> Session:
        return Session(self.api, session_id)

    def feedback(self, suggestion_id: str, kind: str, **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = self.api.call(
            "POST", "/api/v1/feedback", json={"suggestion_id": suggestion_id, "kind": kind, **extra}
        )
        return body

    def ask(self, question: str, *, session_id: str | None = None) -> dict[str, Any]:
        query: dict[str, Any] = {"question": question}
        if session_id:
            query["session_id"] = session_id
        body: dict[str, Any] = self.api.call("POST", "/api/v1/ask", json=query)
        return body

    def preview_suggestion(self, suggestion_id: str) -> str:
        """Render one suggestion on its track and measure before/after; the preview job's id."""
        return str(self.api.call("POST", f"/api/v1/suggestions/{suggestion_id}/preview")["job_id"])

    def preview_audio(self, job_id: str, which: str) -> bytes:
        """A finished preview's loudness-matched excerpt, ``which`` = "before" or "after" (WAV bytes)."""
        return self.api.get_bytes(f"/api/v1/previews/{job_id}/{which}.wav")

    def compare(self, a: str, b: str) -> str:
        """Compare blob ``b`` with the reference ``a`` (both uploaded by you, by sha256); the job's id."""
        return str(self.api.call("POST", "/api/v1/compare", json={"a": a, "b": b})["job_id"])

    def style(self) -> dict[str, Any]:
        """The production style learnt from your analysed sessions."""
        body: dict[str, Any] = self.api.call("GET", "/api/v1/users/me/style")
        return body

    def learning_report(self) -> dict[str, Any]:
        body: dict[str, Any] = self.api.call("GET", "/api/v1/users/me/learning-report")
        return body
