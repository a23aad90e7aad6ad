"""Regenerate the README's screenshots of the page: docs/ui.png (three example files open,
brush.png repaired from its green paint, the file list with each file's state) and
docs/ui-detect.png (the mosaic example's detected region as an editable mark).

Needs what tests/test_browser.py needs (.ci/browser.sh installs it):
    python scripts/ui_screenshot.py [--out docs]
"""

from __future__ import annotations

import argparse
import io
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def capture(url: str, *, profile: Path) -> dict[str, bytes]:
    files = [
        ROOT / "examples" / "painted" / "brush.png",
        ROOT / "examples" / "painted" / "bars.png",
        ROOT / "examples" / "mosaic" / "original" / "mermaid.png",
    ]
    shots = {}
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path="/usr/bin/chromium",
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1100, "height": 680},
        )
        try:
            page = context.new_page()
            page.goto(url)
            page.wait_for_selector("#method option", state="attached")
            page.set_input_files("#file", [str(f) for f in files])
            page.wait_for_function("() => window.kintsugi.maskCount() > 0 && !window.kintsugi.busy")
            page.click("#run")
            page.wait_for_function("() => window.kintsugi.hasResult && !window.kintsugi.busy")
            page.mouse.move(5, 675)  # over the status bar: no brush cursor in the picture
            shots["ui.png"] = page.screenshot()
            page.click("#file-list li[data-name='mermaid.png']")
            page.wait_for_function("() => window.kintsugi.active === 'mermaid.png' && !window.kintsugi.busy")
            page.click("#detect")
            page.wait_for_function("() => window.kintsugi.regions.length > 0 && !window.kintsugi.busy")
            page.mouse.move(5, 675)
            shots["ui-detect.png"] = page.screenshot()
        finally:
            context.close()
    return shots


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder (default: docs/)")
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-m", "kintsugi.server", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        match = re.search(r"http://\S+/", server.stdout.readline())
        if not match:
            raise SystemExit("the server did not start")
        with tempfile.TemporaryDirectory() as profile:
            shots = capture(match.group(0), profile=Path(profile))
    finally:
        server.terminate()
        server.wait(timeout=30)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, shot in shots.items():
        # A palette PNG: a UI screenshot has few colours, and the README should stay light.
        small = Image.open(io.BytesIO(shot)).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        small.save(args.out / name, optimize=True)
        print(f"{args.out / name} ({(args.out / name).stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
