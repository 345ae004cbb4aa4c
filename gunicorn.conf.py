"""gunicorn settings for the enrichment service; every value says why it is what it is.

Serve with: gunicorn -c gunicorn.conf.py 'service:create_app()'
"""

import contextlib
import ctypes
import os
import random
import tempfile

from service.activity import documents_computed
from service.config import Settings

settings = Settings.from_env()

bind = f"{settings.host}:{settings.port}"

# One worker per core: the NLP engine is CPU-bound and runs on one core per worker.
workers = settings.workers
# Threads let a worker answer cache hits, health and metrics while another thread waits on
# the engine (engines serialise their own calls with a lock). The class is gthread, except
# that its event loop reads each whole request before a thread takes it (a slow client
# holds no thread; 408 past READ_TIMEOUT_SECONDS), and that a worker whose engine is busy
# lets an idle sibling accept new connections first (service/web/gunicorn_worker.py says why).
worker_class = "service.web.gunicorn_worker.BalancedThreadWorker"
threads = settings.threads

# Load the models once, in the master, and fork workers that share their pages (copy on
# write): far less memory per worker, and a recycled worker is ready at once instead of
# after a model load (docs/performance.md, figures 4 and 6). It is safe with Stanza because
# the master only loads: PyTorch hangs a worker forked after the master *ran inference*
# with several threads (stanza#570, gunicorn#2478), while loading alone does not
# (docs/performance.md). pre_fork below keeps it that way.
# PRELOAD_MODELS=false makes each worker load its own models after the fork instead.
preload_app = settings.preload_models
# gunicorn 27's runtime control socket defaults to a path under $HOME shared by every
# gunicorn on the host, and the container's root filesystem is read-only: not used.
control_socket_disable = True

# The per-request budget plus a margin: gunicorn kills a worker stuck past it.
timeout = int(settings.request_timeout_seconds) + 30
# In-flight requests get this long to finish on SIGTERM (Kubernetes sends it before kill):
# the request budget plus the same 30 s as the worker timeout, so that a request accepted
# just before the stop still gets its answer (or its 503 timeout) rather than a cut
# connection, including the time its body may take to arrive (the body read deadline, 20 s
# in docs/operations.md). k8s/deployment.yaml's terminationGracePeriodSeconds covers its
# preStop sleep plus this.
graceful_timeout = int(settings.request_timeout_seconds) + 30
keepalive = 5
# Recycle a worker after it has run the engine on about WORKER_MAX_DOCUMENTS documents
# (post_request below; +0-10% jitter so workers do not restart together): the engines'
# string stores and buffers are what grow, and a recycled worker is away for its model
# load. gunicorn's max_requests counts cached answers too, which come far faster than
# engine documents: a low value restarted workers every second or two under cached load
# (docs/performance.md, figure 2b). It stays as a wide safety net against leaks in the
# HTTP path.
max_requests = 1_000_000
max_requests_jitter = 100_000

# The app writes one JSON access line per request (with request id, status, duration and
# cache result, never the text); gunicorn's own lines go out as JSON too.
accesslog = None
errorlog = "-"
loglevel = settings.log_level.lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "service.logs.JsonFormatter"}},
    # "console" is the handler name gunicorn's own defaults refer to.
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"level": settings.log_level, "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": settings.log_level, "handlers": ["console"], "propagate": False}
    },
}

# glibc gives every thread that allocates an arena of its own; the engine runs in a pool
# thread, and there spaCy ran measurably slower than in a main thread (docs/performance.md,
# figure 2b). One arena, set here in the master before the fork, makes every worker thread
# as fast as the main one.
_M_ARENA_MAX = -8
with contextlib.suppress(OSError):  # not glibc (musl, macOS): nothing to tune
    ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, 1)

# Metrics from every worker are aggregated through files in this directory.
if not settings.prometheus_multiproc_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="enrich-metrics-")
# BLAS and OpenMP pools: one thread per worker, so workers x threads never exceed the cores.
os.environ.setdefault("OMP_NUM_THREADS", str(settings.torch_threads))


def post_request(worker, req, environ, resp):
    """Recycle this worker once it has run the engine on its share of documents: the
    same graceful exit gunicorn's max_requests takes (in-flight requests finish)."""
    if not settings.worker_max_documents or not worker.alive:
        return
    limit = getattr(worker, "document_limit", None)
    if limit is None:
        jitter = random.randint(0, settings.worker_max_documents // 10)
        limit = worker.document_limit = settings.worker_max_documents + jitter
    done = documents_computed()
    if done >= limit:
        worker.log.info("Recycling the worker after %d engine documents", done)
        worker.alive = False


def pre_fork(server, worker):
    """Refuse to fork workers from a master that ran the engine: PyTorch's thread pools
    do not survive a fork, and such workers hang on their first document."""
    if documents_computed():
        raise RuntimeError(
            "the gunicorn master ran the NLP engine before forking workers; only model "
            "loading may happen before the fork (set PRELOAD_MODELS=false to load per worker)"
        )


def child_exit(server, worker):
    """Drop a dead worker's live metrics (gauges) from the aggregate."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
