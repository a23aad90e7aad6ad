"""Turn the unpacked Debian art packages into a training set.

    python -m kintsugi.training.prepare --raw data/raw/extract --out data

Writes
  data/manifest.jsonl   one line per kept image: id, package, version, path, licence, split,
                        size, sha1 of the file; plus one line per generated image family
  data/cache/{train,val}.npz  the kept images, RGBA uint8, trimmed to their opaque box
  data/val/*.png        the validation images composited on a fixed background (RGB), for
                        the benchmarks

The split is by near-duplicate group (a 16x16 thumbnail hash), so no variant of a validation
image is ever trained on.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from kintsugi.training.backgrounds import composite

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
MIN_SIDE = 96
MAX_SIDE = 768  # larger art is downscaled once here so the cache fits in memory
VAL_PERCENT = 5
VAL_MAX_SIDE = 512

# Package-level licence summaries, from each package's debian/copyright ("Files: *" stanza).
LICENCES = {
    "openclipart-png": "public domain (Creative Commons Public Domain Dedication)",
    "tuxpaint-stamps-default": "GPL-2",
    "renpy-demo": "see /usr/share/doc/renpy-demo/copyright (Expat/other per file)",
    "wesnoth-1.16-data": "GPL-2+ (see /usr/share/doc/wesnoth-1.16-data/copyright)",
    "gcompris-qt-data": "see /usr/share/doc/gcompris-qt-data/copyright (GPL-3+/CC-BY-SA/PD per file)",
    "mypaint-data-extras": "see /usr/share/doc/mypaint-data-extras/copyright (GPL-2+/CC0 per file)",
}

_PNG_START = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"IEND\xaeB`\x82"


@dataclass(frozen=True)
class Item:
    package: str
    path: str  # relative to the raw folder; "file.rcc#N" for the Nth image inside a Qt resource
    data: bytes


def carve_rcc(blob: bytes) -> list[bytes]:
    """PNG files stored in a Qt .rcc resource bundle, raw or zlib-compressed.

    Qt stores each file either as-is or as (4-byte big-endian length + zlib stream); we find
    raw PNG signatures directly and try to inflate at every zlib header.
    """
    found = []
    start = blob.find(_PNG_START)
    while start >= 0:
        end = blob.find(_PNG_END, start)
        if end < 0:
            break
        found.append(blob[start : end + len(_PNG_END)])
        start = blob.find(_PNG_START, end)
    for m in re.finditer(rb"\x78[\x01\x5e\x9c\xda]", blob):
        try:
            data = zlib.decompressobj().decompress(blob[m.start() : m.start() + 4_000_000])
        except zlib.error:
            continue
        if data.startswith(_PNG_START):
            found.append(data)
    return found


def iter_items(raw: Path):
    for pkg_dir in sorted(p for p in raw.iterdir() if p.is_dir()):
        for f in sorted(pkg_dir.rglob("*")):
            if not f.is_file() or "/doc/" in f.as_posix():
                continue
            rel = f.relative_to(raw).as_posix()
            if f.suffix.lower() in IMAGE_SUFFIXES:
                yield Item(pkg_dir.name, rel, f.read_bytes())
            elif f.suffix == ".rcc":
                for i, data in enumerate(carve_rcc(f.read_bytes())):
                    yield Item(pkg_dir.name, f"{rel}#{i}", data)


def load_rgba(data: bytes) -> np.ndarray | None:
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.seek(0)
            return np.asarray(im.convert("RGBA")).copy()
    except Exception:  # noqa: BLE001 — a broken file in a package is skipped, not fatal
        return None


def trim(rgba: np.ndarray) -> np.ndarray:
    """Crop to the bounding box of visible pixels (clip art has wide transparent margins)."""
    ys, xs = np.nonzero(rgba[..., 3] > 16)
    if len(ys) == 0:
        return rgba[:0, :0]
    return rgba[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def keep(rgba: np.ndarray) -> bool:
    """Drop tiny icons, near-empty images and flat single-colour swatches."""
    h, w = rgba.shape[:2]
    if min(h, w) < MIN_SIDE:
        return False
    opaque = rgba[..., 3] > 128
    if opaque.mean() < 0.2:
        return False
    colours = rgba[..., :3][opaque].reshape(-1, 3)
    return float(colours.std(0).mean()) > 8.0


def downscale(rgba: np.ndarray, max_side: int) -> np.ndarray:
    h, w = rgba.shape[:2]
    s = max_side / max(h, w)
    if s >= 1:
        return rgba
    return cv2.resize(rgba, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)


def group_key(rgba: np.ndarray) -> str:
    """Near-duplicate key: the same art at another size or with a recolour-free variant."""
    thumb = cv2.resize(rgba, (16, 16), interpolation=cv2.INTER_AREA)
    gray = thumb[..., :3].mean(-1) * (thumb[..., 3] / 255.0)
    bits = (gray > gray.mean()).astype(np.uint8)
    return hashlib.sha1(bits.tobytes()).hexdigest()


def package_versions(raw: Path) -> dict[str, str]:
    versions = {}
    for ctl in raw.glob("*.control"):
        fields = dict(line.split(": ", 1) for line in ctl.read_text().splitlines() if ": " in line)
        versions[fields.get("Package", ctl.stem)] = fields.get("Version", "?")
    return versions


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw", type=Path, default=Path("data/raw/extract"))
    ap.add_argument("--out", type=Path, default=Path("data"))
    args = ap.parse_args(argv)
    versions = package_versions(args.raw)
    seen: set[str] = set()
    splits: dict[str, list[np.ndarray]] = {"train": [], "val": []}
    ids: dict[str, list[str]] = {"train": [], "val": []}
    (args.out / "val").mkdir(parents=True, exist_ok=True)
    (args.out / "cache").mkdir(parents=True, exist_ok=True)
    counts: dict[str, list[int]] = {}
    with open(args.out / "manifest.jsonl", "w") as manifest:
        for item in iter_items(args.raw):
            c = counts.setdefault(item.package, [0, 0])
            c[0] += 1
            sha1 = hashlib.sha1(item.data).hexdigest()
            if sha1 in seen:
                continue
            seen.add(sha1)
            rgba = load_rgba(item.data)
            if rgba is None:
                continue
            rgba = trim(rgba)
            if rgba.size == 0 or not keep(rgba):
                continue
            rgba = downscale(rgba, MAX_SIDE)
            key = group_key(rgba)
            if key in seen:
                continue
            seen.add(key)
            split = "val" if int(key[:8], 16) % 100 < VAL_PERCENT else "train"
            img_id = f"{item.package}/{sha1[:12]}"
            c[1] += 1
            splits[split].append(rgba)
            ids[split].append(img_id)
            manifest.write(
                json.dumps(
                    {
                        "id": img_id,
                        "package": item.package,
                        "version": versions.get(item.package, "?"),
                        "path": item.path,
                        "licence": LICENCES.get(item.package, "?"),
                        "split": split,
                        "width": int(rgba.shape[1]),
                        "height": int(rgba.shape[0]),
                        "sha1": sha1,
                    }
                )
                + "\n"
            )
            if split == "val":
                rng = np.random.default_rng(int(sha1[:8], 16))
                rgb = composite(downscale(rgba, VAL_MAX_SIDE), rng)
                name = img_id.replace("/", "_") + ".png"
                cv2.imwrite(str(args.out / "val" / name), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        manifest.write(
            json.dumps(
                {
                    "id": "generated/synth_art",
                    "package": "kintsugi (generated)",
                    "path": "kintsugi.training.synth_art.generate",
                    "licence": "CC0-1.0 (made by this project)",
                    "split": "train",
                    "note": "drawn on the fly during training (20% of samples), seeds >= 1000000; "
                    "the validation split holds no generated images",
                }
            )
            + "\n"
        )
    for split in ("train", "val"):
        arr = np.empty(len(splits[split]), dtype=object)
        arr[:] = splits[split]
        np.savez(args.out / "cache" / f"{split}.npz", images=arr, ids=np.array(ids[split]))
    for pkg, (seen_n, kept) in sorted(counts.items()):
        print(f"{pkg:28s} files {seen_n:6d} kept {kept:6d}")
    print(f"train {len(ids['train'])} val {len(ids['val'])}")


if __name__ == "__main__":
    main()
