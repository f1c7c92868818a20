"""Upload by hash, measured on the wire: an unchanged folder of 16 stems is not sent twice.

The client talks to the real stack through a TCP proxy that counts the bytes it forwards to the API.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from client import Codette
from tests.conftest import ROOT, TOKENS, wav_bytes

pytestmark = pytest.mark.integration


class CountingProxy:
    """Forwards TCP connections to ``upstream`` and counts the bytes sent towards it."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.sent = 0
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, count: bool) -> None:
        try:
            while data := src.recv(1 << 16):
                if count:
                    with self._lock:
                        self.sent += len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def take(self) -> int:
        with self._lock:
            sent, self.sent = self.sent, 0
        return sent

    def close(self) -> None:
        self._server.close()


@pytest.fixture
def proxy(api_url: str) -> Iterator[CountingProxy]:
    parts = urlsplit(api_url)
    counting = CountingProxy((parts.hostname or "127.0.0.1", parts.port or 80))
    yield counting
    counting.close()


def test_an_unchanged_folder_of_16_stems_sends_under_1_percent_again(
    proxy: CountingProxy, workers: list[str], tmp_path: Path
) -> None:
    stems = tmp_path / "stems"
    stems.mkdir()
    for i in range(16):
        (stems / f"{i:02d} stem.wav").write_bytes(wav_bytes(seconds=1.5, seed=7300 + i))
    paths = sorted(stems.glob("*.wav"))
    audio_bytes = sum(p.stat().st_size for p in paths)

    with Codette(proxy.url, TOKENS["alice"]) as codette:
        first = codette.analyze(paths, timeout_s=240)
        first_bytes = proxy.take()
        started = time.monotonic()
        again = codette.analyze(paths, timeout_s=60)
        again_s = time.monotonic() - started
        again_bytes = proxy.take()

    assert [j.status for j in first] == ["done"] * 16 and [j.status for j in again] == ["done"] * 16
    assert first_bytes > audio_bytes  # every stem went over the wire once
    assert again_bytes < 0.01 * audio_bytes, f"{again_bytes} bytes re-sent for {audio_bytes} bytes of audio"
    lufs = [j.result["loudness"]["integrated_lufs"] for j in again if j.result]
    assert lufs == [j.result["loudness"]["integrated_lufs"] for j in first if j.result]
    share = again_bytes / audio_bytes
    print(f"\n16 stems, {audio_bytes} B of audio: first run sent {first_bytes} B, "
          f"the unchanged re-run {again_bytes} B ({share:.3%}) in {again_s:.2f} s")  # fmt: skip

    # The command line does the same, and says so.
    cmd = [sys.executable, "-m", "client", "analyze", str(stems), "--url", proxy.url,
           "--token", TOKENS["alice"], "--timeout", "60"]  # fmt: skip
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "0 file(s) uploaded" in done.stderr and "16 already there" in done.stderr
    assert proxy.take() < 0.01 * audio_bytes


def test_another_users_stems_are_uploaded_by_them(
    proxy: CountingProxy, workers: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "shared.wav"
    path.write_bytes(wav_bytes(seconds=1.0, seed=7400))
    with Codette(proxy.url, TOKENS["alice"]) as alice:
        assert alice.send([path]).uploaded == 1
    proxy.take()
    with Codette(proxy.url, TOKENS["bob"]) as bob:
        sent = bob.send([path])  # stored already, but bob never sent it: he must, and learns nothing
    assert (sent.uploaded, sent.reused) == (1, 0) and proxy.take() > path.stat().st_size
