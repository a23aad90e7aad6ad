"""What each endpoint computes, as plain blocking functions: bytes in, bytes out.

No web framework here, so these are testable on their own and the app can run them in worker
threads. Everything stays in memory.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass

import numpy as np

import kintsugi
from kintsugi import masks, methods
from kintsugi.errors import MethodError, NoHoleFound
from kintsugi.server import imaging

# A method name is a short registry key; anything longer is not one and is not echoed back whole.
MAX_METHOD_NAME = 64


@dataclass(frozen=True)
class MaskResult:
    """A mask for the page: PNG bytes (white = hole) and what to tell the user about it."""

    png: bytes
    width: int
    height: int
    hole_pixels: int
    message: str


def method_list() -> list[dict[str, object]]:
    """The registry as JSON-ready dicts, the same list `kintsugi methods` prints."""
    return [
        {"name": m.name, "kind": m.kind, "description": m.description, "default": m.default}
        for m in methods.available()
    ]


def resolve_method(name: str | None) -> tuple[str, str]:
    """(method name, kind) for a requested name; empty means the default inpainting method."""
    name = (name or "").strip()
    if not name:
        return methods.default_method("inpaint"), "inpaint"
    if len(name) > MAX_METHOD_NAME:
        raise MethodError(f"unknown method {name[:MAX_METHOD_NAME]!r}...; see GET /api/methods")
    return name, methods.info(name).kind


def repair_png(
    image: bytes | bytearray, mask: bytes | bytearray, *, method: str | None, max_pixels: int | None
) -> bytes:
    """Repair the uploaded image where the uploaded mask is white; the result PNG keeps alpha.

    A mosaic method restores the pixels under the mask (the un-painted image); an inpainting
    method invents them, so for it the image may equally be the green-painted one.
    """
    name, kind = resolve_method(method)  # first: an unknown method should not cost a decode
    picture = imaging.decode_image(image, max_pixels=max_pixels)
    hole = imaging.decode_mask(mask, shape=picture.rgb.shape[:2], max_pixels=max_pixels)
    if not hole.any():
        raise NoHoleFound("the mask is empty: paint over what should be repaired (white = hole)")
    repair = kintsugi.restore_mosaic if kind == "mosaic" else kintsugi.inpaint
    return imaging.result_png(repair(picture.rgb, hole, method=name), picture.alpha)


def green_mask(image: bytes | bytearray, *, max_pixels: int | None) -> MaskResult:
    """The hole mask of the image's green paint (empty when there is none)."""
    picture = imaging.decode_image(image, max_pixels=max_pixels)
    hole, report = masks.green_mask(picture.rgb)
    return _mask_result(hole, hole_pixels=report.hole_pixels, message=report.describe())


def detection_available() -> bool:
    try:
        return importlib.util.find_spec("kintsugi.detect") is not None
    except (ImportError, ValueError):
        return False


def mosaic_mask(image: bytes | bytearray, *, max_pixels: int | None) -> MaskResult:
    """The mask of the mosaics found in the image (empty when none)."""
    if not detection_available():
        raise MethodError("mosaic detection is not available in this installation")
    picture = imaging.decode_image(image, max_pixels=max_pixels)
    detection = _detector().detect_mosaic(picture.rgb)
    count = len(detection.regions)
    hole_pixels = int(detection.mask.sum())
    message = f"{count} mosaic region{'s' if count != 1 else ''}, {hole_pixels:,} px" if count else "no mosaic found"
    return _mask_result(detection.mask, hole_pixels=hole_pixels, message=message)


@dataclass(frozen=True)
class FoundRegions:
    """What detection found, for the page: the union mask and one dict per region."""

    mask: MaskResult
    regions: list[dict[str, object]]


def detect_regions(image: bytes | bytearray, *, max_pixels: int | None) -> FoundRegions:
    """Every region detection finds, each as {"kind", "box": [x0, y0, x1, y1] end-exclusive}."""
    if not detection_available():
        raise MethodError("detection is not available in this installation")
    picture = imaging.decode_image(image, max_pixels=max_pixels)
    mask, regions = found_regions(_detector(), picture.rgb)
    hole_pixels = int(mask.sum())
    kinds: dict[str, int] = {}
    for r in regions:
        kinds[str(r["kind"])] = kinds.get(str(r["kind"]), 0) + 1
    listed = ", ".join(f"{n} {kind}" for kind, n in kinds.items())
    message = f"found {listed} ({hole_pixels:,} px)" if regions else "nothing found"
    return FoundRegions(mask=_mask_result(mask, hole_pixels=hole_pixels, message=message), regions=regions)


def _detector():
    return importlib.import_module("kintsugi.detect")  # imported on use: it is optional


def found_regions(detect, rgb: np.ndarray) -> tuple[np.ndarray, list[dict[str, object]]]:
    """(union mask, regions) from the detector's public API, read generically so that new kinds
    reach the page unchanged: ``detect_censors`` (every kind, each region named by its kind)
    where the installation has it, else ``detect_mosaic`` (mosaics)."""
    if hasattr(detect, "detect_censors"):
        found = detect.detect_censors(rgb)
        mask = found.mask()
        items = [(c.kind, c.box) for c in found.censors]
    else:
        detection = detect.detect_mosaic(rgb)
        mask = detection.mask
        items = [(getattr(r, "kind", "mosaic"), getattr(r, "box", None) or r.bbox) for r in detection.regions]
    return mask, [{"kind": str(kind), "box": _xyxy(box)} for kind, box in items]


def _xyxy(box) -> list[int]:
    # kintsugi.regions.Box names its fields (y0, x0, y1, x1); a plain bbox tuple is (x0, y0, x1, y1).
    if hasattr(box, "y0"):
        return [int(box.x0), int(box.y0), int(box.x1), int(box.y1)]
    return [int(v) for v in box]


def _mask_result(hole: np.ndarray, *, hole_pixels: int, message: str) -> MaskResult:
    height, width = hole.shape
    return MaskResult(png=imaging.mask_png(hole), width=width, height=height, hole_pixels=hole_pixels, message=message)
