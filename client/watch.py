"""Wait for the jobs: live over Socket.IO (subscribe per batch, snapshot first), else REST polling.

REST stays the source of truth: while live, the batches are still read every SAFETY_POLL_S, so a
dropped connection or a missed event costs a few seconds, never a hang.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import socketio

from client.progress import ProgressView
from client.rest import Api, ClientError
from client.tracker import Tracker

POLL_S = 1.0
SAFETY_POLL_S = 5.0
TICK_S = 0.1
CONNECT_TIMEOUT_S = 5.0
EVENTS = ("job.progress", "job.done", "job.failed")

log = logging.getLogger(__name__)


def connect_live(api: Api, tracker: Tracker) -> socketio.Client | None:
    """A Socket.IO connection subscribed to every batch of ``tracker``; None if that fails."""
    sio = socketio.Client(reconnection=True, logger=False, engineio_logger=False)
    for event in EVENTS:
        sio.on(event, _handler(tracker, event))

    @sio.event  # type: ignore[untyped-decorator]
    def connect() -> None:
        # (Re)subscribe on every connect: the snapshot replays what happened while away.
        sio.start_background_task(_subscribe_all, sio, tracker)

    try:
        sio.connect(
            api.base_url, auth={"token": api.token}, transports=["websocket"], wait_timeout=CONNECT_TIMEOUT_S
        )
    except (socketio.exceptions.ConnectionError, ValueError, OSError) as exc:
        log.debug("Socket.IO unavailable: %s", exc)
        return None
    return sio


def _handler(tracker: Tracker, event: str) -> Callable[[dict[str, object]], None]:
    def handle(payload: dict[str, object]) -> None:
        tracker.apply_event(event, payload)

    return handle


def _subscribe_all(sio: socketio.Client, tracker: Tracker) -> None:
    for batch_id in tracker.batch_ids():
        try:
            ack = sio.call("subscribe", {"batch_id": batch_id}, timeout=10)
        except socketio.exceptions.SocketIOError as exc:  # polling covers it
            log.debug("subscribe %s failed: %s", batch_id, exc)
            continue
        if isinstance(ack, dict) and ack.get("ok") and ack.get("snapshot"):
            tracker.apply_snapshot(ack["snapshot"])


def poll_once(api: Api, tracker: Tracker) -> None:
    for batch_id in tracker.batch_ids():
        tracker.apply_snapshot(api.batch(batch_id))


def fetch_results(api: Api, tracker: Tracker) -> None:
    for job_id in tracker.missing_results():
        tracker.apply_snapshot(api.job(job_id))


def wait(api: Api, tracker: Tracker, view: ProgressView, *, live: bool, timeout_s: float) -> bool:
    """Block until every job is finished (True) or ``timeout_s`` passes (False)."""
    if tracker.finished:  # every analysis was cached: nothing to wait for
        fetch_results(api, tracker)
        view.draw(tracker.snapshot())
        return True
    sio = connect_live(api, tracker) if live else None
    view.note("live progress over Socket.IO" if sio else "polling for progress over REST")
    deadline = time.monotonic() + timeout_s
    next_poll = time.monotonic() + (SAFETY_POLL_S if sio else 0.0)
    try:
        while True:
            now = time.monotonic()
            if now >= next_poll:
                try:
                    poll_once(api, tracker)
                except ClientError as exc:
                    if exc.status is not None and exc.status < 500:
                        raise
                    view.note(f"server busy ({exc.message}); retrying")
                next_poll = now + (SAFETY_POLL_S if sio and sio.connected else POLL_S)
            view.draw(tracker.snapshot())
            if tracker.finished:
                fetch_results(api, tracker)
                view.draw(tracker.snapshot())
                return True
            if now > deadline:
                return False
            time.sleep(TICK_S)
    finally:
        if sio is not None:
            sio.disconnect()
