"""Client-side helpers for the resilience suite: REST calls and recording Socket.IO clients."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
import socketio

from tests.conftest import TOKENS, auth

TIMEOUT_S = 90


def upload(
    url: str, files: list[tuple[str, bytes]], *, user: str = "alice", **form: str
) -> requests.Response:
    return requests.post(f"{url}/api/v1/analyses", files=[("files", (n, b)) for n, b in files], data=form,
                         headers=auth(user), timeout=30)  # fmt: skip


def submit(url: str, files: list[tuple[str, bytes]], *, user: str = "alice") -> dict[str, Any]:
    r = upload(url, files, user=user)
    assert r.status_code == 202, r.text
    return dict(r.json())


def get(url: str, path: str, *, user: str = "alice", timeout: float = 10) -> dict[str, Any]:
    r = requests.get(f"{url}{path}", headers=auth(user), timeout=timeout)
    assert r.status_code == 200, r.text
    return dict(r.json())


def wait_batch(
    url: str, batch_id: str, *, user: str = "alice", timeout_s: float = TIMEOUT_S
) -> dict[str, Any]:
    """Poll a batch until every job is finished; the final REST state."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            body = get(url, f"/api/v1/batches/{batch_id}", user=user)
            if body["status"] == "done":
                return body
        except (requests.ConnectionError, AssertionError):
            body = {}
        assert time.monotonic() < deadline, f"batch {batch_id} not finished; last state: {body}"
        time.sleep(0.2)


class Listener:
    """A real Socket.IO client that records every event and re-subscribes after each (re)connect."""

    def __init__(self, url: str, *, user: str = "alice", reconnection: bool = False) -> None:
        self.url, self.user = url, user
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.targets: list[dict[str, str]] = []
        self.acks: list[dict[str, Any]] = []
        self.connects = 0
        self._lock = threading.Lock()
        self.sio = socketio.Client(
            reconnection=reconnection, reconnection_delay=0.2, reconnection_delay_max=1
        )
        self.sio.on("*", self._record)
        self.sio.on("connect", self._on_connect)

    def _record(self, event: str, data: Any) -> None:
        with self._lock:
            self.events.append((event, data))

    def _on_connect(self) -> None:
        self.connects += 1
        if self.connects > 1:  # a reconnect: subscribe again (the snapshot replays what was missed)
            threading.Thread(target=self._resubscribe, daemon=True).start()

    def _resubscribe(self) -> None:
        for target in list(self.targets):
            try:
                ack = self.sio.call("subscribe", target, timeout=15)
            except socketio.exceptions.SocketIOError as exc:
                # The connection went again (another restart, or the test ended): record it for the
                # test to judge instead of raising in a thread nobody joins (pytest then blames
                # whichever later test is running).
                ack = {"ok": False, "error": f"resubscribe failed: {type(exc).__name__}"}
            self.acks.append(ack)

    def connect(self) -> Listener:
        self.sio.connect(
            self.url, auth={"token": TOKENS[self.user]}, transports=["websocket"], wait_timeout=10
        )
        return self

    def subscribe(self, target: dict[str, str]) -> dict[str, Any]:
        self.targets.append(target)
        ack = self.sio.call("subscribe", target, timeout=15)
        self.acks.append(ack)
        return dict(ack)

    def of(self, event: str) -> list[dict[str, Any]]:
        with self._lock:
            return [d for e, d in self.events if e == event]

    def wait(self, predicate: Callable[[Listener], bool], *, what: str, timeout_s: float = TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while not predicate(self):
            assert time.monotonic() < deadline, f"{what}; events: {[e for e, _ in self.events][-20:]}"
            time.sleep(0.05)

    def close(self) -> None:
        self.sio.disconnect()


def close_all(listeners: list[Listener]) -> None:
    """Disconnect many clients at once (each disconnect waits for its transport to wind down)."""
    with ThreadPoolExecutor(max_workers=max(1, len(listeners))) as pool:
        list(pool.map(Listener.close, listeners))
