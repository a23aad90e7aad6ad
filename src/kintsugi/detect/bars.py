"""Solid censor bars: one flat colour, any colour (translucent bars: kintsugi.detect.translucent).

A bar is a flat rotated rectangle laid over the art: its pixels are one colour (any
colour, not only black or white), its long sides are straight and sharp, and the art it covers
stops at them. Found as connected flat pixels (3x3 spread <= _FLAT), re-grown by colour (JPEG
blurs a bar's rim), and kept when the region fills its minimum-area rectangle, is 6-60 px thick
and longer than wide, steps to another colour all along both long sides, and the art beyond
those sides varies (it crosses something). That last test is what keeps drawn rectangles out:
a sign, a table leg or a bold letter is framed by one outline or one fill colour all around.
Regions touching the image border are left out: letterbox borders and page gutters. A bar that
touches art of its own colour makes one flat region with it; such bars are found from pairs of
parallel edges instead (kintsugi.detect.rects.line_frames) with the same tests.

Not found: a bar over flat paint (nothing beyond its sides varies: it looks exactly like a
drawn rectangle), bars thinner than 6 px, bars touching the image border, and curved or
hand-drawn censor strokes.
"""

from __future__ import annotations

import cv2
import numpy as np

from kintsugi.detect.rects import (
    MAX_THICK,
    MIN_ASPECT,
    MIN_THICK,
    Bar,
    Frame,
    box_of,
    duplicate,
    line_frames,
    polygon_mask,
    run_through_middle,
    sample,
    snap_ends,
    snap_sides,
    touches_border,
)

__all__ = ["Bar", "find_solid_bars", "polygon_mask"]

# A pixel is flat when its 3x3 neighbourhood spans at most this many levels in every channel
# (JPEG q85 keeps a flat bar's inside within a few levels).
_FLAT = 10
# Bar pixels are re-grown from the flat core: within this distance (max over channels) of the
# bar's median colour.
_MEMBER = 40
_MIN_FILL = 0.9  # region area / its minimum-area rectangle
_MAX_SPILL = 0.4  # share of the ring around a bar that is of the bar's colour
# Long sides: the colour 2 px outside differs from the bar's by at least _CONTRAST on at least
# _CONTRAST_SHARE of the side, and at least _CROSSINGS art edges run into the sides (the colour
# 3 px outside jumps by _JUMP over 4 px along the side).
_CONTRAST = 20.0
_CONTRAST_SHARE = 0.75
_CONTRAST_SHARE_OTHER = 0.3
_JUMP = 30.0
_CROSSINGS = 2


def _spread(image: np.ndarray) -> np.ndarray:
    """uint8 HxW: the largest 3x3 range over the channels."""
    k3 = np.ones((3, 3), np.uint8)
    out = None
    for plane in cv2.split(image):
        r = cv2.subtract(cv2.dilate(plane, k3), cv2.erode(plane, k3))
        out = r if out is None else cv2.max(out, r)
    return out


def find_solid_bars(image: np.ndarray, frames: list[Frame] | None = None) -> list[Bar]:
    """Solid bars in ``image`` (RGB uint8 HxWx3); see the module docstring. Candidates come from
    flat regions and, for a bar that touches art of its own colour (one flat region with it),
    from pairs of parallel edges (``frames``: line_frames(image), when the caller has them)."""
    height, width = image.shape[:2]
    flat = (_spread(image) <= _FLAT).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(flat, connectivity=4)
    bars: list[Bar] = []
    # Cheap filters on the stats first: a page has thousands of flat components.
    x, y, w, h, area = (stats[:, i] for i in range(5))
    candidates = np.nonzero(
        (area >= 24) & (np.maximum(w, h) >= 2 * MIN_THICK) & (x > 0) & (y > 0) & (x + w < width) & (y + h < height)
    )[0]
    for k in candidates:
        if k == 0:
            continue
        bar = _solid_bar(image, labels, k, stats[k])
        if bar is not None and not duplicate(bar, bars, (height, width)):
            bars.append(bar)
    for frame in line_frames(image) if frames is None else frames:
        bar = _solid_from_frame(image, frame)
        if bar is not None and not touches_border(bar.corners, (height, width)):
            if not duplicate(bar, bars, (height, width)):
                bars.append(bar)
    return bars


def _solid_from_frame(image: np.ndarray, frame: Frame) -> Bar | None:
    """A solid bar between two parallel edges: flat inside (centre line and 1.5 px inside each
    edge), its sides stepping and crossing art; its ends where the inside stops being its colour."""
    inside = _interior(image, frame)
    if inside.shape[0] < 16:
        return None
    colour = np.median(inside, axis=0)
    if np.mean(np.abs(inside - colour).max(axis=-1) <= _MEMBER / 2) < _MIN_FILL:
        return None
    if not _sides_step_and_cross(image, frame, colour):
        return None
    frame = _solid_ends(image, frame, colour)
    if 2 * frame.half_length < MIN_ASPECT * 2 * frame.half_width:
        return None
    corners = frame.corners()
    if not _is_rectangle(image, corners, colour):
        return None
    return Bar("bar", corners, box_of(corners, image.shape[:2]), tuple(float(c) for c in colour), 1.0)


def _interior(image: np.ndarray, frame: Frame) -> np.ndarray:
    """N x 3 samples on lines 1 px apart across the bar, from 1.5 px inside one long side to
    1.5 px inside the other."""
    offsets = np.arange(-(frame.half_width - 1.5), frame.half_width - 1.5 + 1e-6, 1.0)
    if offsets.size == 0:
        return np.zeros((0, 3), np.float32)
    return np.concatenate([sample(image, *frame.side_points(-frame.half_width + o, side=1)) for o in offsets])


def _solid_ends(image: np.ndarray, frame: Frame, colour: np.ndarray) -> Frame:
    """Short sides where at least two of three lines along the bar leave its colour."""
    reach = 2 * frame.half_width + 40
    t = np.arange(-frame.half_length - reach, frame.half_length + reach + 1e-6, 1.0)
    votes = np.zeros(t.size, np.int32)
    for offset in (-(frame.half_width - 1.5), 0.0, frame.half_width - 1.5):
        p = frame.centre + t[:, None] * frame.u + offset * frame.v
        votes += np.abs(sample(image, p[:, 0], p[:, 1]) - colour).max(axis=-1) <= _MEMBER / 2
    return run_through_middle(frame, t, votes >= 2)


def _solid_bar(image: np.ndarray, labels: np.ndarray, k: int, stat: np.ndarray) -> Bar | None:
    height, width = image.shape[:2]
    x, y, w, h, area = (int(v) for v in stat)
    pad = 4
    y0, x0, y1, x1 = max(y - pad, 0), max(x - pad, 0), min(y + h + pad, height), min(x + w + pad, width)
    core = labels[y0:y1, x0:x1] == k
    crop = image[y0:y1, x0:x1]
    colour = np.median(crop[core], axis=0).astype(np.float32)
    # Re-grow by colour: the flat test lost the rim (and JPEG's ringing next to it).
    member = (np.abs(crop.astype(np.float32) - colour).max(axis=-1) <= _MEMBER).astype(np.uint8)
    member = cv2.dilate(core.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=3) & member
    n, lab = cv2.connectedComponents(member, connectivity=4)
    if n < 2:
        return None
    region = lab == lab[core][0] if core.any() else member > 0
    region_area = int(np.count_nonzero(region))
    points = np.column_stack(np.nonzero(region)[::-1]).astype(np.float32)  # (x, y)
    rect = cv2.minAreaRect(points)
    frame = Frame.from_rect(rect)
    # minAreaRect spans pixel centres: the rectangle of pixels is half a pixel wider each way.
    frame = Frame(frame.centre, frame.u, frame.v, frame.half_length + 0.5, frame.half_width + 0.5)
    thick, length = 2 * frame.half_width, 2 * frame.half_length
    if not (MIN_THICK <= thick <= MAX_THICK) or length < MIN_ASPECT * thick:
        return None
    if region_area < _MIN_FILL * thick * length:
        return None
    frame = Frame(frame.centre + (x0, y0), frame.u, frame.v, frame.half_length, frame.half_width)
    # Colour re-growth may leak a pixel or two into art of a similar colour: put the long sides
    # back on the strongest step.
    frame = snap_ends(image, snap_sides(image, frame))
    if not _sides_step_and_cross(image, frame, colour):
        return None
    corners = frame.corners()
    if touches_border(corners, (height, width)) or not _is_rectangle(image, corners, colour):
        return None
    return Bar("bar", corners, box_of(corners, (height, width)), tuple(float(c) for c in colour), 1.0)


def _is_rectangle(image: np.ndarray, corners: np.ndarray, colour: np.ndarray) -> bool:
    """The bar colour fills the rectangle and stops at all four of its sides: at least
    _MIN_FILL of the pixels inside are of the colour, at most _MAX_SPILL of the ring 1-3 px
    outside (a highlight tapers, a stripe of a larger fill spills, a bar ends)."""
    shape = image.shape[:2]
    box = box_of(corners, shape)
    pad = 4
    y0, x0 = max(box.y0 - pad, 0), max(box.x0 - pad, 0)
    y1, x1 = min(box.y1 + pad, shape[0]), min(box.x1 + pad, shape[1])
    crop = image[y0:y1, x0:x1].astype(np.float32)
    inside = polygon_mask(corners - (x0, y0), crop.shape[:2])
    if not inside.any():
        return False
    grown = cv2.dilate(inside.view(np.uint8), np.ones((7, 7), np.uint8)) > 0
    near = cv2.dilate(inside.view(np.uint8), np.ones((3, 3), np.uint8)) > 0
    ring = grown & ~near
    member = np.abs(crop - colour).max(axis=-1) <= _MEMBER
    return bool(member[inside].mean() >= _MIN_FILL and (not ring.any() or member[ring].mean() <= _MAX_SPILL))


def _sides_step_and_cross(image: np.ndarray, frame: Frame, colour: np.ndarray) -> bool:
    """The long sides step away from the bar colour (one nearly everywhere, the other on part of
    it at least: a white bar may run along white paper), and art edges run into them: at least
    _CROSSINGS places along the two sides where the colour 3 px outside jumps (a drawn stripe is
    bordered by fills and outlines running along it, a gradient jumps nowhere)."""
    crossings, shares = 0, []
    for side in (-1, 1):
        near = sample(image, *frame.side_points(2.0, side=side))
        if near.shape[0] < 8:
            return False
        shares.append(float(np.mean(np.abs(near - colour).max(axis=-1) >= _CONTRAST)))
        far = sample(image, *frame.side_points(3.0, side=side))
        jumps = np.abs(far[4:] - far[:-4]).max(axis=-1) >= _JUMP
        crossings += int(np.count_nonzero(np.diff(jumps.astype(np.int8)) == 1) + jumps[0])
    if max(shares) < _CONTRAST_SHARE or min(shares) < _CONTRAST_SHARE_OTHER:
        return False
    return crossings >= _CROSSINGS
