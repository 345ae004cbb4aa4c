"""gunicorn settings for the enrichment service; every value says why it is what it is.

Serve with: gunicorn -c gunicorn.conf.py 'service:create_app()'
"""

import os
import tempfile

from service.config import Settings

settings = Settings.from_env()

bind = f"{settings.host}:{settings.port}"

# One worker per core: the NLP engine is CPU-bound, and each worker holds its own models.
workers = settings.workers
# Threads let a worker answer cache hits, health and metrics while another thread waits on
# the engine (engines serialise their own calls with a lock).
worker_class = "gthread"
threads = settings.threads

# Never preload: models hold torch state, and a worker forked after the master ran torch
# inference with several threads hangs (stanza#570, gunicorn#2478). Each worker loads its
# own models after the fork, before it accepts a request, so a worker restarted by
# max_requests never answers "not ready" while its sibling serves.
preload_app = False
# gunicorn 27's runtime control socket defaults to a path under $HOME shared by every
# gunicorn on the host, and the container's root filesystem is read-only: not used.
control_socket_disable = True

# The per-request budget plus a margin: gunicorn kills a worker stuck past it.
timeout = int(settings.request_timeout_seconds) + 30
# In-flight requests get this long to finish on SIGTERM (Kubernetes sends it before kill).
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so that slow leaks in native libraries cannot grow without
# bound; the jitter keeps workers from restarting all at once.
max_requests = 2000
max_requests_jitter = 200

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

# Metrics from every worker are aggregated through files in this directory.
if not settings.prometheus_multiproc_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="enrich-metrics-")
# BLAS and OpenMP pools: one thread per worker, so workers x threads never exceed the cores.
os.environ.setdefault("OMP_NUM_THREADS", str(settings.torch_threads))


def child_exit(server, worker):
    """Drop a dead worker's live metrics (gauges) from the aggregate."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
