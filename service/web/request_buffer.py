"""Recognise a complete HTTP/1.1 request in bytes as they arrive.

The gunicorn worker (service/web/gunicorn_worker.py) reads each request into one of these
in its event loop, without a thread, and hands the connection to a thread only once the
whole request is there: a client that sends slowly holds a buffer, never a worker slot.
This is not a parser: it finds where the request ends (the header block, then a body of
``Content-Length`` bytes or chunks up to the last one) and leaves every judgement of the
request to gunicorn and the app, which then read it from memory.
"""

from __future__ import annotations

import enum
import re

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_EXPECT = re.compile(rb"^expect:[ \t]*100-continue[ \t]*\r?\n", re.I | re.M)


class State(enum.Enum):
    """What the bytes so far make."""

    MORE = "more"  # the request is not complete yet
    COMPLETE = "complete"  # one whole request is buffered (and maybe more bytes)
    HAND_OFF = "hand-off"  # not for this buffer to wait on: gunicorn and the app decide


class RequestBuffer:
    """The bytes of one request, and whether it is complete.

    ``header_limit`` is the most bytes a header block may take (beyond it gunicorn answers
    414 or 431 from what is buffered); ``body_limit`` the largest body worth waiting for
    (a larger one is handed off at once, and the app refuses it with 413).
    """

    def __init__(self, header_limit: int, body_limit: int) -> None:
        self.data = bytearray()
        self.received = 0  # bytes fed, whatever was later dropped from ``data``
        self._header_limit = header_limit
        self._body_limit = body_limit
        self._body_start = -1
        self._length: int | None = None  # Content-Length, when the body has one
        self._chunk_at = -1  # chunked: where the next chunk-size line starts
        self._decoded = 0
        self.expects_continue = False  # the client waits for "100 Continue"

    def feed(self, data: bytes) -> State:
        """Add bytes from the socket; what the request now is."""
        self.data += data
        self.received += len(data)
        if self._body_start < 0:
            end = _HEADER_END.search(self.data)
            if end is None:
                return State.HAND_OFF if len(self.data) > self._header_limit else State.MORE
            self._body_start = end.end()
            state = self._read_headers(bytes(self.data[: end.start()]))
            if state is not None:
                return state
        if self._length is not None:
            complete = len(self.data) >= self._body_start + self._length
            return State.COMPLETE if complete else State.MORE
        return self._scan_chunks()

    def continue_sent(self) -> None:
        """The worker answered "100 Continue" itself: drop the Expect header, so that
        gunicorn does not answer it a second time."""
        head = bytes(self.data[: self._body_start])
        stripped = _EXPECT.sub(b"", head, count=1)
        self.data[: self._body_start] = stripped
        self._body_start = len(stripped)
        if self._chunk_at >= 0:
            self._chunk_at -= len(head) - len(stripped)
        self.expects_continue = False

    def _read_headers(self, head: bytes) -> State | None:
        """Framing from the header block; a state when it is already decided."""
        lengths, chunked = [], False
        for line in head.split(b"\n")[1:]:
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == b"content-length":
                lengths.append(value)
            elif name == b"transfer-encoding":
                chunked = chunked or value.endswith(b"chunked")
            elif name == b"expect" and value == b"100-continue":
                self.expects_continue = True
        if chunked:
            if lengths:
                return State.HAND_OFF  # both framings: gunicorn refuses it
            self._chunk_at = self._body_start
            return None
        if len(set(lengths)) > 1 or (lengths and not lengths[0].isdigit()):
            return State.HAND_OFF  # malformed: gunicorn answers 400
        self._length = int(lengths[0]) if lengths else 0
        if self._length > self._body_limit:
            return State.HAND_OFF
        return None

    def _scan_chunks(self) -> State:
        """Walk the chunks received so far (each only once); complete after the last."""
        while True:
            eol = self.data.find(b"\n", self._chunk_at)
            if eol < 0:
                return State.HAND_OFF if len(self.data) - self._chunk_at > 1024 else State.MORE
            size_field = bytes(self.data[self._chunk_at : eol]).split(b";", 1)[0].strip()
            try:
                size = int(size_field, 16)
            except ValueError:
                return State.HAND_OFF  # gunicorn answers 400
            if size == 0:
                # The last chunk; the request ends after the trailer block (often empty).
                rest = self.data[eol + 1 :]
                if rest.startswith((b"\r\n", b"\n")) or _HEADER_END.search(rest):
                    return State.COMPLETE
                return State.MORE
            self._decoded += size
            if self._decoded > self._body_limit:
                return State.HAND_OFF  # the app refuses it with 413
            after = eol + 1 + size
            if len(self.data) < after + 2:
                return State.MORE
            self._chunk_at = after + (2 if self.data[after : after + 2] == b"\r\n" else 1)
