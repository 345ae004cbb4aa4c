"""The cache interface, the key scheme and the value codec shared by both backends."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from enum import StrEnum
from typing import Literal, Protocol

import orjson
import zstandard

# Values start with this tag so that a foreign or corrupt value under our key is detected
# and ignored instead of served.
TAG = b"ENR2"
# zstd contexts are not thread-safe: one pair per thread (request and engine threads all
# encode and decode).
_local = threading.local()


def _codec() -> tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor]:
    if not hasattr(_local, "codec"):
        # The checksum makes a damaged value fail to decompress instead of decoding to junk.
        _local.codec = (
            zstandard.ZstdCompressor(level=3, write_checksum=True),
            zstandard.ZstdDecompressor(),
        )
    return _local.codec


Release = Callable[[], None]


class Lookup(StrEnum):
    """What a lookup found; the ``X-Cache`` header carries it in upper case."""

    HIT = "hit"
    MISS = "miss"
    BYPASS = "bypass"  # the cache could not be asked: the answer is computed, not stored


class Cache(Protocol):
    """A byte store with expiry and an optional cross-process lock."""

    backend: str

    def get(self, key: str) -> tuple[bytes | None, Lookup]:
        """The stored value and what the lookup found."""
        ...

    def set(self, key: str, value: bytes) -> bool:
        """Store ``value``; False when the backend could not be reached."""
        ...

    def lock(self, key: str, ttl_seconds: float) -> Release | Literal[False] | None:
        """Take a cross-process lock: its release function when taken, False when held
        elsewhere, None when the backend has no such lock or cannot be reached."""
        ...

    def healthy(self) -> bool:
        """True when the backend answers now."""
        ...


def cache_key(prefix: str, version: int, parts: dict[str, object]) -> str:
    """``prefix:v<version>:<sha256>`` over every input that shapes the answer."""
    digest = hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return f"{prefix}:v{version}:{digest}"


def encode(body: bytes) -> bytes:
    """Compress an answer for storage."""
    return TAG + _codec()[0].compress(body)


def decode(value: bytes) -> bytes | None:
    """The stored answer, or None when the value is not one of ours or is damaged: wrong
    tag, bad checksum, or not shaped as a JSON object once decompressed.

    Only the first and last bytes are checked, not the whole JSON: the frame's checksum
    already proves the bytes are the ones ``encode`` compressed, and parsing a 35 kB answer
    would cost more than the rest of a cache hit together."""
    if not value.startswith(TAG):
        return None
    try:
        body = _codec()[1].decompress(value[len(TAG) :])
    except zstandard.ZstdError:
        return None
    return body if body[:1] == b"{" and body[-1:] == b"}" else None
