"""Load test of `kintsugi serve` (a script, not a test): N concurrent repair requests on loopback,
a mix of big and small images.

Starts its own server on a free 127.0.0.1 port, sends one warm-up request (a server left
running has its model loaded), then every request at once (the big ones first), checks every
answer (a 200 PNG of the right size whose pixels outside the mask are the input's), prints
latency percentiles of the served requests per size, the deliberate 503s (the server's queue
is full: it refuses at once rather than answer late) and the server's peak memory, stops the
server. With --retry a client waits Retry-After and sends again, as the page does; its latency
then counts from the first send. Exit code 0 only with no errors (a 503 is not one).

    python benchmarks/load.py                      # 50 requests: 10 at 4000x3000, 40 at 256x256
    python benchmarks/load.py --requests 200 --big 0 --small-size 1024 --method ns
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
    kind: str  # "big" or "small"
    seconds: float  # to the final answer (from the first send, with --retry)
    busy: int  # 503 answers
    served: bool  # False: the last answer was a deliberate 503
    error: str | None  # None = a correct answer, or a 503


@dataclass(frozen=True)
class Job:
    kind: str
    image: np.ndarray
    mask: np.ndarray
    files: dict


def synthetic_job(width: int, height: int | None = None, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A flat-colour 'illustration' and a mask of a few brush strokes over it."""
    height = height or width
    size = min(width, height)
    rng = np.random.default_rng(seed)
    ramp_x = np.linspace(170, 240, width, dtype=np.float32)
    ramp_y = np.linspace(170, 240, height, dtype=np.float32)
    image = np.stack(
        [np.tile(ramp_x, (height, 1)), np.tile(ramp_y[:, None], (1, width)), np.full((height, width), 235.0)], 2
    )
    image = image.astype(np.uint8)
    for _ in range(6):
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.circle(
            image, centre, int(rng.integers(size // 16, size // 5)), tuple(int(c) for c in rng.integers(0, 255, 3)), -1
        )
        cv2.circle(image, centre, int(rng.integers(size // 16, size // 5)), (20, 20, 30), 2)
    mask = np.zeros((height, width), np.uint8)
    for _ in range(4):
        a = (int(rng.integers(width // 8, 7 * width // 8)), int(rng.integers(height // 8, 7 * height // 8)))
        b = (int(rng.integers(width // 8, 7 * width // 8)), int(rng.integers(height // 8, 7 * height // 8)))
        cv2.line(mask, a, b, 255, max(3, size // 40))
    return image, mask > 0


def make_job(kind: str, width: int, height: int, *, method: str | None) -> Job:
    image, mask = synthetic_job(width, height)
    files = {"image": ("page.png", png(image), "image/png"), "mask": ("mask.png", png(mask.astype(np.uint8) * 255))}
    return Job(kind=kind, image=image, mask=mask, files={"files": files, "data": {"method": method} if method else {}})


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue()


@contextmanager
def server(*, extra: list[str]) -> Iterator[tuple[str, subprocess.Popen]]:
    """A `kintsugi serve` process on a free loopback port; yields its URL and process, stops it."""
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
        yield match.group(0), process
    finally:
        process.terminate()
        process.wait(timeout=30)


def peak_memory_mb(pid: int) -> float | None:
    """The process's peak resident memory (VmHWM), Linux only; None elsewhere."""
    try:
        status = open(f"/proc/{pid}/status").read()
    except OSError:
        return None
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else None


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


async def one(client: httpx.AsyncClient, job: Job, *, retry: bool) -> Outcome:
    started = time.perf_counter()
    busy = 0
    while True:
        try:
            response = await client.post("api/repair", files=job.files["files"], data=job.files["data"])
        except httpx.HTTPError as exc:
            return Outcome(job.kind, time.perf_counter() - started, busy, False, f"{type(exc).__name__}: {exc}")
        if response.status_code != 503:
            break
        busy += 1  # deliberate: the server's queue is full
        if not retry or busy >= 50:
            return Outcome(job.kind, time.perf_counter() - started, busy, False, None)
        await asyncio.sleep(float(response.headers.get("retry-after", "1")))
    seconds = time.perf_counter() - started
    return Outcome(job.kind, seconds, busy, True, check(response, image=job.image, mask=job.mask))


async def run_load(url: str, *, jobs: list[Job], retry: bool) -> tuple[list[Outcome], float]:
    limits = httpx.Limits(max_connections=len(jobs), max_keepalive_connections=len(jobs))
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=600) as client:
        # One request first, not counted: a server left running has its model loaded already.
        warm = await one(client, min(jobs, key=lambda j: j.image.size), retry=True)
        if warm.error:
            raise SystemExit(f"the warm-up request failed: {warm.error}")
        started = time.perf_counter()
        tasks = []
        for job in jobs:  # big ones first: the small ones must not wait behind them
            tasks.append(asyncio.create_task(one(client, job, retry=retry)))
            await asyncio.sleep(0)
        outcomes = await asyncio.gather(*tasks)
        wall = time.perf_counter() - started
    return list(outcomes), wall


def report(
    outcomes: list[Outcome], *, wall: float, sizes: dict[str, str], method: str | None, peak: float | None
) -> str:
    rows = [
        ("requests (all concurrent)", f"{len(outcomes)}, method {method or 'default'}"),
        ("wall time", f"{wall:.2f} s ({len(outcomes) / wall:.1f} req/s)"),
    ]
    for kind in ("small", "big"):
        mine = [o for o in outcomes if o.kind == kind]
        if not mine:
            continue
        served = [o for o in mine if o.served and not o.error]
        rows.append((f"{kind}: requests", f"{len(mine)} x {sizes[kind]} PNG, {len(served)} served"))
        if served:
            latencies = np.array([o.seconds for o in served]) * 1000
            p50, p90, p99 = np.percentile(latencies, [50, 90, 99])
            rows.append(
                (f"{kind}: served p50/p90/p99/max", f"{p50:.0f} / {p90:.0f} / {p99:.0f} / {latencies.max():.0f} ms")
            )
        refused = sum(not o.served and not o.error for o in mine)
        rows.append((f"{kind}: 503 (deliberate)", f"{sum(o.busy for o in mine)} answers; {refused} never served"))
    errors = [o.error for o in outcomes if o.error]
    rows += [
        ("errors (503 not counted)", f"{len(errors)}"),
        ("server peak memory (VmHWM)", f"{peak:.0f} MB" if peak is not None else "n/a (not Linux)"),
    ]
    lines = [f"{name:<28} {value}" for name, value in rows]
    lines += [f"  error: {e}" for e in sorted(set(errors))[:5]]
    return "\n".join(lines)


def dims(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    return int(width), int(height or width)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50, help="concurrent requests in all (default: %(default)s)")
    parser.add_argument("--big", type=int, default=10, help="how many of them are big (default: %(default)s)")
    parser.add_argument("--big-size", type=dims, default=(4000, 3000), help="WxH (default: 4000x3000)")
    parser.add_argument("--small-size", type=dims, default=(256, 256), help="WxH (default: 256x256)")
    parser.add_argument("--method", help="repair method (default: the server's default)")
    parser.add_argument("--workers", type=int, default=0, help="server --workers (default: one per core)")
    parser.add_argument("--retry", action="store_true", help="after a 503, wait Retry-After and send again")
    args = parser.parse_args(argv)
    big = make_job("big", *args.big_size, method=args.method)
    small = make_job("small", *args.small_size, method=args.method)
    jobs = [big] * args.big + [small] * (args.requests - args.big)
    sizes = {"big": "x".join(map(str, args.big_size)), "small": "x".join(map(str, args.small_size))}
    with server(extra=["--workers", str(args.workers)]) as (url, process):
        print(f"server: {url}", file=sys.stderr)
        outcomes, wall = asyncio.run(run_load(url, jobs=jobs, retry=args.retry))
        peak = peak_memory_mb(process.pid)
    print(report(outcomes, wall=wall, sizes=sizes, method=args.method, peak=peak))
    return 0 if not any(o.error for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
