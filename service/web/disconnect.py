"""Whether the client of the current request has gone: its work is then dropped.

Under gunicorn the WSGI environ carries the connection's socket. The request has been read
whole before the app runs (service/web/gunicorn_worker.py), so a socket that turns readable
with nothing to read means the client closed it. Elsewhere (the Flask test client) no
client ever goes.
"""

from __future__ import annotations

import select
import socket
from collections.abc import Callable
from typing import Any


def client_gone(environ: dict[str, Any]) -> Callable[[], bool] | None:
    """A check of whether the client closed its connection, or None when it cannot tell."""
    sock = environ.get("gunicorn.socket")
    if not isinstance(sock, socket.socket):
        return None

    def gone() -> bool:
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return False
            # A pipelined next request is data, not a departure.
            return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return False
        except (OSError, ValueError):
            return True  # reset, or closed already

    return gone
