"""The general-purpose polarity lexicon of a language, read from an installed PyPI package
(vaderSentiment for English, textblob-fr for French) as a data file, never imported."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from service.analysis.language_data import LanguageDataError


def _package_file(package: str, name: str) -> Path | None:
    spec = importlib.util.find_spec(package)  # locates without importing the package
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / name
    return path if path.is_file() else None


def general_lexicon(source: dict[str, Any], where: str) -> dict[str, float]:
    """Word form -> polarity in [-1, 1] from the lexicon package ``source`` names (in the
    data file ``where``); a package that is not installed stops the start, like a missing
    data file."""
    path = _package_file(source["package"], source["file"])
    if path is None:
        raise LanguageDataError(
            f"{where}: the lexicon {source['package']}/{source['file']} is not installed "
            "(requirements/models.txt installs it)"
        )
    if source["format"] == "vader":
        table = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) >= 2 and " " not in parts[0]:
                table[parts[0].casefold()] = max(-1.0, min(1.0, float(parts[1]) / 4))
        return table
    # textblob's XML format: <word form=... polarity=...>; trusted package data.
    root = ElementTree.parse(path).getroot()
    table = {}
    for word in root.iter("word"):
        polarity = float(word.get("polarity", "0"))
        if polarity:
            table[word.get("form", "").casefold()] = polarity
    return table
