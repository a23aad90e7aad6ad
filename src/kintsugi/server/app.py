"""The FastAPI app: routes, limits, error mapping. Built only by kintsugi.server.create_app().

Endpoints (all uploads are multipart/form-data; nothing takes a file-system path):
  GET  /                   the page (static/index.html)
  GET  /api/info           limits and optional features, so the page can check before uploading
  GET  /api/methods        the method registry, as `kintsugi methods` lists it
  POST /api/green-mask     image                  -> PNG mask of the green paint (white = hole)
  POST /api/detect-mosaic  image                  -> PNG mask of the detected mosaics
  POST /api/detect         image                  -> JSON: each found region (kind, box) and the
                                                     union mask (base64 PNG), for the page to edit
  POST /api/repair         image, mask[, method]  -> repaired PNG, alpha kept
Errors are JSON {"error": "..."}: 400 unreadable request or image, 413 too many bytes or
pixels, 422 a valid image that does not fit (mask size, empty mask, unknown method), 503
busy (with Retry-After). guard.py refuses foreign Host headers (400) and cross-site POSTs (403);
scheduler.py bounds the work.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kintsugi import __version__
from kintsugi.errors import ImageReadError, ImageTooLarge, KintsugiError, OutputError
from kintsugi.server import guard, imaging, pipeline, scheduler, uploads

STATIC_DIR = Path(__file__).with_name("static")
T = TypeVar("T")

# The page is self-contained: scripts, styles and images come from this server only (blob:
# for the decoded upload and the result). A stray extension or injected markup cannot phone out.
_PAGE_POLICY = (
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class Settings:
    max_upload_bytes: int  # whole request body
    max_pixels: int | None  # per decoded image (image and mask alike); None = no limit
    workers: int  # repairs that run at once; more requests wait for a free worker
    queue: int  # big jobs that may wait for a worker; one more is 503 (see scheduler.py)
    small_queue: int  # the same for small jobs
    max_body_bytes: int  # request bodies in progress, all together; beyond, 503 before reading
    hosts: tuple[str, ...] = ()  # Host names served besides loopback (the --host value)
    port: int | None = None  # the listening port, checked in Host; None = not known here


def build_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="kintsugi", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.scheduler = None  # created on first use: its asyncio primitives need the running loop
    app.add_exception_handler(uploads.UploadError, _upload_error)
    app.add_exception_handler(scheduler.Busy, _busy_error)
    app.add_exception_handler(KintsugiError, _kintsugi_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _add_routes(app)
    app.add_middleware(_NoStoreHeaders)
    # Added last, so it runs first: a refused request costs nothing else.
    app.add_middleware(guard.HostOriginGuard, hosts=settings.hosts, port=settings.port)
    return app


def _add_routes(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Content-Security-Policy": _PAGE_POLICY})

    @app.get("/api/info")
    async def info(request: Request) -> dict[str, Any]:
        settings: Settings = request.app.state.settings
        return {
            "version": __version__,
            "max_upload_bytes": settings.max_upload_bytes,
            "max_pixels": settings.max_pixels,
            "detect_mosaic": pipeline.detection_available(),
        }

    @app.get("/api/methods")
    async def list_methods() -> dict[str, Any]:
        return {"methods": pipeline.method_list()}

    @app.post("/api/green-mask")
    async def green_mask(request: Request) -> Response:
        async with _admitted(request):
            form = await _read_form(request)
            image = _file(form, "image")
            result = await _in_worker(request, pipeline.green_mask, image, cost=image, max_pixels=_max_pixels(request))
        return _mask_response(result)

    @app.post("/api/detect-mosaic")
    async def detect_mosaic(request: Request) -> Response:
        async with _admitted(request):
            form = await _read_form(request)
            image = _file(form, "image")
            result = await _in_worker(request, pipeline.mosaic_mask, image, cost=image, max_pixels=_max_pixels(request))
        return _mask_response(result)

    @app.post("/api/detect")
    async def detect(request: Request) -> dict[str, Any]:
        async with _admitted(request):
            form = await _read_form(request)
            image = _file(form, "image")
            found = await _in_worker(
                request, pipeline.detect_regions, image, cost=image, max_pixels=_max_pixels(request)
            )
        return {
            "width": found.mask.width,
            "height": found.mask.height,
            "message": found.mask.message,
            "hole_pixels": found.mask.hole_pixels,
            "regions": found.regions,
            "mask": base64.b64encode(found.mask.png).decode("ascii"),
        }

    @app.post("/api/repair")
    async def repair(request: Request) -> Response:
        async with _admitted(request):
            form = await _read_form(request)
            image, mask = _file(form, "image"), _file(form, "mask")
            method = form["method"].text() if "method" in form else None
            started = time.perf_counter()
            png = await _in_worker(
                request, pipeline.repair_png, image, mask, cost=image, method=method, max_pixels=_max_pixels(request)
            )
            seconds = time.perf_counter() - started
        return Response(png, media_type="image/png", headers={"X-Kintsugi-Seconds": f"{seconds:.3f}"})


# ---------------------------------------------------------------------------------------------
# Request helpers


async def _read_form(request: Request) -> dict[str, uploads.Part]:
    limit = request.app.state.settings.max_upload_bytes
    boundary = uploads.boundary_of(request.headers.get("content-type"))
    uploads.check_declared_length(request.headers.get("content-length"), limit=limit)
    return await uploads.read_form(request.stream(), boundary=boundary, limit=limit)


def _file(form: dict[str, uploads.Part], name: str) -> bytearray:
    part = form.get(name)
    if part is None:
        raise uploads.UploadError(f"missing form field {name!r}", status=400)
    return part.data


def _max_pixels(request: Request) -> int | None:
    return request.app.state.settings.max_pixels


def _scheduler(request: Request) -> scheduler.Scheduler:
    app = request.app
    if app.state.scheduler is None:
        settings: Settings = app.state.settings
        limits = scheduler.Limits(
            workers=settings.workers,
            queue=settings.queue,
            small_queue=settings.small_queue,
            max_body_bytes=settings.max_body_bytes,
        )
        app.state.scheduler = scheduler.Scheduler(limits)
    return app.state.scheduler


def _big_pool(request: Request) -> ThreadPoolExecutor:
    app = request.app
    if getattr(app.state, "big_pool", None) is None:
        app.state.big_pool = ThreadPoolExecutor(
            max_workers=app.state.settings.workers, thread_name_prefix="kintsugi-big", initializer=_lower_priority
        )
    return app.state.big_pool


def _lower_priority() -> None:
    # Linux only: there a thread's id names the thread alone (elsewhere it could name a process).
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


def _admitted(request: Request) -> AbstractAsyncContextManager[None]:
    """A place for the request, taken before its body is read (Busy -> 503 at once)."""
    declared = request.headers.get("content-length", "")
    limit = request.app.state.settings.max_upload_bytes
    # Unknown (chunked) or above the limit (refused as 413 right after): counts as the limit.
    size = min(int(declared), limit) if declared.isdigit() else limit
    return _scheduler(request).admit(size)


async def _in_worker(request: Request, fn: Callable[..., T], /, *args: Any, cost: bytearray, **kwargs: Any) -> T:
    """Run blocking work (decode, repair, encode) in a worker thread, off the event loop, once
    the scheduler gives a slot (smallest image first; ``cost`` is the uploaded image).

    Up to ``workers`` jobs share the one loaded model (ONNX Runtime sessions are safe to run
    from several threads); more would hold more decoded images without finishing sooner.
    """
    sched = _scheduler(request)
    pixels = imaging.pixel_count(cost)
    work = functools.partial(fn, *args, **kwargs)
    async with sched.slot(cost=pixels):
        if pixels <= sched.limits.small_pixels:
            return await anyio.to_thread.run_sync(work)
        # Big jobs run in threads of lower priority: a small one running beside them gets the
        # CPU first and answers quickly, the big one finishes a little later.
        return await asyncio.get_running_loop().run_in_executor(_big_pool(request), work)


def _mask_response(result: pipeline.MaskResult) -> Response:
    # Header values must be Latin-1; the messages are ASCII apart from the odd name, so be safe.
    message = result.message.encode("ascii", "replace").decode("ascii")
    headers = {
        "X-Kintsugi-Width": str(result.width),
        "X-Kintsugi-Height": str(result.height),
        "X-Kintsugi-Hole-Pixels": str(result.hole_pixels),
        "X-Kintsugi-Message": message,
    }
    return Response(result.png, media_type="image/png", headers=headers)


# ---------------------------------------------------------------------------------------------
# Errors: always JSON {"error": message}, with the message written for the user.


def status_for(exc: KintsugiError) -> int:
    if isinstance(exc, ImageTooLarge):
        return 413
    if isinstance(exc, ImageReadError):
        return 400
    if isinstance(exc, OutputError):
        return 500
    return 422  # mask does not fit, empty mask, unknown method: readable but unusable input


async def _upload_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, uploads.UploadError)
    return JSONResponse({"error": str(exc)}, status_code=exc.status)


async def _busy_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, scheduler.Busy)
    return JSONResponse({"error": str(exc)}, status_code=503, headers={"Retry-After": str(exc.retry_after)})


async def _kintsugi_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, KintsugiError)
    return JSONResponse({"error": str(exc)}, status_code=status_for(exc))


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)


async def _unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
    # A bug or a crashing method: the page still gets JSON it can show; the traceback goes to
    # the server's log (Starlette re-raises after this response).
    return JSONResponse({"error": f"internal error: {type(exc).__name__}: {exc}"[:500]}, status_code=500)


class _NoStoreHeaders:
    """Responses carry user images: no caching anywhere, and no MIME sniffing of them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
