"""The language data files, ``data/<lang>/<kind>.json``, each checked against the JSON Schema
of its kind (``schemas/<kind>.schema.json``) as it is read.

A missing or malformed file raises :class:`LanguageDataError` naming the file, so a language
is never served with partial knowledge. Files are read once per process, at start-up.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

DATA = Path(__file__).with_name("data")
SCHEMAS = Path(__file__).with_name("schemas")
_SUFFIX = ".schema.json"
KINDS = tuple(sorted(p.name.removesuffix(_SUFFIX) for p in SCHEMAS.glob(f"*{_SUFFIX}")))


class LanguageDataError(ValueError):
    """A language data file is missing or does not match its schema."""


def languages() -> list[str]:
    """The languages that have a data directory."""
    return sorted(p.name for p in DATA.iterdir() if p.is_dir())


@cache
def validator(kind: str) -> Draft202012Validator:
    """The schema validator of one kind of file (``verbs``, ``places``...)."""
    schema = json.loads((SCHEMAS / f"{kind}{_SUFFIX}").read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def load(path: Path, kind: str) -> dict[str, Any]:
    """One data file, checked against the schema of ``kind``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise LanguageDataError(f"{path}: the file is missing") from exc
    except ValueError as exc:
        raise LanguageDataError(f"{path}: not valid JSON: {exc}") from exc
    error = best_match(validator(kind).iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the top level"
        raise LanguageDataError(f"{path}: at {where}: {error.message}")
    return data


def read(language: str, kind: str) -> dict[str, Any]:
    """The ``kind`` file of ``language``."""
    return load(DATA / language / f"{kind}.json", kind)
