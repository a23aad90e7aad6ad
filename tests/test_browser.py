"""End to end in real headless Chromium (Debian's package, driven by Playwright; no browser
download): open an image, paint a stroke with the mouse, repair, save, and check the saved PNG
against the input pixel by pixel. Skips only when /usr/bin/chromium or playwright is missing
(.ci/browser.sh installs both).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from synthetic import GREEN, bar_mask

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
ARTIFACT = ARTIFACTS / "ui.png"
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
    art, alpha = lines_image()
    # A red mark under the stroke's path: no method brings it back from the surroundings, so
    # the repair must change pixels even when it continues the lines exactly.
    rgb = art.copy()
    rgb[40:44, 50:56] = (220, 30, 30)
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
    assert changed.sum() >= 24  # at least the mark was repaired
    # Only inside the stroke: brush radius 4, plus a pixel for mouse positions on a scaled view.
    stroke = near_segment(rgb.shape[:2], start=start, end=end, radius=4 + 1.0)
    assert not (changed & ~stroke).any(), f"{(changed & ~stroke).sum()} pixels changed outside the stroke"
    # The fill is close to the art that was there (flat fill, crossed by three dark lines; a
    # method may continue the lines or paint them out): garbage (green, black) would be far off.
    assert np.abs(result[stroke, :3].astype(int) - art[stroke]).mean() < 40
    assert not (result[40:44, 50:56, :3] == (220, 30, 30)).all(axis=2).any(), "the mark must be gone"

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
    wait_for_status(page, "Detected:")
    assert page.evaluate("window.kintsugi.maskCount()") >= 0.8 * 48 * 48
    kind = page.eval_on_selector("#method", "select => select.selectedOptions[0].dataset.kind")
    assert kind == "mosaic"


# ---------------------------------------------------------------------------------------------
# The editor as a whole: several files, cumulative repairs, masks in and out, detection, save all


def stroke(page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*to_client(page, *start))
    page.mouse.down()
    page.mouse.move(*to_client(page, *end), steps=10)
    page.mouse.up()


def kintsugi(page, name: str):
    return page.evaluate(f"window.kintsugi.{name}")


def wait_idle(page) -> None:
    page.wait_for_function("() => !window.kintsugi.busy")


def repair_and_wait(page, repairs: int) -> None:
    page.click("#run")
    page.wait_for_function("n => window.kintsugi.repairs === n && !window.kintsugi.busy", arg=repairs)


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.mouse.move(2, 2)  # no brush cursor in the picture
    page.screenshot(path=str(ARTIFACTS / name))


def mosaic_image() -> np.ndarray:
    rng = np.random.default_rng(1)
    rgb = np.full((96, 96, 3), 230, np.uint8)
    rgb[24:72, 24:72] = np.kron(rng.integers(40, 220, (6, 6, 3), dtype=np.uint8), np.ones((8, 8, 1), np.uint8))
    return rgb


def test_editor_several_files_cumulative_repairs_masks_detection_save_all(page, tmp_path):
    lines, _ = lines_image()
    # Marks under both strokes: a repair must change them even where it continues the lines.
    lines[19:23, 50:56] = (220, 30, 30)
    lines[59:63, 50:56] = (30, 30, 220)
    painted = lines.copy()
    bar = bar_mask(80, 120, box=(20, 30, 35, 70))
    painted[bar] = GREEN
    clean = np.full((64, 64, 3), 180, np.uint8)
    paths = []
    for name, rgb in (("lines", lines), ("painted", painted), ("mosaic", mosaic_image()), ("clean", clean)):
        paths.append(tmp_path / f"{name}.png")
        Image.fromarray(rgb).save(paths[-1])

    page.set_input_files("#file", [str(p) for p in paths])
    wait_for_status(page, "paint over")
    assert page.locator("#file-list li").count() == 4
    assert kintsugi(page, "active") == "lines.png"

    # Paint, repair, paint more elsewhere, repair again: the second repair starts from the first.
    page.eval_on_selector("#brush-size", "el => { el.value = 8; el.dispatchEvent(new Event('input')); }")
    stroke(page, (30.0, 20.0), (90.0, 22.0))
    first = kintsugi(page, "maskCount()")
    repair_and_wait(page, 1)
    assert kintsugi(page, "maskCount()") == 0  # the result is the new base, the mask starts over
    stroke(page, (30.0, 60.0), (90.0, 62.0))
    second = kintsugi(page, "maskCount()")
    repair_and_wait(page, 2)
    assert page.text_content("#file-list li.active .file-state") == "repaired ×2"
    shot(page, "editor-two-repairs.png")
    with page.expect_download() as download:
        page.click("#save")
    saved = tmp_path / "lines.repaired.png"
    download.value.save_as(saved)
    result = np.asarray(Image.open(saved).convert("RGB"))
    changed = (result != lines).any(axis=2)
    near_first = near_segment(lines.shape[:2], start=(30.0, 20.0), end=(90.0, 22.0), radius=5)
    near_second = near_segment(lines.shape[:2], start=(30.0, 60.0), end=(90.0, 62.0), radius=5)
    assert (changed & near_first).sum() >= 24 and (changed & near_second).sum() >= 24  # both repairs kept
    assert not (changed & ~near_first & ~near_second).any()

    # Undo across repairs: repair 2, stroke 2, repair 1 (its mask comes back); redo all three.
    page.keyboard.press("Control+z")
    assert (kintsugi(page, "repairs"), kintsugi(page, "maskCount()")) == (1, second)
    # Export the mask of this state: white exactly where the mask is.
    with page.expect_download() as download:
        page.click("#mask-export")
    assert download.value.suggested_filename == "lines.mask.png"
    download.value.save_as(tmp_path / "exported.png")
    exported = np.asarray(Image.open(tmp_path / "exported.png").convert("L")) > 127
    assert exported.sum() == second and (exported & near_second).sum() == second
    page.keyboard.press("Control+z")
    assert (kintsugi(page, "repairs"), kintsugi(page, "maskCount()")) == (1, 0)
    page.keyboard.press("Control+z")
    assert (kintsugi(page, "repairs"), kintsugi(page, "maskCount()")) == (0, first)
    for _ in range(3):
        page.keyboard.press("Control+Shift+z")
    assert (kintsugi(page, "repairs"), kintsugi(page, "maskCount()")) == (2, 0)

    # Import a mask (white = hole); the wrong size is refused with a message.
    imported = bar_mask(80, 120, box=(10, 10, 30, 50))
    Image.fromarray(imported.astype(np.uint8) * 255).save(tmp_path / "import.png")
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(tmp_path / "small.png")
    page.set_input_files("#mask-file", str(tmp_path / "small.png"))
    wait_for_status(page, "Error: small.png is 10×10 but the image is 120×80")
    page.set_input_files("#mask-file", str(tmp_path / "import.png"))
    wait_for_status(page, "Mask imported")
    assert kintsugi(page, "maskCount()") == imported.sum()
    page.keyboard.press("Control+z")  # importing is one undoable step
    assert kintsugi(page, "maskCount()") == 0

    # The detected mosaic is an editable mark: erase a strip of it with the eraser.
    page.click("#file-list li[data-name='mosaic.png']")
    wait_for_status(page, "mosaic.png, 96×96")
    page.click("#detect")
    wait_for_status(page, "Detected:")
    assert [r["kind"] for r in kintsugi(page, "regions")] == ["mosaic"]
    detected = kintsugi(page, "maskCount()")
    assert detected >= 0.8 * 48 * 48
    shot(page, "editor-detected.png")
    page.click("#tool-eraser")
    stroke(page, (20.0, 30.0), (76.0, 30.0))
    corrected = kintsugi(page, "maskCount()")
    assert 0 < corrected < detected - 48 * 4

    # Repair all: the painted file by its green, the mosaic by the corrected mark, the clean one
    # has nothing; lines was repaired and has no new marks, so it is left as it is.
    page.click("#run-all")
    wait_for_status(page, "Repair all: 2 repaired, 1 with nothing found, 0 failed")
    states = {s["name"]: (s["state"], s["repairs"]) for s in kintsugi(page, "states()")}
    assert states == {
        "lines.png": ("repaired", 2),
        "painted.png": ("repaired", 1),
        "mosaic.png": ("repaired", 1),
        "clean.png": ("nothing", 0),
    }
    shot(page, "editor-repair-all.png")

    with page.expect_download() as download:
        page.click("#save-all")
    assert download.value.suggested_filename == "kintsugi-repaired.zip"
    download.value.save_as(tmp_path / "all.zip")
    with zipfile.ZipFile(tmp_path / "all.zip") as archive:
        assert archive.testzip() is None  # every CRC right
        assert sorted(archive.namelist()) == ["lines.repaired.png", "mosaic.repaired.png", "painted.repaired.png"]
        assert archive.read("lines.repaired.png") == saved.read_bytes()
        out = {n: np.asarray(Image.open(io.BytesIO(archive.read(n))).convert("RGB")) for n in archive.namelist()}
    assert not (out["painted.repaired.png"] == GREEN).all(axis=2).any()
    assert np.array_equal(out["painted.repaired.png"][~bar], painted[~bar])
    mosaic_changed = (out["mosaic.repaired.png"] != mosaic_image()).any(axis=2)
    assert mosaic_changed.any() and not mosaic_changed[:, :16].any()  # only inside the mark
    assert not mosaic_changed[26:34, 30:70].any()  # the erased strip was left alone

    # Back to the first file, whose pixels were given back while others were active: it is
    # decoded again, and undo still steps back across its repairs (decoding each image again).
    page.click("#file-list li[data-name='lines.png']")
    wait_for_status(page, "lines.png, 120×80")
    kind = page.eval_on_selector("#method", "select => select.selectedOptions[0].dataset.kind")
    assert kind == "inpaint"  # the mosaic method detection chose was for mosaic.png only
    page.keyboard.press("Control+z")
    page.wait_for_function("() => window.kintsugi.repairs === 1")
    assert kintsugi(page, "maskCount()") == second
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    page.wait_for_function("() => window.kintsugi.repairs === 0")
    assert kintsugi(page, "maskCount()") == first
    shot(page, "editor-undone-after-switching.png")


def test_layout_refits_on_resize_narrow_toolbar_and_help(page, tmp_path):
    rgb, _ = lines_image()
    Image.fromarray(rgb).save(tmp_path / "lines.png")
    page.set_input_files("#file", str(tmp_path / "lines.png"))
    wait_for_status(page, "paint over")
    before = kintsugi(page, "view")
    page.set_viewport_size({"width": 1400, "height": 900})
    page.wait_for_function("s => window.kintsugi.view.scale > s * 1.1", arg=before["scale"])
    assert kintsugi(page, "view")["fitted"]

    page.set_viewport_size({"width": 520, "height": 700})
    page.wait_for_function("s => window.kintsugi.view.scale < s", arg=before["scale"])
    # Every toolbar button still on screen (the toolbar wraps) and the canvas keeps room.
    box = page.locator("#canvas").bounding_box()
    assert box["height"] > 250
    for button in ("#run", "#save", "#help-button", "#detect"):
        b = page.locator(button).bounding_box()
        assert b and b["x"] >= 0 and b["x"] + b["width"] <= 520, button
    shot(page, "editor-narrow.png")

    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    assert "Ctrl" in page.text_content("#help") and "undo" in page.text_content("#help")
    shot(page, "editor-help.png")
    page.keyboard.press("Escape")
    assert not page.locator("#help").is_visible()


def test_open_a_folder_lists_its_images_only(page, tmp_path):
    folder = tmp_path / "chapter"
    (folder / "sub").mkdir(parents=True)
    rgb, _ = lines_image()
    Image.fromarray(rgb).save(folder / "p1.png")
    Image.fromarray(rgb).save(folder / "sub" / "p2.png")
    (folder / "notes.txt").write_text("not an image")
    page.set_input_files("#folder", str(folder))
    wait_for_status(page, "paint over")
    names = sorted(s["name"] for s in kintsugi(page, "states()"))
    assert names == ["chapter/p1.png", "chapter/sub/p2.png"]  # folder-relative, the text file left out
