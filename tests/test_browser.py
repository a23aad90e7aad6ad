"""End to end in real headless Chromium (Debian's package, driven by Playwright; no browser
download): open an image, paint a stroke with the mouse, repair, save, and check the saved PNG
against the input pixel by pixel. Skips only when /usr/bin/chromium or playwright is missing
(.ci/browser.sh installs both).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from synthetic import GREEN, bar_mask

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACT = Path(__file__).parent / "artifacts" / "ui.png"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium; see .ci/browser.sh)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is missing (pip install playwright)")


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """A real server process on a free loopback port (what `kintsugi serve` runs)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "kintsugi.server", "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()  # printed once the socket listens
        match = re.search(r"http://\S+/", line)
        assert match, f"server did not start: {line!r}"
        yield match.group(0)
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh --user-data-dir
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1100, "height": 700},
            accept_downloads=True,
        )
        context.set_default_timeout(30_000)
        yield context
        context.close()


@pytest.fixture
def page(browser_context, server_url):
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(server_url)
    page.wait_for_selector("#method option", state="attached")  # the method list has arrived
    yield page
    page.close()
    assert not errors, f"errors in the page: {errors}"


def lines_image(height: int = 80, width: int = 120) -> tuple[np.ndarray, np.ndarray]:
    """Flat warm fill with dark vertical lines, and an alpha with a transparent left margin."""
    rgb = np.empty((height, width, 3), np.uint8)
    rgb[:] = (214, 190, 170)
    for x in (40, 60, 80):
        rgb[:, x : x + 2] = (30, 25, 40)
    alpha = np.full((height, width), 255, np.uint8)
    alpha[:, :8] = 0
    alpha[:, 8:16] = 128
    return rgb, alpha


def near_segment(shape: tuple[int, int], *, start: tuple[float, float], end: tuple[float, float], radius: float):
    """bool HxW: pixel centres within ``radius`` of the segment start-end (x, y image coords)."""
    ys, xs = np.mgrid[: shape[0], : shape[1]] + 0.5
    (x0, y0), (x1, y1) = start, end
    dx, dy = x1 - x0, y1 - y0
    t = np.clip(((xs - x0) * dx + (ys - y0) * dy) / (dx * dx + dy * dy), 0, 1)
    return np.hypot(xs - (x0 + t * dx), ys - (y0 + t * dy)) <= radius


def wait_for_status(page, text: str) -> None:
    # A function, not an expression string: the page's CSP forbids eval, which strings need.
    page.wait_for_function("text => document.querySelector('#status').textContent.includes(text)", arg=text)


def to_client(page, x: float, y: float) -> tuple[float, float]:
    point = page.evaluate("([x, y]) => window.kintsugi.imageToClient(x, y)", [x, y])
    return point["x"], point["y"]


def test_paint_repair_compare_save(page, tmp_path):
    rgb, alpha = lines_image()
    source = tmp_path / "lines.png"
    Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(source)

    page.set_input_files("#file", str(source))
    wait_for_status(page, "paint over")
    assert page.evaluate("window.kintsugi.maskCount()") == 0  # no green: nothing masked yet

    page.eval_on_selector("#brush-size", "el => { el.value = 8; el.dispatchEvent(new Event('input')); }")
    start, end = (30.0, 40.0), (90.0, 44.0)  # crosses the three lines
    page.mouse.move(*to_client(page, *start))
    page.mouse.down()
    page.mouse.move(*to_client(page, *end), steps=12)
    page.mouse.up()
    painted = page.evaluate("window.kintsugi.maskCount()")
    assert painted > 60 * 6

    page.keyboard.press("Control+z")
    assert page.evaluate("window.kintsugi.maskCount()") == 0
    page.keyboard.press("Control+Shift+z")
    assert page.evaluate("window.kintsugi.maskCount()") == painted

    with page.expect_response("**/api/repair") as answer:
        page.click("#run")
    assert answer.value.status == 200
    page.wait_for_function("() => window.kintsugi.hasResult && !window.kintsugi.busy")
    assert page.text_content("#status").startswith("Repaired")

    # Hold Space: the original shows; release: the result again.
    assert page.text_content("#compare") == "Show original"
    page.keyboard.down(" ")
    assert page.text_content("#compare") == "Show result"
    page.keyboard.up(" ")
    assert page.text_content("#compare") == "Show original"

    with page.expect_download() as download:
        page.click("#save")
    assert download.value.suggested_filename == "lines.repaired.png"
    saved = tmp_path / "saved.png"
    download.value.save_as(saved)
    with Image.open(saved) as im:
        assert im.mode == "RGBA" and im.size == (120, 80)
        result = np.asarray(im).copy()

    assert np.array_equal(result[..., 3], alpha)  # transparency kept exactly
    changed = (result[..., :3] != rgb).any(axis=2)
    assert changed.sum() > 20  # the lines under the stroke were painted out
    # Only inside the stroke: brush radius 4, plus a pixel for mouse positions on a scaled view.
    stroke = near_segment(rgb.shape[:2], start=start, end=end, radius=4 + 1.0)
    assert not (changed & ~stroke).any(), f"{(changed & ~stroke).sum()} pixels changed outside the stroke"
    # The fill is close to the art that was there (flat fill, crossed by three dark lines; a
    # method may continue the lines or paint them out): garbage (green, black) would be far off.
    assert np.abs(result[stroke, :3].astype(int) - rgb[stroke]).mean() < 40

    page.screenshot(path=str(tmp_path / "ui.png"))
    ARTIFACT.parent.mkdir(exist_ok=True)
    shutil.copyfile(tmp_path / "ui.png", ARTIFACT)


def test_green_paint_opens_as_the_mask(page, tmp_path):
    rgb, _ = lines_image()
    hole = bar_mask(80, 120, box=(20, 30, 35, 70))
    rgb[hole] = GREEN
    source = tmp_path / "painted.png"
    Image.fromarray(rgb).save(source)
    page.set_input_files("#file", str(source))
    wait_for_status(page, "green paint as mask")
    assert page.evaluate("window.kintsugi.maskCount()") == hole.sum()


def test_detect_mosaic_fills_the_mask_and_picks_a_mosaic_method(page, tmp_path):
    rng = np.random.default_rng(1)
    rgb = np.full((96, 96, 3), 230, np.uint8)
    rgb[24:72, 24:72] = np.kron(rng.integers(40, 220, (6, 6, 3), dtype=np.uint8), np.ones((8, 8, 1), np.uint8))
    source = tmp_path / "mosaic.png"
    Image.fromarray(rgb).save(source)
    page.set_input_files("#file", str(source))
    wait_for_status(page, "paint over")
    page.click("#detect")
    wait_for_status(page, "Mosaic:")
    assert page.evaluate("window.kintsugi.maskCount()") >= 0.8 * 48 * 48
    kind = page.eval_on_selector("#method", "select => select.selectedOptions[0].dataset.kind")
    assert kind == "mosaic"
