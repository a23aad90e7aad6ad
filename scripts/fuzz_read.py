"""Bounded fuzz run of kintsugi's image-reading path (issue 6).

Mutates valid files of every supported format (bit flips, overwritten bytes, truncation,
inserted and duplicated spans) and feeds them to ``kintsugi.io.read_image``. The only acceptable
outcomes are a valid picture (RGB uint8 HxWx3, alpha uint8 HxW or None) or an ImageReadError
with a message naming the file. Anything else is a bug: the input is kept under --crashes.

    python scripts/fuzz_read.py --seconds 60 [--seed 0] [--crashes fuzz-crashes]

Exit code 1 when an unexpected exception or an invalid picture was seen.
"""

from __future__ import annotations

import argparse
import collections
import io as _io
import random
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np
from PIL import Image

from kintsugi import io
from kintsugi.errors import ImageReadError


def seeds() -> dict[str, bytes]:
    """Small valid files in every format and several modes."""
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    rgb[4:12, 4:20] = (0, 255, 0)
    out: dict[str, bytes] = {}

    def save(name: str, image: Image.Image, fmt: str, **options: object) -> None:
        buffer = _io.BytesIO()
        image.save(buffer, fmt, **options)
        out[name] = buffer.getvalue()

    base = Image.fromarray(rgb)
    save("rgb.png", base, "PNG")
    save("rgba.png", base.convert("RGBA"), "PNG")
    save("p.png", base.convert("P"), "PNG", transparency=0)
    save("i16.png", Image.fromarray(rgb[..., 0].astype(np.uint16) * 257), "PNG")
    save("rgb.jpg", base, "JPEG", quality=80)
    save("cmyk.jpg", base.convert("CMYK"), "JPEG")
    exif = Image.Exif()
    exif[0x0112] = 6
    save("exif.jpg", base, "JPEG", exif=exif.tobytes())
    save("anim.gif", base, "GIF", save_all=True, append_images=[base.rotate(90)])
    save("rgb.webp", base, "WEBP", lossless=True)
    save("rgb.bmp", base, "BMP")
    save("rgb.tif", base, "TIFF")
    save("one.tif", base.convert("1"), "TIFF")
    return out


def mutate(data: bytes, rnd: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        action = rnd.choice(("flip", "set", "truncate", "insert", "duplicate", "zero-span"))
        if not buf:
            break
        pos = rnd.randrange(len(buf))
        if action == "flip":
            buf[pos] ^= 1 << rnd.randrange(8)
        elif action == "set":
            buf[pos] = rnd.choice((0, 0xFF, 0x7F, 0x80, rnd.randrange(256)))
        elif action == "truncate":
            del buf[pos:]
        elif action == "insert":
            buf[pos:pos] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 16)))
        elif action == "duplicate":
            end = min(len(buf), pos + rnd.randint(1, 64))
            buf[pos:pos] = buf[pos:end]
        else:
            end = min(len(buf), pos + rnd.randint(1, 32))
            buf[pos:end] = bytes(end - pos)
    return bytes(buf)


def check(picture: io.Picture) -> str | None:
    """Why the picture breaks the contract, or None."""
    rgb = picture.rgb
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3 or 0 in rgb.shape:
        return f"bad rgb {rgb.dtype} {rgb.shape}"
    if picture.alpha is not None and (picture.alpha.dtype != np.uint8 or picture.alpha.shape != rgb.shape[:2]):
        return f"bad alpha {picture.alpha.dtype} {picture.alpha.shape}"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--crashes", type=Path, default=Path("fuzz-crashes"))
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    corpus = seeds()
    outcomes: collections.Counter[str] = collections.Counter()
    reasons: collections.Counter[str] = collections.Counter()
    bugs = 0
    deadline = time.monotonic() + args.seconds
    with tempfile.TemporaryDirectory(prefix="kintsugi-fuzz-") as tmp:
        while time.monotonic() < deadline:
            name = rnd.choice(sorted(corpus))
            data = mutate(corpus[name], rnd)
            path = Path(tmp) / name
            path.write_bytes(data)
            try:
                problem = check(io.read_image(path, max_pixels=4_000_000))
            except ImageReadError as exc:
                message = str(exc)
                if not message.startswith(str(path)):
                    problem = f"message does not name the file: {message}"
                else:
                    outcomes["clear error"] += 1
                    reasons[message[len(str(path)) + 2 :].split(" (")[0]] += 1
                    continue
            except Exception:  # noqa: BLE001 - exactly what the fuzzer hunts for
                problem = traceback.format_exc(limit=3)
            if problem is None:
                outcomes["read ok"] += 1
                continue
            bugs += 1
            outcomes["BUG"] += 1
            args.crashes.mkdir(parents=True, exist_ok=True)
            (args.crashes / f"{bugs:04d}-{name}").write_bytes(data)
            print(f"BUG with mutated {name}: {problem}")
    total = sum(outcomes.values())
    print(f"fuzzed read_image for {args.seconds:.0f} s: {total} files")
    for outcome, count in outcomes.most_common():
        print(f"  {outcome:<12} {count}")
    print("error messages seen:")
    for reason, count in reasons.most_common(12):
        print(f"  {count:>6}  {reason}")
    return 1 if bugs else 0


if __name__ == "__main__":
    raise SystemExit(main())
