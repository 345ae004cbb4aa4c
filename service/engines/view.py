"""What an engine sees of a text: the same text, with the runs that make engines slow
blanked out, character for character.

spaCy's tokenizer takes time in the square of a run without spaces that it splits
(40,000 '!' took ~91 s; 16,000 emoji 48.6 s) and every engine spends a full token's work
on each of thousands of '!'. So the engine is given a copy in which

* a run of more than :data:`MAX_SYMBOLS` symbols (neither letter, digit nor space: '!',
  emoji, '=' ...) keeps its first ones and has the rest replaced by spaces, and
* a run of more than :data:`MAX_RUN` characters without whitespace (a URL, a base64 blob)
  has every :data:`MAX_RUN`-th character replaced by a space.

The copy has the same length, so every offset the engine reports is an offset of the
client's text, and the answer quotes the client's text: a replaced character is only never
part of a token. :func:`token_estimate` bounds the work that remains.
"""

from __future__ import annotations

import re

MAX_SYMBOLS = 10
MAX_RUN = 100

_SYMBOLS = re.compile(rf"[^\w\s]{{{MAX_SYMBOLS + 1},}}")
_LONG_RUN = re.compile(rf"\S{{{MAX_RUN + 1},}}")
_TOKEN = re.compile(r"\w+|[^\w\s]")


def _blank_symbols(match: re.Match[str]) -> str:
    run = match.group()
    return run[:MAX_SYMBOLS] + " " * (len(run) - MAX_SYMBOLS)


def _break_run(match: re.Match[str]) -> str:
    run = match.group()
    pieces = (run[i : i + MAX_RUN] for i in range(0, len(run), MAX_RUN))
    return "".join(p[:-1] + " " if len(p) == MAX_RUN else p for p in pieces)


def engine_view(text: str) -> str:
    """``text`` as the engine should see it (the same string when nothing is to blank)."""
    view = _SYMBOLS.sub(_blank_symbols, text)
    return _LONG_RUN.sub(_break_run, view)


def token_estimate(view: str) -> int:
    """About how many tokens an engine makes of ``view``, what its work grows with: its
    words, and each symbol on its own (the way tokenizers split punctuation and emoji)."""
    return len(_TOKEN.findall(view))
