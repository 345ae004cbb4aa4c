"""The per-app services a view needs, built once by the app factory."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from service.cache import Cache
from service.config import Settings
from service.engines import EngineRegistry
from service.enrichment import Enricher

EXTENSION = "news_enrich"


@dataclass(frozen=True, slots=True)
class Services:
    """Settings, engines, cache and the enricher of one app."""

    settings: Settings
    registry: EngineRegistry
    cache: Cache
    enricher: Enricher


def services() -> Services:
    """The services of the current app."""
    return current_app.extensions[EXTENSION]  # type: ignore[no-any-return]
