"""A gunicorn gthread worker that reads whole requests before taking a thread, and leaves
new connections to less loaded siblings.

Reading. gthread gives a connection to a thread as soon as its first bytes arrive, and the
thread then blocks until the headers and the body are in: eight clients sending 50 bytes a
second held all 2 x 4 threads, and /healthz waited 34-40 s. Here the event loop reads each
request into a :class:`~service.web.request_buffer.RequestBuffer`, without a thread, and
hands the connection over only once the request is complete; a request not complete within
``READ_TIMEOUT_SECONDS`` gets a 408 problem and is closed. What the loop holds is bounded:
a body over ``MAX_BODY_BYTES`` is handed over at once (the app answers 413), and past
``4 x MAX_BODY_BYTES`` buffered in the worker a new request is answered 503 ``overloaded``.
gunicorn's own refusals (414, 431, 400 on a malformed request) are problem+json too.

Balancing.
Every worker of a gunicorn server polls the same listening socket, and the kernel wakes
them in a fixed order: the first one awake takes the connection, even while its engine is
computing another article or it already holds a connection per thread. Seen here with
plain gthread: 40 sequential requests all on one worker of two; a second concurrent
Stanza request waiting seconds behind the first while the other worker idled; and 32
keep-alive clients all on one worker, at a third of the throughput of two.

This worker, when its engine is busy or it holds as many connections as it has threads,
stops polling the socket for a moment (its other connections are served meanwhile), so
an idle sibling takes the connection first; if none does, it accepts after the pause, so
nothing is refused, only delayed by that moment. Built on the gthread worker of gunicorn
27 (its ``accept``, ``set_accept_enabled`` and ``wait_for_and_dispatch_events``).
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import struct
import time
from functools import partial
from typing import Any

from gunicorn.http import errors as http_errors
from gunicorn.workers.gthread import TConn, ThreadWorker

from service.activity import engine_busy
from service.config import Settings
from service.web.problem import problem, raw_response
from service.web.request_buffer import RequestBuffer, State

# Long enough for an idle sibling, woken by the same connection, to take it; short enough
# not to matter beside an uncached answer (100 ms with spaCy, seconds with Stanza).
_DEFER_SECONDS = 0.02


_RECV_BYTES = 256 * 1024
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
# gunicorn's refusals of a request it cannot parse: (status, reason, slug); others are 400.
_GUNICORN_REFUSALS: dict[type[Exception], tuple[int, str, str]] = {
    http_errors.LimitRequestLine: (414, "URI Too Long", "uri-too-long"),
    http_errors.LimitRequestHeaders: (431, "Request Header Fields Too Large", "headers-too-large"),
    http_errors.ExpectationFailed: (417, "Expectation Failed", "expectation-failed"),
    http_errors.UnsupportedTransferCoding: (501, "Not Implemented", "not-implemented"),
    http_errors.ForbiddenProxyRequest: (403, "Forbidden", "forbidden"),
}


class BalancedThreadWorker(ThreadWorker):
    """gthread, but requests are read by the event loop, and a loaded worker lets idle
    siblings accept first."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._defer_until = 0.0
        self._deferred = False  # the last connection seen was left to the siblings
        settings = Settings.from_env()
        self._read_timeout = settings.read_timeout_seconds
        self._body_limit = settings.max_body_bytes
        self._buffer_budget = 4 * settings.max_body_bytes
        self._header_limit = (
            self.cfg.limit_request_line + 4 + (self.cfg.limit_request_field_size + 2) * 101
        )
        self._reading: dict[TConn, tuple[RequestBuffer, float]] = {}
        self._buffered = 0  # bytes held by the requests being read

    def _loaded(self) -> bool:
        return engine_busy() or self.nr_conns >= self.cfg.threads

    def accept(self, listener: Any) -> None:
        """Accept one connection, or, when loaded, leave it to the siblings for a moment
        (once: a connection still waiting after the pause is taken here)."""
        if self._loaded() and not self._deferred:
            self._deferred = True
            self._defer_until = time.monotonic() + _DEFER_SECONDS
            self.set_accept_enabled(False)
            return
        self._deferred = False
        super().accept(listener)

    def set_accept_enabled(self, enabled: bool) -> None:
        """As gthread's, but the socket stays unpolled until the pause is over."""
        if enabled and time.monotonic() < self._defer_until:
            return
        super().set_accept_enabled(enabled)

    def enqueue_req(self, conn: TConn) -> None:
        """Read the connection's next request in the event loop; a thread takes it once
        it is complete (gthread calls this for new and for kept-alive connections)."""
        if getattr(conn, "request_ready", False) or self.cfg.is_ssl:
            # Ready, or TLS (terminated by the ingress here: the loop reads plain HTTP only).
            conn.request_ready = False
            super().enqueue_req(conn)
            return
        buffer = RequestBuffer(self._header_limit, self._body_limit)
        conn.sock.setblocking(False)
        self._reading[conn] = (buffer, time.monotonic() + self._read_timeout)
        ahead = conn.parser.unreader.take_buffered() if conn.parser else b""
        if ahead and self._feed(conn, buffer, ahead):
            return
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._readable, conn))

    def _readable(self, conn: TConn, _: Any) -> None:
        buffer, _deadline = self._reading[conn]
        try:
            data = conn.sock.recv(_RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away before its request was complete
            self._drop(conn)
            return
        if self._buffered + len(data) > self._buffer_budget:
            self._refuse(
                conn,
                503,
                "Service Unavailable",
                "overloaded",
                "Overloaded",
                "The server holds too many incoming requests; retry shortly.",
                Retry_After="5",
            )
            return
        self._feed(conn, buffer, data)

    def _feed(self, conn: TConn, buffer: RequestBuffer, data: bytes) -> bool:
        """Add bytes; hand the connection to a thread when they make a request. True once
        the connection has left the reading set."""
        self._buffered += len(data)
        state = buffer.feed(data)
        if state is State.MORE:
            if buffer.expects_continue:
                # The client waits for this before it sends the body (curl does, above 1 MB).
                buffer.continue_sent()
                try:
                    conn.sock.send(_CONTINUE)
                except OSError:
                    self._drop(conn)
                    return True
            return False
        self._leave(conn)
        conn.init()  # the parser, which reads the buffered request before the socket
        conn.parser.unreader.unread(bytes(buffer.data))
        # A thread that must still read (a request handed over unjudged) or write to a
        # client that does not read gives up after the read timeout, not never.
        timeval = struct.pack("ll", int(self._read_timeout), 0)
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
        conn.request_ready = True
        self.enqueue_req(conn)
        return True

    def _leave(self, conn: TConn) -> None:
        buffer, _ = self._reading.pop(conn)
        self._buffered -= buffer.received
        # Not registered when the request was complete before the loop ever polled it.
        with contextlib.suppress(KeyError, ValueError):
            self.poller.unregister(conn.sock)

    def _drop(self, conn: TConn, answer: bytes = b"") -> None:
        """Close a connection whose request is being read, after ``answer`` if any."""
        self._leave(conn)
        if answer:
            # A client gone or not reading: closing is all there is left to do.
            with contextlib.suppress(OSError):
                conn.sock.send(answer)
        self.nr_conns -= 1
        conn.close()

    def _refuse(
        self,
        conn: TConn,
        status: int,
        reason: str,
        slug: str,
        title: str,
        detail: str,
        **headers: str,
    ) -> None:
        body = problem(status, slug, title, detail)
        self.log.warning("refused a request being read: %s %s", status, detail)
        self._drop(conn, raw_response(status, reason, body, **headers))

    def murder_pending(self) -> None:
        """As gthread's, and: a request still incomplete at its deadline gets 408."""
        super().murder_pending()
        now = time.monotonic()
        for conn in [c for c, (_, deadline) in self._reading.items() if deadline <= now]:
            self._refuse(
                conn,
                408,
                "Request Timeout",
                "request-timeout",
                "Request timeout",
                f"The request did not arrive within {self._read_timeout:g} s.",
            )

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: Exception) -> None:
        """gunicorn's refusal of a request it could not parse, as problem+json."""
        if not isinstance(exc, http_errors.ParseException) or isinstance(
            exc, (http_errors.InvalidResponseHeader, http_errors.InvalidResponseHeaderName)
        ):
            super().handle_error(req, client, addr, exc)
            return
        status, reason, slug = next(
            (v for k, v in _GUNICORN_REFUSALS.items() if isinstance(exc, k)),
            (400, "Bad Request", "malformed-request"),
        )
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        body = problem(status, slug, reason, str(exc) or reason)
        try:
            client.sendall(raw_response(status, reason, body))
        except OSError as err:
            if err.errno not in (errno.EPIPE, errno.ECONNRESET):
                self.log.debug("Failed to send error message.")

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        """As gthread's, but waking at the end of a pause: gthread's loop then polls the
        socket again (it re-enables accepting on every turn)."""
        pause = self._defer_until - time.monotonic()
        if pause > 0:
            timeout = min(timeout, pause)
        super().wait_for_and_dispatch_events(timeout)
