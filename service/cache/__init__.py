"""Answer cache: Redis when configured, an in-process LRU otherwise; it always fails open."""

from __future__ import annotations

import logging

from service.cache.base import Cache, Lookup
from service.cache.memory import MemoryCache
from service.cache.redis_cache import RedisCache
from service.config import Settings

__all__ = ["Cache", "Lookup", "MemoryCache", "RedisCache", "build_cache"]

logger = logging.getLogger(__name__)


def build_cache(settings: Settings) -> Cache:
    """The cache the settings ask for; says once in the log which one serves."""
    if settings.redis_url:
        cache: Cache = RedisCache(
            settings.redis_url, settings.cache_ttl_seconds, settings.redis_timeout_seconds
        )
        logger.info("cache: Redis (ttl %ss)", settings.cache_ttl_seconds)
    else:
        cache = MemoryCache(settings.memory_cache_items, settings.cache_ttl_seconds)
        logger.warning(
            "cache: REDIS_URL is not set, using an in-process LRU of %d answers per worker",
            settings.memory_cache_items,
        )
    return cache
