"""Entry point for `celery -A worker.celery_app worker`: the one place the worker reads Settings."""

from __future__ import annotations

from config import load_settings
from worker.app import create_celery

app = create_celery(load_settings())
