"""Command line: ``python -m tests.stanza_fixture OUT_CACHE_DIR [--langs fr,en]``.

Builds the tiny Stanza models (or reuses a cached build) and prints the resources directory.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .build import build_tiny_resources


def main(argv: list[str] | None = None) -> None:
    """Parse ``argv``, build or reuse the resources and print their directory."""
    parser = argparse.ArgumentParser(prog="python -m tests.stanza_fixture", description=__doc__)
    parser.add_argument("cache_dir", type=Path, help="cache root; the build goes in a subdirectory")
    parser.add_argument(
        "--langs", default="fr,en", help="comma-separated languages (default: fr,en)"
    )
    args = parser.parse_args(argv)
    langs = tuple(lang.strip() for lang in args.langs.split(",") if lang.strip())
    print(build_tiny_resources(args.cache_dir, langs))


if __name__ == "__main__":
    main()
