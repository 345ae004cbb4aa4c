"""Settings: read once from the environment into one immutable object.

Nothing else in the service reads ``os.environ``; every module receives what it needs
from a :class:`Settings` instance built by :func:`Settings.from_env`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

ENGINE_CHOICES = ("auto", "stanza", "spacy")
POLARITY_CHOICES = ("auto", "on", "off")
# Where the trained polarity weights are committed (service/engines/polarity/weights/).
DEFAULT_POLARITY_WEIGHTS = (
    Path(__file__).resolve().parent / "engines" / "polarity" / "weights" / "polarity.safetensors"
)
MAX_BATCH_DOCUMENTS = 1000


class SettingsError(ValueError):
    """An environment variable holds a value the service cannot use."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise SettingsError(f"{name} must be >= {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from exc
    if value <= 0:
        raise SettingsError(f"{name} must be > 0, got {value}")
    return value


def _str(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name)
    return default if raw is None or raw.strip() == "" else raw.strip()


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = _str(env, name, str(default)).lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _list(env: Mapping[str, str], name: str, default: str) -> tuple[str, ...]:
    items = [item.strip().lower() for item in _str(env, name, default).split(",")]
    return tuple(dict.fromkeys(item for item in items if item))


@dataclass(frozen=True)
class Settings:
    """Every setting of the service, with its default; see the README's table."""

    host: str = "127.0.0.1"
    port: int = 8080
    engine: str = "auto"
    languages: tuple[str, ...] = ("fr", "en")
    stanza_resources_dir: Path = Path.home() / "stanza_resources"
    redis_url: str | None = None
    cache_ttl_seconds: int = 7 * 24 * 3600
    cache_prefix: str = "enrich"
    memory_cache_items: int = 1024
    redis_timeout_seconds: float = 0.25
    max_text_chars: int = 200_000
    max_body_bytes: int = 8 * 1024 * 1024
    max_text_tokens: int = 50_000
    max_batch_documents: int = 32
    max_batch_chars: int = 200_000
    read_timeout_seconds: float = 20.0
    request_timeout_seconds: float = 60.0
    torch_threads: int = 1
    log_level: str = "INFO"
    prometheus_multiproc_dir: str | None = None
    workers: int = 2
    threads: int = 4
    worker_max_documents: int = 2000
    preload_models: bool = True
    api_keys: tuple[str, ...] = ()
    # The learned target-polarity model: "auto" loads it when the weights file exists (and
    # serves lexicon-only, saying so, when it does not); "on" makes a missing or unusable
    # model a start-up error; "off" never loads it (about 430 MiB less per process).
    polarity_model: str = "auto"
    polarity_weights: Path = DEFAULT_POLARITY_WEIGHTS
    polarity_bf16: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables (``os.environ`` by default)."""
        env = os.environ if environ is None else environ
        engine = _str(env, "SERVICE_ENGINE", cls.engine).lower()
        if engine not in ENGINE_CHOICES:
            raise SettingsError(f"SERVICE_ENGINE must be one of {ENGINE_CHOICES}, got {engine!r}")
        polarity = _str(env, "POLARITY_MODEL", cls.polarity_model).lower()
        if polarity not in POLARITY_CHOICES:
            raise SettingsError(
                f"POLARITY_MODEL must be one of {POLARITY_CHOICES}, got {polarity!r}"
            )
        batch = _int(env, "MAX_BATCH_DOCUMENTS", cls.max_batch_documents, 1)
        if batch > MAX_BATCH_DOCUMENTS:
            # The JSON reader's bound on any list (service/web/body.py) lies above it.
            raise SettingsError(f"MAX_BATCH_DOCUMENTS must be <= {MAX_BATCH_DOCUMENTS}")
        return cls(
            host=_str(env, "SERVICE_HOST", cls.host),
            port=_int(env, "PORT", cls.port, minimum=1),
            engine=engine,
            languages=_list(env, "SERVICE_LANGUAGES", ",".join(cls.languages)),
            stanza_resources_dir=Path(
                _str(env, "STANZA_RESOURCES_DIR", str(Path.home() / "stanza_resources"))
            ).expanduser(),
            redis_url=env.get("REDIS_URL") or None,
            cache_ttl_seconds=_int(env, "CACHE_TTL_SECONDS", cls.cache_ttl_seconds, minimum=1),
            cache_prefix=_str(env, "CACHE_PREFIX", cls.cache_prefix),
            memory_cache_items=_int(env, "MEMORY_CACHE_ITEMS", cls.memory_cache_items),
            redis_timeout_seconds=_float(env, "REDIS_TIMEOUT_SECONDS", cls.redis_timeout_seconds),
            max_text_chars=_int(env, "MAX_TEXT_CHARS", cls.max_text_chars, minimum=1),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", cls.max_body_bytes, minimum=1024),
            max_text_tokens=_int(env, "MAX_TEXT_TOKENS", cls.max_text_tokens, minimum=1),
            max_batch_documents=batch,
            max_batch_chars=_int(env, "MAX_BATCH_CHARS", cls.max_batch_chars, minimum=1),
            read_timeout_seconds=_float(env, "READ_TIMEOUT_SECONDS", cls.read_timeout_seconds),
            request_timeout_seconds=_float(
                env, "REQUEST_TIMEOUT_SECONDS", cls.request_timeout_seconds
            ),
            torch_threads=_int(env, "TORCH_THREADS", cls.torch_threads, minimum=1),
            log_level=_str(env, "LOG_LEVEL", cls.log_level).upper(),
            prometheus_multiproc_dir=env.get("PROMETHEUS_MULTIPROC_DIR") or None,
            workers=_int(env, "WEB_CONCURRENCY", cls.workers, minimum=1),
            threads=_int(env, "GUNICORN_THREADS", cls.threads, minimum=1),
            worker_max_documents=_int(
                env, "WORKER_MAX_DOCUMENTS", cls.worker_max_documents, minimum=0
            ),
            preload_models=_bool(env, "PRELOAD_MODELS", cls.preload_models),
            api_keys=tuple(
                k.strip() for k in env.get("SERVICE_API_KEYS", "").split(",") if k.strip()
            ),
            polarity_model=polarity,
            polarity_weights=Path(
                _str(env, "POLARITY_WEIGHTS", str(DEFAULT_POLARITY_WEIGHTS))
            ).expanduser(),
            polarity_bf16=_bool(env, "POLARITY_BF16", cls.polarity_bf16),
        )

    def __repr__(self) -> str:
        # Settings end up in tracebacks and debug output: never show secrets.
        hidden = {
            "api_keys": f"<{len(self.api_keys)} keys>",
            "redis_url": "<set>" if self.redis_url else None,
        }
        shown = ", ".join(
            f"{f.name}={hidden.get(f.name, getattr(self, f.name))!r}" for f in fields(self)
        )
        return f"Settings({shown})"
