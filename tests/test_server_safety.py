"""The server's safety rules: Host allow-list, Origin check, bounded work (503), queue order."""

from __future__ import annotations

import asyncio
import base64
import io
import threading
import warnings

import httpx
import numpy as np
import pytest
from PIL import Image
from synthetic import bar_mask

from kintsugi import methods
from kintsugi.server import create_app, guard, scheduler

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's notice of a future test-client change
    from fastapi.testclient import TestClient

IMAGE = np.full((24, 32, 3), 120, np.uint8)


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue()


def repair_parts(method: str = "telea") -> tuple[dict, dict]:
    hole = bar_mask(24, 32, box=(8, 8, 16, 16))
    parts = {"image": ("image.png", png(IMAGE), "image/png"), "mask": ("m.png", png(hole.astype(np.uint8) * 255))}
    return parts, {"method": method}


def client(app, host: str = "127.0.0.1:7860") -> TestClient:
    return TestClient(app, base_url=f"http://{host}")


# Host allow-list -----------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1:7860", "localhost:7860", "[::1]:7860", "LOCALHOST:7860", "box.lan:7860"])
def test_loopback_names_and_the_host_option_are_served(host):
    app = create_app(hosts=("box.lan",), port=7860)
    assert client(app, host).get("/api/info").status_code == 200


@pytest.mark.parametrize(
    "host",
    ["evil.example:7860", "127.0.0.1:8000", "localhost", "127.0.0.1.evil.example:7860", "user@localhost:7860", ""],
)
def test_a_foreign_host_header_is_400(host):
    app = create_app(port=7860)
    http = client(app, "127.0.0.1:7860")
    response = http.get("/api/info", headers={"host": host})
    assert response.status_code == 400
    assert "localhost" in response.json()["error"]
    # POSTs too, before the body is looked at.
    parts, data = repair_parts()
    assert http.post("/api/repair", files=parts, data=data, headers={"host": host}).status_code == 400


def test_split_host():
    assert guard.split_host("[::1]:80") == ("::1", 80)
    assert guard.split_host("Example:1") == ("example", 1)
    assert guard.split_host("a:b") is None
    assert guard.split_host("a/b") is None


# Origin check --------------------------------------------------------------------------------


@pytest.mark.parametrize("origin", ["http://evil.example", "http://localhost:9999", "null", "https://127.0.0.1:7860"])
def test_a_cross_site_post_is_403(origin):
    http = client(create_app(port=7860))
    parts, data = repair_parts()
    response = http.post("/api/repair", files=parts, data=data, headers={"origin": origin})
    assert response.status_code == 403
    assert "cross-site" in response.json()["error"]


def test_same_origin_and_origin_less_posts_are_served():
    http = client(create_app(port=7860), "localhost:7860")
    parts, data = repair_parts()
    assert (
        http.post("/api/repair", files=parts, data=data, headers={"origin": "http://localhost:7860"}).status_code == 200
    )
    assert http.post("/api/repair", files=parts, data=data).status_code == 200
    # A cross-site GET reads nothing secret and changes nothing: served (the page's assets).
    assert http.get("/api/info", headers={"origin": "http://evil.example"}).status_code == 200


# Bounded work --------------------------------------------------------------------------------


def test_overload_is_503_with_retry_after_and_work_resumes():
    started, release = threading.Event(), threading.Event()

    def hold(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        started.set()
        release.wait(timeout=30)
        return image

    methods.register("hold-test", kind="inpaint", description="test", factory=lambda: hold)
    app = create_app(workers=1, queue=0, small_queue=0)
    parts, data = repair_parts("hold-test")

    async def main() -> tuple[httpx.Response, httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", timeout=30) as http:
            first = asyncio.create_task(http.post("/api/repair", files=parts, data=data))
            await asyncio.to_thread(started.wait, 30)  # the only worker is now busy
            second = await http.post("/api/repair", files=parts, data=data)
            release.set()
            done = await first
            third = await http.post("/api/repair", files=parts, data=data)  # capacity is back
            return done, second, third

    try:
        first, second, third = asyncio.run(main())
    finally:
        release.set()
        methods._registry.pop("hold-test", None)
    assert first.status_code == 200
    assert second.status_code == 503
    assert int(second.headers["retry-after"]) >= 1
    assert "busy" in second.json()["error"]
    assert third.status_code == 200


def test_admission_bounds_the_bodies_in_progress_before_reading_them():
    sched = scheduler.Scheduler(
        scheduler.Limits(workers=1, queue=0, small_queue=0, max_body_bytes=1000, max_requests=3)
    )

    async def main() -> list[str]:
        log = []
        async with sched.admit(600):
            async with sched.admit(400):  # exactly the budget
                try:
                    async with sched.admit(1):
                        log.append("over budget admitted")
                except scheduler.Busy as exc:
                    log.append(f"busy {exc.retry_after}")
            async with sched.admit(100), sched.admit(100):  # 600 + 200 bytes, three requests
                try:
                    async with sched.admit(0):
                        log.append("fourth admitted")
                except scheduler.Busy:
                    log.append("busy: count")
        async with sched.admit(5000):  # alone, a body above the budget still gets in
            log.append("alone")
        return log

    assert asyncio.run(main()) == ["busy 5", "busy: count", "alone"]


def test_a_full_queue_is_busy_per_lane():
    sched = scheduler.Scheduler(scheduler.Limits(workers=1, queue=1, small_queue=2, small_pixels=100))

    async def main() -> list[str]:
        gate = asyncio.Event()
        log = []

        async def job(cost: int) -> None:
            try:
                async with sched.slot(cost=cost):
                    await gate.wait()
            except scheduler.Busy:
                log.append(f"busy {cost}")

        tasks = [asyncio.create_task(job(c)) for c in (10, 20, 30, 40, 500, 600)]
        await asyncio.sleep(0)
        # 10 runs; 20 and 30 wait (small queue 2), 40 is refused; 500 waits (big queue 1), 600 not.
        assert sched.running == 1 and sched.waiting(scheduler.SMALL) == 2 and sched.waiting(scheduler.BIG) == 1
        gate.set()
        await asyncio.gather(*tasks)
        return log

    assert asyncio.run(main()) == ["busy 40", "busy 600"]


def test_queue_serves_the_smallest_first_and_keeps_a_slot_for_small_work():
    limits = scheduler.Limits(workers=2, queue=8, small_queue=8, small_pixels=1_000_000)
    order: list[str] = []

    async def main() -> None:
        sched = scheduler.Scheduler(limits)
        gate = asyncio.Event()

        async def job(name: str, *, cost: int) -> None:
            async with sched.slot(cost=cost):
                order.append(name)
                await gate.wait()

        # One big job runs; the second big one must wait (one slot stays for small work)...
        tasks = [asyncio.create_task(job("big-1", cost=12_000_000))]
        await asyncio.sleep(0)
        tasks.append(asyncio.create_task(job("big-2", cost=12_000_000)))
        await asyncio.sleep(0)
        assert order == ["big-1"] and sched.running == 1
        # ...so a small job arriving later starts at once, ahead of it.
        tasks.append(asyncio.create_task(job("small-1", cost=10_000)))
        await asyncio.sleep(0)
        assert order == ["big-1", "small-1"] and sched.running == 2
        # Both slots busy: a big and then two small ones queue; the small ones go first,
        # the cheaper one before the other.
        tasks.append(asyncio.create_task(job("small-3", cost=90_000)))
        tasks.append(asyncio.create_task(job("small-2", cost=20_000)))
        await asyncio.sleep(0)
        gate.set()
        await asyncio.gather(*tasks)

    asyncio.run(main())
    assert order == ["big-1", "small-1", "small-2", "small-3", "big-2"]


# Detection for the page ----------------------------------------------------------------------


def test_detect_lists_each_region_with_its_kind_and_box():
    rng = np.random.default_rng(1)
    rgb = np.full((96, 96, 3), 230, np.uint8)
    rgb[24:72, 24:72] = np.kron(rng.integers(40, 220, (6, 6, 3), dtype=np.uint8), np.ones((8, 8, 1), np.uint8))
    http = client(create_app())
    response = http.post("/api/detect", files={"image": ("m.png", png(rgb), "image/png")})
    assert response.status_code == 200, response.text
    found = response.json()
    assert [r["kind"] for r in found["regions"]] == ["mosaic"]
    x0, y0, x1, y1 = found["regions"][0]["box"]
    assert abs(x0 - 24) <= 8 and abs(y0 - 24) <= 8 and abs(x1 - 72) <= 8 and abs(y1 - 72) <= 8
    with Image.open(io.BytesIO(base64.b64decode(found["mask"]))) as im:
        mask = np.asarray(im) > 127
    assert mask.shape == (96, 96) and mask.sum() == found["hole_pixels"] >= 0.8 * 48 * 48


def test_big_jobs_run_in_the_lower_priority_threads():
    threads: list[str] = []

    def record(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        threads.append(threading.current_thread().name)
        return image

    methods.register("thread-test", kind="inpaint", description="test", factory=lambda: record)
    http = client(create_app())
    try:
        for side in (40, 1500):  # 1,600 and 2,250,000 pixels: small, then big
            image = np.full((side, side, 3), 90, np.uint8)
            hole = np.zeros((side, side), np.uint8)
            hole[:8, :8] = 255
            parts = {"image": ("i.png", png(image), "image/png"), "mask": ("m.png", png(hole))}
            assert http.post("/api/repair", files=parts, data={"method": "thread-test"}).status_code == 200
    finally:
        methods._registry.pop("thread-test", None)
    assert not threads[0].startswith("kintsugi-big") and threads[1].startswith("kintsugi-big")


def test_detect_passes_on_any_kind_the_detector_names(monkeypatch):
    """A detector with detect_censors (bars, translucent bars, ...) reaches the page unchanged."""
    from types import SimpleNamespace

    from kintsugi.server import pipeline

    class Box(tuple):  # the shape of kintsugi.regions.Box: (y0, x0, y1, x1), fields by name
        y0, x0, y1, x1 = (property(lambda self, i=i: self[i]) for i in range(4))

    def detect_censors(rgb):
        full = np.zeros(rgb.shape[:2], bool)
        full[2:6, 10:20] = full[8:12, 1:4] = True
        censors = [
            SimpleNamespace(kind="bar", box=Box((2, 10, 6, 20))),
            SimpleNamespace(kind="translucent", box=Box((8, 1, 12, 4))),
        ]
        return SimpleNamespace(censors=censors, mask=lambda: full)

    monkeypatch.setattr(pipeline, "_detector", lambda: SimpleNamespace(detect_censors=detect_censors))
    response = client(create_app()).post("/api/detect", files={"image": ("i.png", png(IMAGE), "image/png")})
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["regions"] == [{"kind": "bar", "box": [10, 2, 20, 6]}, {"kind": "translucent", "box": [1, 8, 4, 12]}]
    assert found["hole_pixels"] == 4 * 10 + 4 * 3 and "1 bar, 1 translucent" in found["message"]
