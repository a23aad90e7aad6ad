"""`kintsugi serve`: a local web page to open, paint, repair, compare and save.

create_app() builds the FastAPI app (tests use it directly; uvicorn can too, in factory mode:
``uvicorn --factory kintsugi.server:create_app``). configure_cli()/run_cli() are the hooks the
CLI registers. FastAPI and uvicorn are imported only inside these functions: they are the
optional ``serve`` extra, and `kintsugi --help` must work without them.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from kintsugi import argtypes

if TYPE_CHECKING:
    from fastapi import FastAPI

DEFAULT_HOST = "127.0.0.1"  # loopback only: the page is for the person at this machine
DEFAULT_PORT = 7860
DEFAULT_MAX_UPLOAD_MB = 64
# Below the CLI's limit: every pixel is also held by the browser (canvas, mask, result), and a
# 50 MP page is already far beyond any scan a browser tab edits comfortably.
DEFAULT_MAX_PIXELS = 50_000_000
# Bodies in progress, all together (see scheduler.py): what 20 concurrent uploads may hold.
DEFAULT_BODY_BUDGET = 256_000_000

__all__ = [
    "DISTRIBUTION",
    "INSTALL_HINT",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "bind",
    "configure_cli",
    "create_app",
    "run_cli",
]


def create_app(
    *,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_MB * 1_000_000,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    workers: int | None = None,
    queue: int | None = None,
    small_queue: int | None = None,
    hosts: tuple[str, ...] = (),
    port: int | None = None,
) -> FastAPI:
    """The web app. ``max_pixels`` None or 0 = no limit; ``workers`` (repairs running at once)
    defaults to the number of CPU cores; ``queue`` big jobs (default: as many as workers) and
    ``small_queue`` small ones (default: as many) may wait for them; one more is 503.
    ``hosts``/``port``: the Host names (besides loopback) and port the server answers to."""
    from kintsugi.server.app import Settings, build_app

    if max_upload_bytes <= 0:
        raise ValueError(f"max_upload_bytes must be positive, got {max_upload_bytes}")
    workers = max(1, workers or os.cpu_count() or 1)
    settings = Settings(
        max_upload_bytes=max_upload_bytes,
        max_pixels=max_pixels or None,
        workers=workers,
        queue=workers if queue is None else queue,
        small_queue=workers if small_queue is None else small_queue,
        # One upload at the limit always fits, however low the limit is set.
        max_body_bytes=max(DEFAULT_BODY_BUDGET, 2 * max_upload_bytes),
        hosts=tuple(hosts),
        port=port,
    )
    return build_app(settings)


def configure_cli(parser: argparse.ArgumentParser) -> None:
    """Options of `kintsugi serve`."""
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="address to listen on (default: %(default)s, this machine only; 0.0.0.0 exposes the "
        "page to your whole network, without any login)",
    )
    parser.add_argument(
        "--port", type=argtypes.port, default=DEFAULT_PORT, help="port (default: %(default)s; 0 = any free port)"
    )
    parser.add_argument(
        "--max-upload-mb",
        type=argtypes.positive_float,
        default=DEFAULT_MAX_UPLOAD_MB,
        metavar="MB",
        help="refuse uploads larger than this (default: %(default)s)",
    )
    parser.add_argument(
        "--max-pixels",
        type=argtypes.non_negative_int,
        default=DEFAULT_MAX_PIXELS,
        metavar="N",
        help="refuse images with more pixels (default: %(default)s; 0 = no limit)",
    )
    parser.add_argument(
        "--workers",
        type=argtypes.non_negative_int,
        default=0,
        metavar="N",
        help="repairs that run at once (default: 0 = one per CPU core); more wait briefly, then get 503",
    )


# The distribution's name on PyPI ("kintsugi" there is an unrelated 2019 package).
DISTRIBUTION = "kintsugi-repair"
INSTALL_HINT = f"pip install '{DISTRIBUTION}[serve]'"


def run_cli(args: argparse.Namespace, *, on_ready: Callable[[str], None] | None = None) -> int:
    """Serve until Ctrl-C. Returns the exit code (2 when the serve extra is not installed).
    ``on_ready(url)`` runs once the socket listens (`kintsugi app` opens the browser there)."""
    try:
        import uvicorn
    except ImportError:
        print(f"kintsugi: error: the page needs the serve extra: {INSTALL_HINT}", file=sys.stderr)
        return 2
    try:
        # Bound here, not by uvicorn, so the address is printed only once it is really ours and
        # a busy port reads as one line instead of a log record.
        sock = bind(host=args.host, port=args.port)
    except OSError as exc:
        print(f"kintsugi: error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    port = sock.getsockname()[1]
    # Built after binding: the Host check needs the real port (--port 0 picks one).
    app = create_app(
        max_upload_bytes=int(args.max_upload_mb * 1_000_000),
        max_pixels=args.max_pixels,
        workers=getattr(args, "workers", None),
        hosts=(args.host,),
        port=port,
    )
    url = address(host=args.host, port=port)
    print(f"kintsugi: serving on {url} (Ctrl-C to stop)", flush=True)
    with sock:
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        if on_ready is not None:
            _call_when_started(server, lambda: on_ready(url))
        server.run(sockets=[sock])
    return 0


def _call_when_started(server, callback: Callable[[], None]) -> None:
    """Run ``callback`` once uvicorn has started serving (from a helper thread)."""
    import threading
    import time

    def wait() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            callback()

    threading.Thread(target=wait, name="kintsugi-on-ready", daemon=True).start()


def bind(*, host: str, port: int) -> socket.socket:
    """A listening TCP socket (port 0 = any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def address(*, host: str, port: int) -> str:
    """The URL to open: a wildcard bind is reached through loopback; IPv6 needs brackets."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"
