"""Entry point for `celery -A worker.celery_app worker`: the one place the worker reads Settings."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile

# One BLAS thread per process, before numpy loads: the pool already runs one process per core, and
# OpenBLAS's own threads stall the analysis's small matrix products on a busy machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Task metrics are counted in the pool's processes and served by the main one (worker/metrics.py):
# prometheus-client's multiprocess mode, whose directory must be set before it loads, and fresh.
if "worker" in sys.argv[1:] and not os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", ""):  # unset or empty
    _metrics_dir, _creator = tempfile.mkdtemp(prefix="codette-metrics-"), os.getpid()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir
    atexit.register(lambda: os.getpid() == _creator and shutil.rmtree(_metrics_dir, ignore_errors=True))

from config import load_settings
from store.wiring import check_blob_store, check_redis_auth
from worker.app import create_celery

settings = load_settings()
if "worker" in sys.argv[1:]:  # a worker that cannot read the blobs stops here, naming the setting
    check_redis_auth(settings)
    check_blob_store(settings)
app = create_celery(settings)
