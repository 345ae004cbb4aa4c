"""Command line: ``python -m service serve | enrich FILE|- | models [download LANG...]``."""

from __future__ import annotations

import argparse
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


def _enrich(settings: Settings, args: argparse.Namespace) -> int:
    """Print the JSON answer for one text file, without a server."""
    from service.cache import MemoryCache
    from service.engines import EngineRegistry, UnsupportedLanguageError
    from service.enrichment import Enricher, EnrichRequest, TextTooLongError
    from service.language import LanguageDetector

    text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    if not text.strip():
        print("error: the text is empty", file=sys.stderr)
        return 2
    detector = LanguageDetector()
    language = args.language or detector.detect(text)[0]
    # Load only the language this text needs.
    settings = settings.replace(languages=(language,))
    registry = EngineRegistry(settings)
    registry.start(background=False)
    enricher = Enricher(settings, registry, MemoryCache(0, 1), detector)
    include = tuple(args.include.split(",")) if args.include else DEFAULT_SECTIONS
    try:
        answer = enricher.enrich(EnrichRequest(text, args.language, None, None, include))
    except (UnsupportedLanguageError, TextTooLongError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
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
    enrich.add_argument("--include", help=f"comma-separated, of: {', '.join(sorted(SECTIONS))}")
    models = sub.add_parser("models", help="list installed models; 'download' fetches Stanza's")
    models.add_argument("action", nargs="?", choices=["list", "download"], default="list")
    models.add_argument("languages", nargs="*", help="default: SERVICE_LANGUAGES")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    handler = {"serve": _serve, "enrich": _enrich, "models": _models}[args.command]
    return handler(settings, args)
