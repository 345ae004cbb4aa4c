"""News enrichment service: entities, actors and how an article portrays them.

``service:create_app()`` is the WSGI application factory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__version__ = "0.1.0"


def create_app(*args: Any, **kwargs: Any) -> Flask:
    """Build the Flask app; see :func:`service.web.app.create_app`.

    Imported lazily so that ``import service.config`` (gunicorn.conf.py does it in the
    master) loads neither Flask nor prometheus_client before the metrics directory is set.
    """
    from service.web.app import create_app as factory

    return factory(*args, **kwargs)
