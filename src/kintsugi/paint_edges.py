"""The edge of painted green: how wide a region's soft edge is, measured from its profile.

A hard pencil edge leaves the art next to the paint untouched; a soft brush (or JPEG) leaves a
ramp of green blends whose width is a property of the whole edge. far_blend un-blends every
pixel near the paint against the art colour continued from further out along the edge normal
(p = a*green + (1-a)*c, solved for a); edge_widths reads each region's ring-by-ring median a
and returns the width where it is still clearly above zero and falling (0 for a hard edge).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

GREEN = np.array([0.0, 255.0, 0.0])
# Edge profile: a ring whose median un-blended green share is below this is art (a soft edge's
# tail at a = 0.05 is (242,255,242) on white: no longer visibly green)...
EDGE_ALPHA = 0.05
# ...each ring of a soft edge holds less green than the one inside it (art that happens to be a
# green blend, e.g. mint next to white, is flat instead), and a ring needs this many pixels.
_EDGE_DECAY = 0.9
_EDGE_MIN_RING = 4
# A far partner this close to green gives no stable share (lime art next to the paint).
_FAR_MIN_CONTRAST2 = 40.0**2
# A far partner on an edge of the art (5x5 spread above this) gives no art colour; below it the
# spread is texture (screentone, dither), tolerated in the residual.
_FAR_MAX_SPREAD = 32.0
_TEXTURE_SPREAD = 8.0
# A far partner lies at least this far from the core: beyond a soft edge of sigma 3 at a = 0.05.
_FAR_MIN_DISTANCE = 6


@dataclass(frozen=True)
class FarBlend:
    """Per pixel of a crop (HxW): distance to the core, and its green share ``alpha`` against the
    art colour continued from outside (0 where that colour is unknown or the pixel is no blend);
    ``nearest`` (HxW int) labels each pixel with the core region it is closest to (0 = core)."""

    distance: np.ndarray
    alpha: np.ndarray
    nearest: np.ndarray
    profile: np.ndarray  # alpha, or over textured art the green-excess share (for ring medians)


def far_blend(colours: np.ndarray, core: np.ndarray, *, reach: int, max_residual: float) -> FarBlend:
    """Un-blend every pixel within ``reach`` of ``core`` (bool HxW) against the colour c of the
    pixel ``reach + 2`` out along its edge normal: p = a*green + (1-a)*c, solved for a.
    colours: float32 HxWx3 RGB."""
    height, width = core.shape
    distance, labels = cv2.distanceTransformWithLabels(
        (~core).view(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    # labels name the nearest core pixel; map each label back to that pixel's coordinates.
    cy, cx = np.nonzero(core)
    lut_y, lut_x = np.zeros(labels.max() + 1, np.int64), np.zeros(labels.max() + 1, np.int64)
    lut_y[labels[cy, cx]], lut_x[labels[cy, cx]] = cy, cx
    _, regions_of_core = cv2.connectedComponents(core.view(np.uint8), connectivity=8)
    ys, xs = np.nonzero((distance > 0) & (distance <= reach + 0.5))
    ny, nx = lut_y[labels[ys, xs]], lut_x[labels[ys, xs]]
    nearest = np.zeros((height, width), np.int32)
    nearest[ys, xs] = regions_of_core[ny, nx]
    dy, dx = (ys - ny).astype(np.float32), (xs - nx).astype(np.float32)
    norm = np.maximum(np.hypot(dy, dx), 1e-6)
    # The partner: the farthest point along the normal, out to reach + 2, that lies at least
    # _FAR_MIN_DISTANCE from the core (beyond the soft edge); concave outlines and nearby
    # strokes cut the normal short.
    py, px = np.zeros(ys.size, np.int64), np.zeros(ys.size, np.int64)
    valid = np.zeros(ys.size, bool)
    for step in range(reach + 2, _FAR_MIN_DISTANCE - 1, -1):
        ty, tx = np.rint(ny + dy / norm * step).astype(np.int64), np.rint(nx + dx / norm * step).astype(np.int64)
        inside = (ty >= 0) & (ty < height) & (tx >= 0) & (tx < width)
        ty, tx = np.clip(ty, 0, height - 1), np.clip(tx, 0, width - 1)
        take = ~valid & inside & (distance[ty, tx] >= _FAR_MIN_DISTANCE)
        py[take], px[take] = ty[take], tx[take]
        valid |= take
    # The partner colour is a 5x5 mean: over screentone, dither or a checker pattern single
    # pixels differ by more than any residual tolerance; the texture's spread is tolerated.
    mean = cv2.blur(colours, (5, 5))
    spread = np.sqrt(np.maximum(cv2.blur(colours * colours, (5, 5)) - mean * mean, 0).sum(axis=-1))  # HxW
    pixel, partner = colours[ys, xs], mean[py, px]  # Nx3
    towards, offset = GREEN.astype(np.float32) - partner, pixel - partner
    norm2 = np.einsum("nc,nc->n", towards, towards)
    share = np.einsum("nc,nc->n", offset, towards) / np.maximum(norm2, 1e-6)
    miss = offset - share[:, None] * towards
    residual = np.sqrt(np.einsum("nc,nc->n", miss, miss))
    valid &= norm2 >= _FAR_MIN_CONTRAST2
    textured = valid & (spread[py, px] > _TEXTURE_SPREAD)
    valid &= spread[py, px] <= _FAR_MAX_SPREAD
    good = valid & (residual <= max_residual + 2 * spread[py, px])
    alpha = np.full((height, width), np.nan, np.float32)  # NaN: no partner, unknown
    alpha[ys, xs] = np.where(good, np.clip(share, 0.0, 1.0), np.where(valid, 0.0, np.nan))
    # Over texture (dots, dither, however coarse) single pixels fail the residual whatever their
    # paint; their green excess G - (R + B) / 2 still blends linearly, and grey texture has none
    # of its own. Good enough for a ring median, not for a pixel's own test.
    excess_p = pixel[:, 1] - (pixel[:, 0] + pixel[:, 2]) / 2
    excess_c = partner[:, 1] - (partner[:, 0] + partner[:, 2]) / 2
    excess_share = (excess_p - excess_c) / np.maximum(255.0 - excess_c, 1.0)
    textured &= ~good
    profile = alpha.copy()
    profile[ys, xs] = np.where(textured, np.clip(excess_share, 0.0, 1.0), alpha[ys, xs])
    return FarBlend(distance=distance, alpha=alpha, nearest=nearest, profile=profile)


def edge_widths(far: FarBlend, core: np.ndarray, *, reach: int) -> np.ndarray:
    """int HxW: the edge width of the region each pixel is nearest to, from its edge profile.

    Width w = the last ring d (pixels at distance d +- 0.5) whose median green share is at least
    EDGE_ALPHA, each ring holding less than the one inside it; a region whose profile does not
    fall below EDGE_ALPHA within ``reach`` is next to green-blend art, not a soft edge (width 0).
    Art that itself holds paint-green with an anti-aliased edge, touching pencil paint, makes one
    region soft in part: measuring per stretch of edge instead was tried and measured worse
    (ring medians over short stretches are noisy and cut true soft edges short).
    """
    limit = np.zeros(core.shape, np.int32)
    ring_of = np.rint(far.distance).astype(np.int32)  # HxW ring number, 0 = core
    for region in np.unique(far.nearest[far.nearest > 0]):
        mine = far.nearest == region
        limit[mine] = _profile_width(far.profile, ring_of, mine, reach=reach)
    return limit


def _profile_width(profile: np.ndarray, ring_of: np.ndarray, where: np.ndarray, *, reach: int) -> int:
    """Edge width of the pixels ``where`` (bool HxW) from their green shares ``profile`` (HxW,
    NaN unknown) by ring ``ring_of`` (HxW int); a ring too small to tell ends the edge."""
    width, previous = 0, np.inf
    for d in range(1, reach + 1):
        shares = profile[where & (ring_of == d)]
        shares = shares[~np.isnan(shares)]
        if shares.size < _EDGE_MIN_RING:
            return width
        median = float(np.median(shares))
        if median < EDGE_ALPHA:
            return width
        if median > _EDGE_DECAY * previous + 0.01:
            return 0  # not decaying: flat green-blend art
        width, previous = d, median
    return 0  # never fell to zero: green-blend art
