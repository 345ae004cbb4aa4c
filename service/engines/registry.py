"""Which engine serves which language, loaded once per worker process."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from service.config import Settings
from service.engines.base import Engine, EngineLoadError, UnsupportedLanguageError
from service.engines.catalog import (
    installed_spacy_package,
    spacy_candidates,
    spacy_install_hint,
    stanza_available,
    stanza_install_hint,
)
from service.engines.target_model import PolarityStatus, load_target_model

if TYPE_CHECKING:
    from service.engines.polarity import PolarityScorer

logger = logging.getLogger(__name__)


class NotReadyError(RuntimeError):
    """Models for the language are still loading."""


@dataclass(slots=True)
class LanguageStatus:
    """Where one configured language stands: loading, ready, missing or failed."""

    language: str
    state: str = "loading"
    engine: str | None = None
    detail: str | None = None
    hint: str | None = None
    models: dict[str, str] = field(default_factory=dict)


def install_hint(language: str, engine_choice: str) -> str:
    """The exact command(s) that make ``language`` available under ``engine_choice``."""
    stanza = f"{stanza_install_hint(language)} (Stanza, needs internet)"
    if engine_choice == "stanza" or not spacy_candidates(language):
        return stanza
    if engine_choice == "spacy":
        return spacy_install_hint(language)
    return f"{spacy_install_hint(language)}, or {stanza}"


class EngineRegistry:
    """Loads one pipeline per configured language and hands it out to requests."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._engines: dict[str, Engine] = {}
        self._status = {lang: LanguageStatus(lang) for lang in settings.languages}
        self._done = threading.Event()
        # The learned target-polarity model (service/engines/target_model.py): one per
        # process, shared by every language; None when it does not serve.
        self.polarity: PolarityScorer | None = None
        self.polarity_status = PolarityStatus("loading")
        self._failure: Exception | None = None
        self._started = False
        self._start_lock = threading.Lock()

    def start(self, background: bool = True) -> None:
        """Load every configured language and the polarity model once, in a thread unless
        ``background`` is False. In the foreground, a polarity model that is to load and
        cannot raises :class:`~service.engines.target_model.PolarityUnavailableError`
        (in the background it leaves the registry unready, with the reason)."""
        with self._start_lock:
            if self._started:
                return
            self._started = True
        if background:
            threading.Thread(target=self._load_all, name="model-loader", daemon=True).start()
        else:
            self._load_all()
            if self._failure is not None:
                raise self._failure

    def _load_all(self) -> None:
        try:
            # First: no language serves (and no answer is cached) before it is known
            # whether answers come with the model.
            self.polarity, self.polarity_status = load_target_model(self._settings)
            for language in self._settings.languages:
                self._load(language)
        except EngineLoadError as exc:
            self._failure = exc
            self.polarity_status = PolarityStatus("failed", detail=str(exc))
            for status in self._status.values():  # none loads without the model it needs
                status.state, status.detail = "failed", str(exc)
            logger.error("%s", exc)
        finally:
            self._done.set()

    def _load(self, language: str) -> None:
        status = self._status[language]
        choice = self._settings.engine
        began = time.perf_counter()
        try:
            engine = self._build(language, choice)
        except EngineLoadError as exc:
            status.state, status.detail = "failed", str(exc)
            status.hint = install_hint(language, choice)
            logger.error("language %s failed to load: %s", language, exc)
            return
        if engine is None:
            status.state, status.hint = "missing", install_hint(language, choice)
            which = "" if choice == "auto" else f"{choice} "
            status.detail = f"no {which}model installed for {language!r}"
            logger.warning("no model for %s; install with: %s", language, status.hint)
            return
        self._engines[language] = engine
        status.state, status.engine = "ready", engine.info.name
        status.models = dict(engine.info.models)
        logger.info(
            "loaded %s for %s in %.1fs", engine.info.name, language, time.perf_counter() - began
        )

    def _build(self, language: str, choice: str) -> Engine | None:
        resources = self._settings.stanza_resources_dir
        if choice in ("auto", "stanza") and stanza_available(resources, language):
            from service.engines.stanza_engine import StanzaEngine

            return StanzaEngine(language, resources, self._settings.torch_threads)
        if choice in ("auto", "spacy"):
            candidate = installed_spacy_package(language)
            if candidate is not None:
                from service.engines.spacy_engine import SpacyEngine

                return SpacyEngine(language, candidate)
        return None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until loading has finished; True when every language is ready."""
        self._done.wait(timeout)
        return self.ready()

    def ready(self) -> bool:
        """True once every configured language has a loaded engine."""
        return (
            self._done.is_set()
            and self._failure is None
            and all(s.state == "ready" for s in self._status.values())
        )

    def served(self) -> frozenset[str]:
        """Languages with a loaded engine."""
        return frozenset(self._engines)

    def fingerprint(self) -> dict[str, dict[str, object]]:
        """Every loaded engine's identity by language: what decides an answer when the
        language is detected rather than given."""
        return {language: engine.info.as_dict() for language, engine in self._engines.items()}

    def statuses(self) -> list[LanguageStatus]:
        """Per configured language, what is loaded or why not."""
        return list(self._status.values())

    def get(self, language: str) -> Engine:
        """The engine for ``language``, or the error the client should see."""
        engine = self._engines.get(language)
        if engine is not None:
            return engine
        status = self._status.get(language)
        if status is not None and status.state == "loading":
            raise NotReadyError(f"models for {language!r} are still loading")
        if status is None:
            hint = install_hint(language, self._settings.engine)
            hint += f"; then add {language!r} to SERVICE_LANGUAGES"
        else:
            hint = status.hint or install_hint(language, self._settings.engine)
        raise UnsupportedLanguageError(language, hint)
