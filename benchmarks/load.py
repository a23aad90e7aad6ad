"""Load test of `kintsugi serve` (a script, not a test): N concurrent repair requests on loopback.

Starts its own server on a free 127.0.0.1 port, sends every request at once, checks every answer
(a 200 PNG of the right size whose pixels outside the mask are the input's), prints latency
percentiles and the error count, stops the server. Exit code 0 only with no errors.

    python benchmarks/load.py                      # 50 requests, 512x512, default method
    python benchmarks/load.py --requests 200 --size 1024 --method ns
"""

from __future__ import annotations

import argparse
import asyncio
import io
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import cv2
import httpx
import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Outcome:
    seconds: float
    error: str | None  # None = a correct answer


def synthetic_job(size: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A flat-colour 'illustration' and a mask of a few brush strokes over it."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(170, 240, size, dtype=np.float32)
    image = np.stack([np.tile(ramp, (size, 1)), np.tile(ramp[:, None], (1, size)), np.full((size, size), 235.0)], 2)
    image = image.astype(np.uint8)
    for _ in range(6):
        centre = tuple(int(v) for v in rng.integers(0, size, 2))
        cv2.circle(
            image, centre, int(rng.integers(size // 16, size // 5)), tuple(int(c) for c in rng.integers(0, 255, 3)), -1
        )
        cv2.circle(image, centre, int(rng.integers(size // 16, size // 5)), (20, 20, 30), 2)
    mask = np.zeros((size, size), np.uint8)
    for _ in range(4):
        a, b = (tuple(int(v) for v in rng.integers(size // 8, 7 * size // 8, 2)) for _ in range(2))
        cv2.line(mask, a, b, 255, max(3, size // 40))
    return image, mask > 0


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue()


@contextmanager
def server(*, extra: list[str]) -> Iterator[str]:
    """A `kintsugi serve` process on a free loopback port; yields its URL, stops it on exit."""
    process = subprocess.Popen(
        [sys.executable, "-m", "kintsugi.server", "--host", "127.0.0.1", "--port", "0", *extra],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()  # printed once the socket listens
        match = re.search(r"http://\S+/", line)
        if not match:
            raise SystemExit(f"the server did not start: {line!r}")
        yield match.group(0)
    finally:
        process.terminate()
        process.wait(timeout=30)


def check(response: httpx.Response, *, image: np.ndarray, mask: np.ndarray) -> str | None:
    """None when the answer is a correct repair, else what is wrong with it."""
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    try:
        with Image.open(io.BytesIO(response.content)) as im:
            result = np.asarray(im.convert("RGB"))
    except OSError as exc:
        return f"not a PNG: {exc}"
    if result.shape != image.shape:
        return f"wrong size {result.shape}"
    if not np.array_equal(result[~mask], image[~mask]):
        return "pixels outside the mask changed"
    return None


async def one(client: httpx.AsyncClient, *, body: dict, image: np.ndarray, mask: np.ndarray) -> Outcome:
    started = time.perf_counter()
    try:
        response = await client.post("api/repair", files=body["files"], data=body["data"])
    except httpx.HTTPError as exc:
        return Outcome(time.perf_counter() - started, f"{type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - started
    return Outcome(seconds, check(response, image=image, mask=mask))


async def run_load(url: str, *, requests: int, size: int, method: str | None) -> tuple[list[Outcome], float]:
    image, mask = synthetic_job(size)
    files = {"image": ("page.png", png(image), "image/png"), "mask": ("mask.png", png(mask.astype(np.uint8) * 255))}
    body = {"files": files, "data": {"method": method} if method else {}}
    limits = httpx.Limits(max_connections=requests, max_keepalive_connections=requests)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=600) as client:
        started = time.perf_counter()
        outcomes = await asyncio.gather(*(one(client, body=body, image=image, mask=mask) for _ in range(requests)))
        wall = time.perf_counter() - started
    return list(outcomes), wall


def report(outcomes: list[Outcome], *, wall: float, size: int, method: str | None) -> str:
    latencies = np.array([o.seconds for o in outcomes]) * 1000
    errors = [o.error for o in outcomes if o.error]
    p50, p90, p99 = np.percentile(latencies, [50, 90, 99])
    rows = [
        ("requests (all concurrent)", f"{len(outcomes)}"),
        ("image", f"{size}x{size} PNG, method {method or 'default'}"),
        ("wall time", f"{wall:.2f} s ({len(outcomes) / wall:.1f} req/s)"),
        ("latency p50", f"{p50:.0f} ms"),
        ("latency p90", f"{p90:.0f} ms"),
        ("latency p99", f"{p99:.0f} ms"),
        ("latency max", f"{latencies.max():.0f} ms"),
        ("errors", f"{len(errors)}"),
    ]
    lines = [f"{name:<26} {value}" for name, value in rows]
    lines += [f"  error: {e}" for e in sorted(set(errors))[:5]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50, help="concurrent requests (default: %(default)s)")
    parser.add_argument("--size", type=int, default=512, help="image side in pixels (default: %(default)s)")
    parser.add_argument("--method", help="repair method (default: the server's default)")
    args = parser.parse_args(argv)
    with server(extra=[]) as url:
        print(f"server: {url}", file=sys.stderr)
        outcomes, wall = asyncio.run(run_load(url, requests=args.requests, size=args.size, method=args.method))
    print(report(outcomes, wall=wall, size=args.size, method=args.method))
    return 0 if not any(o.error for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
