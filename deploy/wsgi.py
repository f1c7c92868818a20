"""The WSGI application for gunicorn: ``deploy.wsgi:app`` (an entry point, so it loads the settings)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from api.app import create_app
from config import load_settings
from service.ask import answerer_for
from service.logs import configure_logging
from store.wiring import ask_sources, check_blob_store


def native_spawn(target: Callable[[], None]) -> None:
    """Run ``target`` on a native thread, also in a gevent worker (where threading is monkey-patched
    and a "thread" is a greenlet: loading Ask's model there held the event loop for a minute, /health
    went unanswered and gunicorn killed the worker)."""
    try:
        from gevent import get_hub, monkey
    except ImportError:
        gevent_patched = False
    else:
        gevent_patched = monkey.is_module_patched("threading")
    if gevent_patched:
        get_hub().threadpool.spawn(target)
    else:
        threading.Thread(target=target, name="ask-model", daemon=True).start()


settings = load_settings()
settings.require_api_tokens()
configure_logging(json_lines=settings.log_json)
check_blob_store(settings)  # a wrong endpoint, bucket or key stops the replica here, naming the setting
app = create_app(settings, answerer=answerer_for(*ask_sources(settings), spawn=native_spawn))
