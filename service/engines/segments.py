"""Cut a text into line segments before an engine sees it.

News text carries headlines, captions and credits on lines of their own, without a full
stop; parsers run them into the next sentence. The Stanza engine therefore annotates line
segments and shifts their offsets back, so no sentence crosses a line break. (The spaCy
engine parses the whole text at once, since its NER reads context across lines, and cuts
sentences and heads at line breaks afterwards.)
A hard-wrapped paragraph (a long line ending mid-sentence, the next starting in lower case)
stays in one segment.
"""

from __future__ import annotations

import re

_LINE = re.compile(r"[^\r\n]+")
_WRAP_MIN = 60  # lines this long that end mid-sentence are wrapped prose, not headlines
_SENTENCE_END = tuple(".!?:;»\"”'…)")


def segments(text: str) -> list[tuple[int, str]]:
    """(offset, segment) pairs covering every non-blank line of ``text``."""
    out: list[tuple[int, int]] = []
    for match in _LINE.finditer(text):
        start, end = match.span()
        if not text[start:end].strip():
            continue
        if out:
            prev_start, prev_end = out[-1]
            previous = text[prev_start:prev_end].rstrip()
            between = text[prev_end:start]
            wrapped = (
                len(previous) >= _WRAP_MIN
                and not previous.endswith(_SENTENCE_END)
                and text[start:end].lstrip()[:1].islower()
                and between.count("\n") <= 1
            )
            if wrapped:
                out[-1] = (prev_start, end)
                continue
        out.append((start, end))
    return [(start, text[start:end]) for start, end in out]
