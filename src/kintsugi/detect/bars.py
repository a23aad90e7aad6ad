"""Solid censor bars: one flat colour, any colour (translucent bars: kintsugi.detect.translucent).

A bar is a flat rotated rectangle laid over the art: its pixels are one colour (any
colour, not only black or white), its long sides are straight and sharp, and the art it covers
stops at them. Candidates: the rectangles of flat regions, split from art of the bar's own
colour (kintsugi.detect.flats), and frames between pairs of parallel straight edges
(kintsugi.detect.rects.line_frames). A candidate is kept when its inside is of one colour, it is
6-60 px thick and longer than wide, its long sides step to another colour, the art beside them
varies and crosses them (neither side runs along one colour nearly all the way), and the colour
stops at all four sides (the ring beside the long sides and beyond each end is mostly not of
it). Those tests keep drawn shapes out: a sign, a leg, a stretch of thick outline or a bold
letter is framed by one outline or fill along a side, or runs on into the rest of its shape at
an end. Bars touching the image border are left out: letterbox borders and page gutters.

Not found: a bar over flat paint or along art of its own colour on a long side (a white bar
along white paper: nothing says where that side is), bars thinner than 6 px, bars touching the
image border, and curved or hand-drawn censor strokes. Still flagged: drawn flat rectangles
that cross art like a bar does (a spoke, a pole, a flat box over a chart).
"""

from __future__ import annotations

import cv2
import numpy as np

from kintsugi.detect.flats import flat_frames
from kintsugi.detect.rects import (
    MAX_THICK,
    MIN_ASPECT,
    MIN_THICK,
    Bar,
    Frame,
    box_of,
    duplicate,
    line_frames,
    pixel_corners,
    polygon_mask,
    run_through_middle,
    sample,
    sample_across,
    sample_lines,
    snap_ends,
    snap_sides,
    touches_border,
)
from kintsugi.detect.stats import channel_max, median, quantile

__all__ = ["Bar", "find_solid_bars", "polygon_mask"]

# Bar pixels: within this distance (max over channels) of the bar's median colour.
_MEMBER = 40
_MIN_FILL = 0.9  # share of the rectangle's pixels of the bar's colour
_MAX_SPILL = 0.4  # share of the ring beside a bar's long sides that is of the bar's colour
_MAX_END_SPILL = 0.3  # the same beyond each of its ends
# Long sides: the colour 2 px outside differs from the bar's by at least _CONTRAST on at least
# _CONTRAST_SHARE of the side, and at least _CROSSINGS art edges run into the sides (the colour
# 3 px outside jumps by _JUMP over 4 px along the side).
_CONTRAST = 20.0
_CONTRAST_SHARE = 0.75
_CONTRAST_SHARE_OTHER = 0.3
_JUMP = 30.0
_CROSSINGS = 2
# Beside a long side (2.5 px out), the share of samples within _UNIFORM levels of their median.
_UNIFORM = 20.0
_MAX_UNIFORM, _MAX_UNIFORM_OTHER = 0.95, 0.7


def find_solid_bars(image: np.ndarray, frames: list[Frame] | None = None) -> list[Bar]:
    """Solid bars in ``image`` (RGB uint8 HxWx3); see the module docstring. Candidates come from
    flat regions (kintsugi.detect.flats) and from pairs of parallel edges (``frames``:
    line_frames(image), when the caller has them)."""
    shape = image.shape[:2]
    bars: list[Bar] = []
    candidates = [(snap_ends(image, snap_sides(image, frame)), False) for frame, _ in flat_frames(image)]
    candidates += [(frame, True) for frame in (line_frames(image) if frames is None else frames)]
    for frame, from_lines in candidates:
        bar = _solid_bar(image, frame, find_ends=from_lines)
        if bar is not None and not touches_border(bar.corners, shape) and not duplicate(bar, bars, shape):
            bars.append(bar)
    return bars


def _solid_bar(image: np.ndarray, frame: Frame, *, find_ends: bool) -> Bar | None:
    """A solid bar on ``frame``: flat inside (centre line and 1.5 px inside each edge), its sides
    stepping and crossing art; with ``find_ends``, its ends where the inside stops being its
    colour (a frame between two lines spans only where both were found)."""
    if not (MIN_THICK <= 2 * frame.half_width <= MAX_THICK):
        return None
    # The centre line first: most candidates are not flat, and it is one sampling call.
    centre_line = sample(image, *frame.side_points(-frame.half_width, side=1, step=2.0))
    if centre_line.shape[0] < 8:
        return None
    middle = median(centre_line, axis=0)
    if np.mean(channel_max(np.abs(centre_line - middle)) <= _MEMBER / 2) < _MIN_FILL:
        return None
    inside = _interior(image, frame)
    if inside.shape[0] < 16:
        return None
    colour = median(inside, axis=0)
    if np.mean(channel_max(np.abs(inside - colour)) <= _MEMBER / 2) < _MIN_FILL:
        return None
    if not _sides_step_and_cross(image, frame, colour):
        return None
    # A flat region's rectangle keeps its ends unless they fail (JPEG cut the flat core short
    # of a bar's end): then, as for a frame between lines, the ends go where the colour stops.
    tries = (
        [_solid_ends(image, frame, colour)]
        if find_ends
        else [frame, snap_ends(image, _solid_ends(image, frame, colour))]
    )
    for frame in tries:
        if 2 * frame.half_length >= MIN_ASPECT * 2 * frame.half_width and _is_rectangle(image, frame, colour):
            break
    else:
        return None
    corners = pixel_corners(frame)
    return Bar("bar", corners, box_of(corners, image.shape[:2]), tuple(float(c) for c in colour), 1.0)


def _interior(image: np.ndarray, frame: Frame) -> np.ndarray:
    """N x 3 samples on lines 1 px apart across the bar, from 1.5 px inside one long side to
    1.5 px inside the other."""
    offsets = np.arange(-(frame.half_width - 1.5), frame.half_width - 1.5 + 1e-6, 1.0)
    if offsets.size == 0:
        return np.zeros((0, 3), np.float32)
    base = np.stack(frame.side_points(-frame.half_width, side=1), axis=-1)  # n x 2 on the centre line
    return sample_across(image, base, frame.v, offsets).reshape(-1, 3)


def _solid_ends(image: np.ndarray, frame: Frame, colour: np.ndarray) -> Frame:
    """Short sides where at least two of three lines along the bar leave its colour."""
    reach = 2 * frame.half_width + 40
    t = np.arange(-frame.half_length - reach, frame.half_length + reach + 1e-6, 1.0)
    votes = np.zeros(t.size, np.int32)
    for offset in (-(frame.half_width - 1.5), 0.0, frame.half_width - 1.5):
        p = frame.centre + t[:, None] * frame.u + offset * frame.v
        votes += channel_max(np.abs(sample(image, p[:, 0], p[:, 1]) - colour)) <= _MEMBER / 2
    return run_through_middle(frame, t, votes >= 2)


def _is_rectangle(image: np.ndarray, frame: Frame, colour: np.ndarray) -> bool:
    """The bar colour fills the rectangle and stops at all four of its sides: at least
    _MIN_FILL of the pixels inside are of the colour, at most _MAX_SPILL of the ring 1-3 px
    outside the long sides and _MAX_END_SPILL beyond each end (a highlight tapers, a stretch of
    a thick outline or a leg runs on into the rest of the shape, a bar ends)."""
    shape = image.shape[:2]
    corners = pixel_corners(frame)
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
    distance = channel_max(np.abs(crop - colour))
    if np.mean(distance[inside] <= _MEMBER) < _MIN_FILL:
        return False
    # Outside, "of the bar's colour" is judged by the bar's own noise: exact in PNG (a white
    # bar ends against light grey art), a few levels in JPEG.
    member = distance <= np.clip(3 * quantile(distance[inside], 0.9) + 8, 10, _MEMBER)
    # Each ring pixel's position along the bar: beyond either end, or beside a long side.
    ys, xs = np.mgrid[y0:y1, x0:x1]
    along = (xs - frame.centre[0]) * frame.u[0] + (ys - frame.centre[1]) * frame.u[1]
    for part, limit in (
        (ring & (along < -frame.half_length), _MAX_END_SPILL),
        (ring & (along > frame.half_length), _MAX_END_SPILL),
        (ring & (np.abs(along) <= frame.half_length), _MAX_SPILL),
    ):
        if part.any() and member[part].mean() > limit:
            return False
    return True


def _sides_step_and_cross(image: np.ndarray, frame: Frame, colour: np.ndarray) -> bool:
    """The long sides step away from the bar colour (one nearly everywhere, the other on part of
    it at least: a white bar may run along white paper), and the bar lies across art: at least
    _CROSSINGS places along the two sides where the colour 3 px outside jumps, neither side
    beside one colour nearly all along (more than _MAX_UNIFORM of it) and one side beside
    varying art (at most _MAX_UNIFORM_OTHER one colour). A drawn stripe (a stretch of outline,
    a leg, a band) is bordered by fills running along it; a gradient jumps nowhere."""
    crossings, shares, uniform = 0, [], []
    lines = [frame.side_points(offset, side=side) for side in (-1, 1) for offset in (2.0, 2.5, 3.0)]
    n = lines[0][0].size
    if n < 8:
        return False
    for near, beside, far in sample_lines(image, lines).reshape(2, 3, n, 3):  # side x (2, 2.5, 3 px out)
        shares.append(float(np.mean(channel_max(np.abs(near - colour)) >= _CONTRAST)))
        uniform.append(float(np.mean(channel_max(np.abs(beside - median(beside, axis=0))) <= _UNIFORM)))
        jumps = channel_max(np.abs(far[4:] - far[:-4])) >= _JUMP
        crossings += int(np.count_nonzero(np.diff(jumps.astype(np.int8)) == 1) + jumps[0])
    if max(shares) < _CONTRAST_SHARE or min(shares) < _CONTRAST_SHARE_OTHER:
        return False
    if max(uniform) > _MAX_UNIFORM or min(uniform) > _MAX_UNIFORM_OTHER:
        return False
    return crossings >= _CROSSINGS
