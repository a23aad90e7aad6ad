"""Regenerate docs/ui.png, the README's screenshot of `kintsugi serve`: the page with
examples/painted/brush.png opened (its green as the mask) and repaired.

Needs what tests/test_browser.py needs (.ci/browser.sh installs it):
    python scripts/ui_screenshot.py [--out docs/ui.png]
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


def capture(url: str, *, image: Path, profile: Path) -> bytes:
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path="/usr/bin/chromium",
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1000, "height": 640},
        )
        try:
            page = context.new_page()
            page.goto(url)
            page.wait_for_selector("#method option", state="attached")
            page.set_input_files("#file", str(image))
            page.wait_for_function("() => window.kintsugi.maskCount() > 0 && !window.kintsugi.busy")
            page.click("#run")
            page.wait_for_function("() => window.kintsugi.hasResult && !window.kintsugi.busy")
            page.mouse.move(5, 635)  # over the status bar: no brush cursor in the picture
            return page.screenshot()
        finally:
            context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "ui.png")
    parser.add_argument("--image", type=Path, default=ROOT / "examples" / "painted" / "brush.png")
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-m", "kintsugi.server", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        match = re.search(r"http://\S+/", server.stdout.readline())
        if not match:
            raise SystemExit("the server did not start")
        with tempfile.TemporaryDirectory() as profile:
            shot = capture(match.group(0), image=args.image, profile=Path(profile))
    finally:
        server.terminate()
        server.wait(timeout=30)
    # A palette PNG: a UI screenshot has few colours, and the README should stay light.
    small = Image.open(io.BytesIO(shot)).convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    small.save(args.out, optimize=True)
    print(f"{args.out} ({args.out.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
