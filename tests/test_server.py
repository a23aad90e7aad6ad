"""The web server's API, through FastAPI's test client: tiny synthetic images, no network."""

from __future__ import annotations

import argparse
import asyncio
import builtins
import io
import os
import re
import socket
import threading
import warnings

import httpx
import numpy as np
import pytest
from PIL import Image
from synthetic import GREEN, art, bar_mask

from kintsugi import methods
from kintsugi.server import address, configure_cli, create_app, pipeline, run_cli, uploads

with warnings.catch_warnings():
    # Starlette announces a future switch of HTTP client; the test client works the same.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def png(rgb: np.ndarray, alpha: np.ndarray | None = None) -> bytes:
    pil = Image.fromarray(rgb) if alpha is None else Image.fromarray(np.dstack([rgb, alpha]), "RGBA")
    buffer = io.BytesIO()
    pil.save(buffer, "PNG")
    return buffer.getvalue()


def mask_png(mask: np.ndarray) -> bytes:
    return png(np.repeat(mask[:, :, None], 3, axis=2).astype(np.uint8) * 255)


def decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im).copy()


def striped(height: int = 40, width: int = 48) -> np.ndarray:
    """Flat grey with a dark vertical line: inpainting over part of the line must change it."""
    image = np.full((height, width, 3), 200, np.uint8)
    image[:, width // 2 - 1 : width // 2 + 1] = (30, 30, 40)
    return image


def files(image: bytes, mask: bytes | None = None, method: str | None = None) -> tuple[dict, dict]:
    parts = {"image": ("image.png", image, "image/png")}
    if mask is not None:
        parts["mask"] = ("mask.png", mask, "image/png")
    return parts, ({"method": method} if method is not None else {})


def local(app, **kwargs) -> TestClient:
    """A test client that sends Host: 127.0.0.1 (the app refuses foreign Host names)."""
    return TestClient(app, base_url="http://127.0.0.1", **kwargs)


@pytest.fixture
def client() -> TestClient:
    return local(create_app())


def test_repair_changes_only_the_hole_and_keeps_alpha(client):
    image = striped()
    alpha = np.full(image.shape[:2], 255, np.uint8)
    alpha[:, :6] = 0  # a transparent margin that must survive
    hole = bar_mask(*image.shape[:2], box=(10, 16, 24, 32))  # covers part of the line
    parts, data = files(png(image, alpha), mask_png(hole), "telea")
    response = client.post("/api/repair", files=parts, data=data)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "no-store"
    result = decode(response.content)
    assert result.shape == (*image.shape[:2], 4)
    assert np.array_equal(result[..., 3], alpha)
    assert np.array_equal(result[~hole, :3], image[~hole])
    # The dark line (~35) was filled from the grey (200) around it; Telea also carries some
    # of the line in from above and below, so "much brighter" rather than "grey".
    assert result[12:22, 23:25, :3].min() > 120


def test_default_method_is_used_when_none_is_given(client):
    image = striped()
    hole = bar_mask(*image.shape[:2], box=(10, 16, 24, 32))
    response = client.post("/api/repair", files=files(png(image), mask_png(hole))[0])
    assert response.status_code == 200
    assert decode(response.content).shape == image.shape  # no alpha in, none out


def test_wrong_mask_size_is_422_with_both_sizes(client):
    parts, _ = files(png(striped(40, 48)), mask_png(np.ones((20, 30), bool)))
    response = client.post("/api/repair", files=parts)
    assert response.status_code == 422
    assert "30x20" in response.json()["error"] and "48x40" in response.json()["error"]


def test_empty_mask_is_422(client):
    parts, _ = files(png(striped()), mask_png(np.zeros((40, 48), bool)))
    response = client.post("/api/repair", files=parts)
    assert response.status_code == 422
    assert "mask is empty" in response.json()["error"]


@pytest.mark.parametrize("field", ["image", "mask"])
def test_not_an_image_is_400(client, field):
    parts, _ = files(png(striped()), mask_png(np.ones((40, 48), bool)))
    parts[field] = ("notes.txt", b"this is not a picture", "text/plain")
    response = client.post("/api/repair", files=parts)
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"{field}: not an image")


def test_truncated_image_is_400(client):
    data = png(art(64, 64))
    response = client.post("/api/green-mask", files={"image": ("a.png", data[: len(data) // 2], "image/png")})
    assert response.status_code == 400
    assert "truncated or corrupt" in response.json()["error"]


def test_too_large_upload_is_413_from_content_length():
    client = local(create_app(max_upload_bytes=2_000))
    response = client.post("/api/green-mask", files={"image": ("big.png", os.urandom(5_000), "image/png")})
    assert response.status_code == 413
    assert "--max-upload-mb" in response.json()["error"]


def test_too_large_upload_is_413_without_content_length():
    client = local(create_app(max_upload_bytes=2_000))
    boundary = "xyz"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n\r\n'.encode()
    chunks = (head, *[b"\0" * 1_000] * 5, f"\r\n--{boundary}--\r\n".encode())
    response = client.post(
        "/api/green-mask",
        content=iter(chunks),  # a generator: sent chunked, with no Content-Length to trust
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert "upload too large" in response.json()["error"]


def test_read_form_stops_reading_at_the_limit():
    consumed = []

    async def chunks():
        yield b'--b\r\nContent-Disposition: form-data; name="image"; filename="a"\r\n\r\n'
        for _ in range(100):
            consumed.append(1)
            yield b"\0" * 1_000

    async def read() -> None:
        await uploads.read_form(chunks(), boundary=b"b", limit=5_000)

    with pytest.raises(uploads.UploadError) as error:
        asyncio.run(read())
    assert error.value.status == 413
    assert len(consumed) <= 6  # stopped at the limit, not after the whole 100 kB


def test_too_many_pixels_is_413_before_decoding():
    client = local(create_app(max_pixels=30 * 30))
    response = client.post("/api/green-mask", files=files(png(art(40, 40)))[0])
    assert response.status_code == 413
    message = response.json()["error"]
    assert "1,600 pixels" in message and "--max-pixels" in message


def test_unknown_method_is_422_and_lists_the_available_ones(client):
    parts, data = files(png(striped()), mask_png(np.ones((40, 48), bool)), "photoshop")
    response = client.post("/api/repair", files=parts, data=data)
    assert response.status_code == 422
    assert "photoshop" in response.json()["error"] and "telea" in response.json()["error"]


def test_missing_field_and_non_form_bodies_are_400(client):
    missing = client.post("/api/repair", files=files(png(striped()))[0])
    assert missing.status_code == 400 and "'mask'" in missing.json()["error"]
    not_form = client.post("/api/repair", json={"image": "/etc/passwd"})
    assert not_form.status_code == 400 and "multipart/form-data" in not_form.json()["error"]


def test_methods_list_is_the_registry(client):
    listed = client.get("/api/methods").json()["methods"]
    assert [m["name"] for m in listed] == [m.name for m in methods.available()]
    for kind in ("inpaint", "mosaic"):
        defaults = [m["name"] for m in listed if m["kind"] == kind and m["default"]]
        assert defaults == [methods.default_method(kind)]


def test_green_mask_endpoint_returns_the_paint(client):
    image = art(40, 56)
    hole = bar_mask(40, 56, box=(8, 10, 20, 30))
    image[hole] = GREEN
    response = client.post("/api/green-mask", files=files(png(image))[0])
    assert response.status_code == 200
    assert int(response.headers["x-kintsugi-hole-pixels"]) == hole.sum()
    assert np.array_equal(decode(response.content) > 127, hole)


def test_detect_mosaic_endpoint_finds_a_pixelated_square(client):
    rng = np.random.default_rng(1)
    image = np.full((96, 96, 3), 230, np.uint8)
    blocks = rng.integers(40, 220, (6, 6, 3), dtype=np.uint8)
    image[24:72, 24:72] = np.kron(blocks, np.ones((8, 8, 1), np.uint8))
    response = client.post("/api/detect-mosaic", files=files(png(image))[0])
    assert response.status_code == 200
    found = decode(response.content) > 127
    truth = bar_mask(96, 96, box=(24, 24, 72, 72))
    assert (found & truth).sum() > 0.8 * truth.sum()
    assert (found & ~truth).sum() < 0.1 * truth.sum()


def test_page_and_assets_are_served_with_a_strict_policy(client):
    page = client.get("/")
    assert page.status_code == 200 and "<canvas" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '<script type="module" src="/static/main.js">' in page.text
    # Every module main.js imports, and theirs, is served as JavaScript (modules need the type).
    pending, seen = ["main.js"], set()
    while pending:
        name = pending.pop()
        seen.add(name)
        asset = client.get(f"/static/{name}")
        assert asset.status_code == 200 and "javascript" in asset.headers["content-type"], name
        pending += [m for m in re.findall(r'from "\./([\w.]+)"', asset.text) if m not in seen]
    assert {"main.js", "mask.js", "history.js", "view.js", "api.js"} <= seen
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/static/../__init__.py").status_code == 404


def test_info_reports_the_limits():
    info = local(create_app(max_upload_bytes=1_234, max_pixels=0)).get("/api/info").json()
    assert info["max_upload_bytes"] == 1_234 and info["max_pixels"] is None


def test_a_large_upload_never_touches_the_disk(client, monkeypatch):
    """Starlette's own form parser spools file parts above 1 MB to a temporary file; ours must
    not. Any file created or opened for writing during the request fails the test."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (700, 700, 3), dtype=np.uint8)  # noise: ~1.5 MB as PNG
    hole = bar_mask(700, 700, box=(300, 300, 310, 310))
    parts, data = files(png(image), mask_png(hole), "telea")
    assert len(parts["image"][1]) > 1_200_000
    real_open, real_os_open = builtins.open, os.open

    def guarded_open(file, mode="r", *args, **kwargs):
        assert not set(mode) & set("wax+"), f"opened {file!r} for writing"
        return real_open(file, mode, *args, **kwargs)

    def guarded_os_open(path, flags, *args, **kwargs):
        assert not flags & (os.O_CREAT | os.O_WRONLY | os.O_RDWR), f"os.open({path!r}) for writing"
        return real_os_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(os, "open", guarded_os_open)
    response = client.post("/api/repair", files=parts, data=data)
    monkeypatch.undo()
    assert response.status_code == 200, response.text


def _barrier_method(barrier: threading.Barrier):
    """A fill that returns only when ``barrier.parties`` calls are inside it at the same time."""

    def fill(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        barrier.wait(timeout=20)  # a server that runs repairs one at a time breaks the barrier
        out = image.copy()
        out[mask] = image[~mask].mean(axis=0).astype(np.uint8)
        return out

    return fill


def test_concurrent_requests_run_in_parallel_and_get_their_own_results():
    barrier = threading.Barrier(2)
    methods.register("barrier-test", kind="inpaint", description="test", factory=lambda: _barrier_method(barrier))
    app = create_app(workers=2)
    # Four different images: each answer must be the repair of its own request's image.
    images = [np.full((24, 32, 3), 40 + 50 * i, np.uint8) for i in range(4)]
    hole = bar_mask(24, 32, box=(8, 8, 16, 16))

    async def one(http: httpx.AsyncClient, image: np.ndarray) -> httpx.Response:
        parts, data = files(png(image), mask_png(hole), "barrier-test")
        return await http.post("/api/repair", files=parts, data=data)

    async def main() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", timeout=60) as http:
            return await asyncio.gather(*(one(http, image) for image in images))

    try:
        responses = asyncio.run(main())
    finally:
        methods._registry.pop("barrier-test", None)
    for image, response in zip(images, responses):
        assert response.status_code == 200, response.text
        assert np.array_equal(decode(response.content), image)  # a flat fill stays flat


def test_resolve_method_defaults_and_refuses_long_names():
    assert pipeline.resolve_method("") == (methods.default_method("inpaint"), "inpaint")
    with pytest.raises(methods.MethodError, match=r"\.\.\."):
        pipeline.resolve_method("x" * 500)


def test_cli_options_and_address():
    parser = argparse.ArgumentParser()
    configure_cli(parser)
    args = parser.parse_args([])
    assert (args.host, args.port) == ("127.0.0.1", 7860)
    args = parser.parse_args(["--port", "9000", "--max-upload-mb", "5", "--max-pixels", "0"])
    assert (args.port, args.max_upload_mb, args.max_pixels) == (9000, 5.0, 0)
    with pytest.raises(SystemExit):
        parser.parse_args(["--port", "70000"])
    assert address(host="0.0.0.0", port=1) == "http://127.0.0.1:1/"
    assert address(host="::1", port=2) == "http://[::1]:2/"


def test_run_cli_reports_a_busy_port(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        parser = argparse.ArgumentParser()
        configure_cli(parser)
        assert run_cli(parser.parse_args(["--port", str(port)])) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_a_crashing_method_is_a_json_500():
    def broken(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        raise RuntimeError("out of coffee")

    methods.register("broken-test", kind="inpaint", description="test", factory=lambda: broken)
    try:
        client = local(create_app(), raise_server_exceptions=False)
        parts, data = files(png(striped()), mask_png(np.ones((40, 48), bool)), "broken-test")
        response = client.post("/api/repair", files=parts, data=data)
    finally:
        methods._registry.pop("broken-test", None)
    assert response.status_code == 500
    assert "out of coffee" in response.json()["error"]
