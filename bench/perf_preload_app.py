"""An experiment of the memory benchmark, not a way to serve: the service's app with its
models loaded in the gunicorn master before the fork.

    gunicorn -c gunicorn.conf.py --preload --pythonpath bench 'perf_preload_app:create_app()'

``service:create_app()`` loads models in a background thread, and threads do not survive a
fork, so ``--preload`` alone would leave every worker unready for ever. Here the master loads
them synchronously (loading only: no inference runs before the fork, and torch keeps one
intra-op thread), then forks; workers share the model pages copy-on-write until they write
to them. The benchmark measures what that saves (PSS) and whether the workers' first
inference completes.
"""

from __future__ import annotations

from flask import Flask

from service import create_app as service_app
from service.config import Settings
from service.engines import EngineRegistry


def create_app() -> Flask:
    """The service's app on a registry loaded in this process, now."""
    settings = Settings.from_env()
    registry = EngineRegistry(settings)
    registry.start(background=False)
    return service_app(settings, registry=registry)
