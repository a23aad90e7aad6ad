"""Painted green -> hole mask, tolerant of anti-aliasing and JPEG drift; mask files.

How green is found:

1. Core: near-pure green (0,255,0): high G, low R and B. Strict enough that art greens (a dress
   at (40,160,60), leaves, lime (50,205,50)) are never core.
2. Edge profile, per region (kintsugi.paint_edges). A hard pencil edge leaves the art next to
   the paint untouched; a soft brush (or JPEG) leaves a ramp of green blends whose width is a
   property of the whole edge. Each ring at distance d = 1, 2, ... from a region's core is
   un-blended against the art colour continued from further out along the edge normal
   (p = a*green + (1-a)*c, solved for a); the edge's width is the last ring whose median a is
   still clearly above zero and falling. A hard edge measures width 0 and its hole is exactly
   the painted pixels.
3. Fringe: a soft region takes its measured width whole, then up to _TAIL_RINGS more rings of
   pixels that each test as a blend of pure green and an art colour c that is not hole:
   p ~ a*green + (1-a)*c with a small residual, c a nearby colour (JPEG, thin edges) or the
   colour continued from outside (the faint tail of a wide soft edge). Green art next to the
   paint is not such a blend (its neighbours are the same green, giving a ~ 0), so it stays.
4. Pixels next to the hole that still look like paint but were kept are counted for the report.

Only crops around the core are examined for fringe, so the cost follows the painted area.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import cv2
import numpy as np

from kintsugi import io, regions
from kintsugi.errors import MaskError
from kintsugi.paint_edges import EDGE_ALPHA, GREEN, edge_widths, far_blend

# Pure green in OpenCV's YCrCb (Cr, Cb) and the tolerances of the chroma-blend test (8-bit units).
_GREEN_CRCB = cv2.cvtColor(np.uint8([[[0, 255, 0]]]), cv2.COLOR_RGB2YCrCb)[0, 0, 1:].astype(np.float32)
_CHROMA_MAX_RESIDUAL = 8.0
_CHROMA_MAX_LUMA_SHIFT = 18.0

# Neighbour offsets (dy, dx) in which a fringe pixel looks for its art colour: the 5x5 square,
# so a 1-pixel ink line between fringe and art does not hide the partner colour.
_PARTNER_OFFSETS = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3) if (dy, dx) != (0, 0)]
_OFFSETS_Y = np.array([dy for dy, _ in _PARTNER_OFFSETS])[None, :]  # 1xK
_OFFSETS_X = np.array([dx for _, dx in _PARTNER_OFFSETS])[None, :]  # 1xK
_RING = np.ones((3, 3), np.uint8)
_CHUNK = 1 << 16  # ring pixels tested at once
# Pixels at most this far from a hole that still look like paint are reported, not taken.
_LEFTOVER_REACH = 2
# Rings tested pixel by pixel beyond a soft edge's measured width.
_TAIL_RINGS = 3
_LEFTOVER_ALPHA = 0.15


@dataclass(frozen=True)
class MaskReport:
    """What was found in one image."""

    regions: int  # connected hole regions (8-connectivity)
    hole_pixels: int  # all hole pixels, fringe included
    fringe_pixels: int  # off-green edge pixels (anti-aliasing, JPEG drift) absorbed into the hole
    greenish_pixels: int = 0  # only counted when no hole was found: strongly green, not pure
    leftover_pixels: int = 0  # next to the hole, still look like paint, left as art

    @property
    def empty(self) -> bool:
        return self.hole_pixels == 0

    def describe(self) -> str:
        if self.empty:
            text = "no green (0,255,0) found"
            if self.greenish_pixels:
                text += (
                    f"; {self.greenish_pixels:,} pixels are green-ish but not pure green "
                    "(if you painted them, repaint with exactly 0,255,0 and a hard brush)"
                )
            return text
        noun = "region" if self.regions == 1 else "regions"
        text = f"{self.regions} {noun}, {self.hole_pixels:,} px"
        if self.fringe_pixels:
            text += f" (incl. {self.fringe_pixels:,} off-green edge px)"
        if self.leftover_pixels:
            text += (
                f"; {self.leftover_pixels:,} green-ish px touch the hole and were kept as art "
                "(check the edge; repaint it if it is paint)"
            )
        return text


def green_mask(
    image: np.ndarray,
    *,
    min_green: int = 220,
    max_other: int = 70,
    fringe_radius: int = 10,
    min_blend: float = 0.2,
    max_residual: float = 40.0,
) -> tuple[np.ndarray, MaskReport]:
    """Hole mask (bool HxW) of the green paint in ``image`` (RGB uint8 HxWx3), and a report.

    ``min_green``/``max_other`` bound the core (G >= min_green, R and B <= max_other);
    ``fringe_radius`` caps the soft-edge width absorbed (0 turns fringe absorption off).
    """
    _check_image(image)
    core = cv2.inRange(image, (0, min_green, 0), (max_other, 255, max_other)) > 0
    if not core.any():
        greenish = _count_greenish(image)
        return core, MaskReport(regions=0, hole_pixels=0, fringe_pixels=0, greenish_pixels=greenish)
    hole = core.copy()
    leftover = 0
    if fringe_radius > 0:
        # The margin holds the far partners (fringe_radius + 2 out) of the outermost ring.
        for box in regions.hole_boxes(core, margin=2 * fringe_radius + 4):
            crop = image[box.slices]
            grown = absorb_fringe(
                crop,
                core[box.slices],
                radius=fringe_radius,
                min_blend=min_blend,
                max_residual=max_residual,
            )
            hole[box.slices] |= grown
            leftover += _count_leftover(crop, grown, reach=fringe_radius, max_residual=max_residual)
    hole_pixels = int(np.count_nonzero(hole))
    report = MaskReport(
        regions=regions.count_regions(hole),
        hole_pixels=hole_pixels,
        fringe_pixels=hole_pixels - int(np.count_nonzero(core)),
        leftover_pixels=leftover,
    )
    return hole, report


def absorb_fringe(
    image: np.ndarray,
    core: np.ndarray,
    *,
    radius: int,
    min_blend: float,
    max_residual: float,
) -> np.ndarray:
    """Grow ``core`` (bool HxW) over its soft edge in ``image``: each region by its measured
    edge width (at most ``radius``), then by up to _TAIL_RINGS rings of pixels that test as
    green blends; a hard-edged region does not grow.

    Tests, any of which admits a ring pixel:
    - RGB blend: p ~ a*green + (1-a)*c for an outward partner colour c (soft brush edges).
    - Far blend: the same against the art colour continued from outside along the edge normal,
      with a >= EDGE_ALPHA: the faint tail of a wide soft edge, whose near partners are green too.
    - Chroma blend: JPEG keeps luma at full resolution but halves chroma, so next to the bar a
      pixel keeps the art's brightness while its CbCr leans toward green. Same blend test in the
      CbCr plane, with the luma required to match the partner's (which keeps a dark green next
      to an ink line out: its luma differs from the ink's).
    - Strong green excess that does not continue outward (three-colour JPEG mixes at ink).
    """
    colours = image.astype(np.float32)  # HxWx3 RGB
    far = far_blend(colours, core, reach=radius, max_residual=max_residual)
    limit = edge_widths(far, core, reach=radius)  # HxW int: each pixel's region's edge width
    if not limit.any():
        return core.copy()
    ycc = cv2.cvtColor(image, cv2.COLOR_RGB2YCrCb).astype(np.float32)  # HxWx3 Y, Cr, Cb
    with np.errstate(invalid="ignore"):
        far_ok = far.alpha >= EDGE_ALPHA  # NaN (no partner): False
    # The measured width is taken whole (every pixel there got paint; per-pixel tests would
    # stop at the first pixel whose partner is unknown), then up to _TAIL_RINGS more rings of
    # pixels that test as green blends (the tail of curved parts, hidden by ring medians).
    soft = limit > 0
    hole = core | (soft & (far.distance <= limit + 0.5))
    reach = soft & (far.distance <= limit + _TAIL_RINGS + 0.5)
    for _ in range(_TAIL_RINGS):
        ring = (cv2.dilate(hole.view(np.uint8), _RING) > 0) & ~hole & reach
        ys, xs = np.nonzero(ring)
        if ys.size == 0:
            break
        accepted = far_ok[ys, xs]
        # Chunks bound memory (each holds N x 24 x 3 floats) when a picture has green speckles
        # everywhere; a normal painted bar fits in one chunk.
        for start in range(0, ys.size, _CHUNK):
            part = slice(start, start + _CHUNK)
            accepted[part] |= _fringe_test(
                colours, ycc, ys[part], xs[part], hole=hole, ring=ring, min_blend=min_blend, max_residual=max_residual
            )
        if not accepted.any():
            break
        hole[ys[accepted], xs[accepted]] = True
    return hole


def _count_leftover(image: np.ndarray, hole: np.ndarray, *, reach: int, max_residual: float) -> int:
    """Pixels of ``image`` (RGB uint8 hxwx3) within _LEFTOVER_REACH of ``hole`` that still look
    like paint (green share >= _LEFTOVER_ALPHA against the art beyond them) but were kept."""
    near = (cv2.dilate(hole.view(np.uint8), np.ones((2 * _LEFTOVER_REACH + 1,) * 2, np.uint8)) > 0) & ~hole
    if not near.any():
        return 0
    far = far_blend(image.astype(np.float32), hole, reach=reach, max_residual=max_residual)
    with np.errstate(invalid="ignore"):
        return int(np.count_nonzero(near & (far.alpha >= _LEFTOVER_ALPHA)))


def _fringe_test(
    colours: np.ndarray,
    ycc: np.ndarray,
    ys: np.ndarray,
    xs: np.ndarray,
    *,
    hole: np.ndarray,
    ring: np.ndarray,
    min_blend: float,
    max_residual: float,
) -> np.ndarray:
    """Which ring pixels (ys, xs: N) join the hole; see absorb_fringe for the three tests."""
    height, width = hole.shape
    # All partners at once: N ring pixels x K offsets (one numpy call each, not K).
    py, px = ys[:, None] + _OFFSETS_Y, xs[:, None] + _OFFSETS_X  # NxK
    inside = (py >= 0) & (py < height) & (px >= 0) & (px < width)
    py, px = np.clip(py, 0, height - 1), np.clip(px, 0, width - 1)
    # Partners lie outward: neither hole nor this ring (the ring's own pixels along the edge
    # share the fringe colour and would hide the art colour).
    usable = inside & ~hole[py, px] & ~ring[py, px]  # NxK
    pixel, partner = colours[ys, xs][:, None, :], colours[py, px]  # Nx1x3, NxKx3
    blend = _blend_residual(pixel, partner, target=GREEN, min_blend=min_blend)  # NxK
    pixel_ycc, partner_ycc = ycc[ys, xs][:, None, :], ycc[py, px]
    chroma_residual = _blend_residual(
        pixel_ycc[..., 1:], partner_ycc[..., 1:], target=_GREEN_CRCB, min_blend=min_blend / 2
    )
    same_luma = np.abs(pixel_ycc[..., 0] - partner_ycc[..., 0]) <= _CHROMA_MAX_LUMA_SHIFT
    chroma = (usable & same_luma & (chroma_residual <= _CHROMA_MAX_RESIDUAL)).any(axis=1)
    rgb_blend = (usable & (blend <= max_residual)).any(axis=1)
    difference = pixel - partner
    distance2 = np.einsum("nkc,nkc->nk", difference, difference)
    nearest = np.sqrt(np.where(usable, distance2, np.inf).min(axis=1))
    red, green, blue = pixel[:, 0, 0], pixel[:, 0, 1], pixel[:, 0, 2]
    # A dress at (40,160,60) has G - max(R,B) = 100; flat bright green art continues outward.
    strongly_green = (green >= 160) & (green - np.maximum(red, blue) >= 120) & (nearest > 24)
    return rgb_blend | chroma | strongly_green


def _blend_residual(pixel: np.ndarray, partner: np.ndarray, *, target: np.ndarray, min_blend: float) -> np.ndarray:
    """Distance (...xC -> ...) of each pixel from the segment partner -> target, i.e. how far it
    is from any a*target + (1-a)*partner; inf when the best a is outside [min_blend, 1.1] (not
    green enough, or greener than green beyond JPEG overshoot). Broadcasts over leading axes."""
    towards = target.astype(np.float32) - partner  # ...xC
    offset = pixel - partner
    # einsum rather than sum(axis=-1): reductions over a length-3 axis are slow in numpy.
    norm2 = np.einsum("...c,...c->...", towards, towards)
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.einsum("...c,...c->...", offset, towards) / norm2
    miss = offset - weight[..., None] * towards
    residual = np.sqrt(np.einsum("...c,...c->...", miss, miss))
    valid = (norm2 > 1e-6) & (weight >= min_blend) & (weight <= 1.1)
    return np.where(valid, residual, np.inf).astype(np.float32)


def _count_greenish(image: np.ndarray) -> int:
    """Pixels that look like faded or mis-picked paint: clearly green, yet not core."""
    channels = image.astype(np.int16)
    red, green, blue = channels[..., 0], channels[..., 1], channels[..., 2]
    return int(np.count_nonzero((green >= 150) & (green - np.maximum(red, blue) >= 100)))


def mask_from_array(values: np.ndarray, alpha: np.ndarray | None = None) -> np.ndarray:
    """White (or any light value) = hole, from a decoded mask image (RGB uint8 HxWx3).

    Transparent pixels are never hole, so a mask painted on an empty layer works as expected.
    """
    _check_image(values)
    light = values.max(axis=2) >= 128
    if alpha is not None:
        light &= alpha >= 128
    return light


def mask_from_file(
    path: str | os.PathLike[str],
    *,
    shape: tuple[int, int] | None = None,
    max_pixels: int | None = io.DEFAULT_MAX_PIXELS,
) -> np.ndarray:
    """Read a mask file (white = hole) as bool HxW; ``shape`` (H, W) must match when given."""
    picture = io.read_image(path, max_pixels=max_pixels)
    mask = mask_from_array(picture.rgb, picture.alpha)
    if shape is not None and mask.shape != tuple(shape):
        raise MaskError(f"{path}: mask is {mask.shape[1]}x{mask.shape[0]} but the image is {shape[1]}x{shape[0]}")
    return mask


def _check_image(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        got = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
        raise MaskError(f"expected an RGB uint8 HxWx3 image, got {got}")
