"""Entry point for `celery -A worker.celery_app worker`: the one place the worker reads Settings."""

from __future__ import annotations

import os

# One BLAS thread per process, before numpy loads: the pool already runs one process per core, and
# OpenBLAS's own threads stall the analysis's small matrix products on a busy machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from config import load_settings
from worker.app import create_celery

app = create_celery(load_settings())
