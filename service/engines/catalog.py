"""What models exist on this machine for each engine, and how to get the missing ones.

Answers without loading any model, so that readiness, ``/v1/languages`` and the ``models``
command can say what is installed and what to type to install the rest.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

# Stanza processors the service runs, in pipeline order; a language gets the subset its
# default package has (mwt and sentiment exist only for some languages).
STANZA_PROCESSORS = ("tokenize", "mwt", "pos", "lemma", "depparse", "ner", "sentiment")


def stanza_install_hint(language: str) -> str:
    """The command that fetches Stanza's models for ``language`` (needs internet)."""
    return f"python -m service models download {language}"


@dataclass(frozen=True, slots=True)
class SpacyCandidate:
    """One pip-installable spaCy pipeline that can serve a language."""

    package: str
    install: str
    expect: dict[str, Any]


@cache
def _spacy_table() -> dict[str, list[SpacyCandidate]]:
    raw = json.loads(Path(__file__).with_name("spacy_models.json").read_text(encoding="utf-8"))
    return {
        lang: [SpacyCandidate(c["package"], c["install"], c["expect"]) for c in items]
        for lang, items in raw.items()
        if not lang.startswith("_")
    }


def spacy_candidates(language: str) -> list[SpacyCandidate]:
    """Known offline spaCy pipelines for ``language``, best first."""
    return list(_spacy_table().get(language, []))


def installed_spacy_package(language: str) -> SpacyCandidate | None:
    """The best spaCy pipeline for ``language`` that is importable here, if any."""
    for candidate in spacy_candidates(language):
        if importlib.util.find_spec(candidate.package) is not None:
            return candidate
    return None


def spacy_install_hint(language: str) -> str:
    """The command that installs an offline spaCy pipeline for ``language``."""
    candidates = spacy_candidates(language)
    if not candidates:
        return f"no offline spaCy pipeline is known for {language!r}"
    return candidates[-1].install  # the last one is on PyPI


def _read_resources(resources_dir: Path) -> dict[str, Any] | None:
    path = resources_dir / "resources.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def stanza_processors(resources_dir: Path, language: str) -> dict[str, str] | None:
    """Processor -> package Stanza would run for ``language``, or None without resources."""
    resources = _read_resources(resources_dir)
    if not resources or language not in resources:
        return None
    entry = resources[language]
    if "alias" in entry:
        entry = resources.get(entry["alias"], {})
    defaults = entry.get("default_processors", {})
    chosen = {p: defaults[p] for p in STANZA_PROCESSORS if p in defaults}
    return chosen if "tokenize" in chosen else None


def stanza_missing_files(resources_dir: Path, language: str) -> list[Path]:
    """Model files (with their pretrain and charlm dependencies) not on disk for ``language``.

    Uses Stanza's own resolution of processors and dependencies, so the answer matches what
    ``stanza.Pipeline`` will try to open.
    """
    processors = stanza_processors(resources_dir, language)
    if processors is None:
        return [resources_dir / "resources.json"]
    from stanza.resources import common  # engine package: the only place stanza is imported

    resources = _read_resources(resources_dir) or {}
    plist = common.maintain_processor_list(
        resources, language, None, dict(processors), maybe_add_mwt=False
    )
    flat = common.flatten_processor_list(common.add_dependencies(resources, language, plist))
    wanted = {resources_dir / language / proc / f"{pkg}.pt" for proc, pkg in flat}
    return sorted(path for path in wanted if not path.is_file())


def stanza_available(resources_dir: Path, language: str) -> bool:
    """True when every Stanza model file the language needs is on disk."""
    return stanza_processors(resources_dir, language) is not None and not stanza_missing_files(
        resources_dir, language
    )
