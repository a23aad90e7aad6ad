"""Any web page a user visits can send requests to their localhost: refuse the ones it can.

Two checks, as an ASGI middleware in front of every route:

* Host allow-list (DNS rebinding): a foreign site that makes its own name resolve to 127.0.0.1
  reaches this server with its own name in the Host header. Only the loopback names and the
  --host value are served, with the server's port when it is known; anything else is 400.
* Origin check (cross-site requests): a browser names the page that sent a POST in Origin.
  One that is not this server itself is 403. A request without Origin is not from a foreign
  page's script (browsers always send it on cross-origin POSTs), so curl and scripts still work.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def split_host(value: str) -> tuple[str, int | None] | None:
    """ "name:port" / "[v6]:port" / "name" -> (lower-case name without brackets, port); None
    when it does not parse."""
    try:
        parts = urlsplit(f"//{value}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or parts.username is not None or parts.path or parts.query:
        return None
    return parts.hostname.lower(), port


class HostOriginGuard:
    """``hosts``: names served besides loopback (the --host value); ``port``: the port the
    server listens on, or None when unknown (an app built without a socket, as in tests)."""

    def __init__(self, app: ASGIApp, *, hosts: Iterable[str] = (), port: int | None = None) -> None:
        self.app = app
        self.names = {name.strip("[]").lower() for name in (*LOOPBACK_NAMES, *hosts) if name}
        # A wildcard bind is reached through any of the machine's addresses; still only those
        # named here are accepted, so 0.0.0.0 itself adds nothing but loopback.
        self.names -= {"0.0.0.0", "::", ""}
        self.port = port

    def host_allowed(self, value: str | None) -> bool:
        parsed = split_host(value or "")
        if parsed is None:
            return False
        name, port = parsed
        return name in self.names and (self.port is None or port == self.port)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host")
        if not self.host_allowed(host):
            await _refuse(send, 400, f"this server answers only to localhost, not to Host {host!r} (DNS rebinding?)")
            return
        origin = headers.get("origin")
        if scope["method"] not in SAFE_METHODS and origin is not None and not _same_origin(origin, host):
            await _refuse(send, 403, f"cross-site request from {origin!r} refused")
            return
        await self.app(scope, receive, send)


def _same_origin(origin: str, host: str | None) -> bool:
    parts = urlsplit(origin)
    # "null" (a sandboxed frame, a file:// page) has no netloc and is never this server.
    return parts.scheme == "http" and bool(parts.netloc) and parts.netloc.lower() == (host or "").lower()


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
