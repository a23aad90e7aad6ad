"""Smoke test of the bundle scripts/build_app.sh builds: it starts, serves the page, and
repairs an example image through the API (run by .ci/app.sh after the build).

    python scripts/smoke_app.py [--exe dist/kintsugi/kintsugi]

Needs numpy and Pillow here (to make the mask and check the answer); the bundle needs nothing.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
GREEN = np.array([0, 255, 0], np.uint8)


def multipart(fields: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}.png"\r\n'
        f"Content-Type: image/png\r\n\r\n".encode()
        + data
        + b"\r\n"
        for name, data in fields.items()
    )
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    exe = ROOT / "dist" / "kintsugi" / ("kintsugi.exe" if sys.platform == "win32" else "kintsugi")
    parser.add_argument("--exe", type=Path, default=exe)
    parser.add_argument("--image", type=Path, default=ROOT / "examples" / "painted" / "brush.png")
    args = parser.parse_args()

    # No Python variables reach the bundle: it must run on its own, as on a machine without Python.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "CONDA"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if "venv" not in p)
    started = time.perf_counter()
    process = subprocess.Popen([str(args.exe), "app", "--no-browser"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        line = process.stdout.readline()
        match = re.search(r"http://\S+/", line)
        if not match:
            raise SystemExit(f"smoke: the bundle did not start: {line!r} (exit {process.poll()})")
        url = match.group(0)
        print(f"smoke: serving on {url} after {time.perf_counter() - started:.1f} s")
        with urllib.request.urlopen(url, timeout=60) as page:
            html = page.read().decode()
        assert page.status == 200 and "<title>kintsugi</title>" in html, "the page is not served"
        with urllib.request.urlopen(url + "static/main.js", timeout=60) as script:
            assert script.status == 200, "the page's script is not served"

        with Image.open(args.image) as im:
            rgb = np.asarray(im.convert("RGB")).copy()
        assert (rgb == GREEN).all(axis=2).any(), f"{args.image} has no green paint"
        # The page's flow: the server finds the green (its anti-aliased edge included), then repairs.
        body, content_type = multipart({"image": png(rgb)})
        request = urllib.request.Request(url + "api/green-mask", data=body, headers={"Content-Type": content_type})
        with urllib.request.urlopen(request, timeout=120) as answer:
            mask_png = answer.read()
            hole = np.asarray(Image.open(io.BytesIO(mask_png)).convert("L")) > 127
        assert (hole | ~(rgb == GREEN).all(axis=2)).all(), "the green mask misses painted pixels"
        body, content_type = multipart({"image": png(rgb), "mask": mask_png})
        request = urllib.request.Request(url + "api/repair", data=body, headers={"Content-Type": content_type})
        t0 = time.perf_counter()
        with urllib.request.urlopen(request, timeout=300) as answer:
            result = np.asarray(Image.open(io.BytesIO(answer.read())).convert("RGB"))
        assert result.shape == rgb.shape, f"wrong size {result.shape}"
        assert np.array_equal(result[~hole], rgb[~hole]), "pixels outside the mask changed"
        assert not (result[hole] == GREEN).all(axis=1).any(), "green left in the hole"
        print(f"smoke: repaired {args.image.name} ({hole.sum():,} px hole) in {time.perf_counter() - t0:.1f} s: ok")
    finally:
        process.terminate()
        process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
