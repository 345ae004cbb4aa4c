"""Command line: ``python -m service serve | enrich FILE|- | models [download LANG...]``."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

import orjson

from service.analysis import DEFAULT_SECTIONS, SECTIONS
from service.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def _serve(settings: Settings, _: argparse.Namespace) -> int:
    """Replace this process with gunicorn on the project's configuration."""
    conf = ROOT / "gunicorn.conf.py"
    argv = [sys.executable, "-m", "gunicorn", "-c", str(conf), "service:create_app()"]
    os.execv(sys.executable, argv)
    return 0  # not reached


class CliError(Exception):
    """A failure the command line reports in one line, with exit status 2."""


def _sections(value: str) -> tuple[str, ...]:
    """``--include``: comma-separated section names, each one the API knows."""
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    unknown = [name for name in names if name not in SECTIONS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown section(s) {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(sorted(SECTIONS))}"
        )
    return names


def _read(name: str) -> str:
    """The text of a file, or of stdin for ``-``; a file that cannot be read is a
    one-line error, not a traceback."""
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CliError(f"cannot read {name}: {reason}") from exc


def _enrich(settings: Settings, args: argparse.Namespace) -> int:
    """Print the JSON answer for one text file, without a server."""
    from service.cache import MemoryCache
    from service.engines import EngineLoadError, EngineRegistry, UnsupportedLanguageError
    from service.enrichment import Enricher, EnrichRequest, TextTooLongError
    from service.language import LanguageDetector

    text = _read(args.file)
    if not text.strip():
        raise CliError("the text is empty")
    detector = LanguageDetector()
    # Detected among the configured languages, as the API picks among those it serves.
    language = args.language or detector.detect(text, settings.languages)[0]
    # Load only the language this text needs.
    settings = dataclasses.replace(settings, languages=(language,))
    registry = EngineRegistry(settings)
    try:
        registry.start(background=False)
    except EngineLoadError as exc:  # the polarity model was to load and could not
        raise CliError(str(exc)) from exc
    enricher = Enricher(settings, registry, MemoryCache(0, 1), detector)
    include = args.include or DEFAULT_SECTIONS
    try:
        answer = enricher.enrich(EnrichRequest(text, args.language, None, None, include))
    except (UnsupportedLanguageError, TextTooLongError) as exc:
        raise CliError(str(exc)) from exc
    pretty = orjson.dumps(orjson.loads(answer.body), option=orjson.OPT_INDENT_2)
    sys.stdout.write(pretty.decode() + "\n")
    return 0


def _models(settings: Settings, args: argparse.Namespace) -> int:
    """List installed models per language, or download Stanza's."""
    from service.engines import models_admin

    if args.action == "download":
        return models_admin.download(settings, args.languages or list(settings.languages))
    return models_admin.report(settings, args.languages or list(settings.languages))


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m service``."""
    parser = argparse.ArgumentParser(prog="python -m service", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="serve the API with gunicorn (settings from the environment)")
    enrich = sub.add_parser("enrich", help="print the JSON answer for a text file ('-': stdin)")
    enrich.add_argument("file")
    enrich.add_argument("--language", help="ISO 639-1 code; detected when absent")
    enrich.add_argument(
        "--include", type=_sections, help=f"comma-separated, of: {', '.join(sorted(SECTIONS))}"
    )
    models = sub.add_parser("models", help="list installed models; 'download' fetches Stanza's")
    models.add_argument("action", nargs="?", choices=["list", "download"], default="list")
    models.add_argument("languages", nargs="*", help="default: SERVICE_LANGUAGES")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    handler = {"serve": _serve, "enrich": _enrich, "models": _models}[args.command]
    try:
        return handler(settings, args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
