"""Solid-bar candidates from flat regions (kintsugi.detect.bars verifies them).

A solid bar is a rotated rectangle of one colour. Its pixels form a flat region (3x3 spread
<= _FLAT), re-grown by colour to its rim (JPEG blurs it), but that region often takes in art
of the bar's own colour too: a black bar touches black outlines, a white bar runs into white
paper. So the region is opened with a 5x5 disc (which cuts off strokes thinner than 5 px,
keeping bars of 6 px and more), and each piece gives either its minimum-area rectangle (when
it fills it) or, a bar merged with a larger area of its colour, the strips between pairs of
parallel straight stretches of its outline.
"""

from __future__ import annotations

import cv2
import numpy as np

from kintsugi.detect.rects import MAX_THICK, MIN_ASPECT, MIN_THICK, Frame, longest_segments, parallel_pairs
from kintsugi.detect.stats import colour_distance, masked_median_colour, quantile

# A pixel is flat when its 3x3 neighbourhood spans at most this many levels in every channel.
_FLAT = 10
# Re-growth tolerance (max over channels from the region's median colour): a few times the
# core's own spread (exact in PNG, a few levels in JPEG), within these bounds.
_MIN_TOL, _MAX_TOL = 5.0, 24.0
_MIN_FILL = 0.9  # piece area / its minimum-area rectangle
_DISC = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
# Merged pieces smaller than this are not searched for strips; outlines with more straight
# stretches than _MAX_SEGMENTS keep the longest.
_MIN_MERGED_AREA = 60
_MAX_SEGMENTS = 150


def spread(image: np.ndarray) -> np.ndarray:
    """uint8 HxW: the largest 3x3 range over the channels."""
    k3 = np.ones((3, 3), np.uint8)
    out = None
    for plane in cv2.split(image):
        r = cv2.subtract(cv2.dilate(plane, k3), cv2.erode(plane, k3))
        out = r if out is None else cv2.max(out, r)
    return out


def flat_frames(image: np.ndarray) -> list[tuple[Frame, np.ndarray]]:
    """(frame in image coordinates, colour float32 (3,)) for every flat-region candidate."""
    height, width = image.shape[:2]
    # Flat in the image or after a 3x3 blur: JPEG's ringing inside a bar (up to ~20 levels over
    # busy art at q85) fades in the blur; exact PNG edges keep their flat rim in the image.
    flat = ((spread(image) <= _FLAT) | (spread(cv2.GaussianBlur(image, (3, 3), 0)) <= _FLAT)).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(flat, connectivity=4)
    x, y, w, h, area = (stats[:, i] for i in range(5))
    # Cheap filters first: a page has thousands of flat components. A bar's flat core (its
    # rim is not flat) is still at least 3 px thick: components without a pixel 1 px inside
    # it in every direction are strokes and specks.
    thick = np.zeros(len(stats), bool)
    thick[labels[cv2.erode(flat, np.ones((3, 3), np.uint8)) > 0]] = True
    keep = np.nonzero(thick & (area >= 24) & (np.maximum(w, h) >= 2 * MIN_THICK))[0]
    out = []
    for k in keep[keep > 0]:
        x0, y0 = max(int(x[k]) - 4, 0), max(int(y[k]) - 4, 0)
        x1, y1 = min(int(x[k] + w[k]) + 4, width), min(int(y[k] + h[k]) + 4, height)
        core = labels[y0:y1, x0:x1] == k
        crop = image[y0:y1, x0:x1]
        colour = masked_median_colour(crop, core).astype(np.float32)
        for frame in _component_frames(crop, core, colour):
            out.append((Frame(frame.centre + (x0, y0), frame.u, frame.v, frame.half_length, frame.half_width), colour))
    return out


def _component_frames(crop: np.ndarray, core: np.ndarray, colour: np.ndarray) -> list[Frame]:
    """Frames (crop coordinates) of the pieces of one flat component ``core`` (bool over crop)."""
    distance = colour_distance(crop, colour)
    tol = float(np.clip(3 * quantile(distance[core], 0.95) + 5, _MIN_TOL, _MAX_TOL))
    member = (distance <= tol).astype(np.uint8)
    member &= cv2.dilate(core.view(np.uint8), np.ones((3, 3), np.uint8), iterations=3)
    opened = cv2.morphologyEx(member, cv2.MORPH_OPEN, _DISC)
    count, pieces = cv2.connectedComponents(opened, connectivity=4)
    touched = np.zeros(count, bool)  # the pieces that hold part of the core
    touched[pieces[core & (opened > 0)]] = True
    frames = []
    for j in np.flatnonzero(touched[1:]) + 1:
        frames += _piece_frames(pieces == j)
    return frames


def _piece_frames(piece: np.ndarray) -> list[Frame]:
    frame = Frame.from_rect(cv2.minAreaRect(hull_points(piece)))
    # minAreaRect spans pixel centres: the rectangle of pixels is half a pixel wider each way.
    frame = Frame(frame.centre, frame.u, frame.v, frame.half_length + 0.5, frame.half_width + 0.5)
    thick, length = 2 * frame.half_width, 2 * frame.half_length
    area = np.count_nonzero(piece)
    if MIN_THICK <= thick <= MAX_THICK and length >= MIN_ASPECT * thick:
        if area >= _MIN_FILL * thick * length:
            return [frame]
    if area < _MIN_MERGED_AREA:
        return []
    return _strips(piece)


def hull_points(mask: np.ndarray) -> np.ndarray:
    """K x 2 float32 (x, y): the pixels of ``mask`` (bool, not empty) that can lie on the boundary of
    their convex hull: the first and last of each row, and the whole top and bottom rows. The hull
    (and minAreaRect) of these is that of all the pixels, from far fewer points."""
    rows = np.flatnonzero(mask.any(axis=1))
    sub = mask[rows]
    left = np.argmax(sub, axis=1)
    right = mask.shape[1] - 1 - np.argmax(sub[:, ::-1], axis=1)
    wide = right > left  # a row of one pixel gives it once
    points = [np.column_stack([left, rows]), np.column_stack([right[wide], rows[wide]])]
    for y in dict.fromkeys((rows[0], rows[-1])):  # one row: once
        xs = np.flatnonzero(mask[y])[1:-1]
        points.append(np.column_stack([xs, np.full(xs.size, y)]))
    return np.concatenate(points).astype(np.float32)


def _strips(piece: np.ndarray) -> list[Frame]:
    """Strips of ``piece`` between pairs of parallel straight stretches of its outline."""
    outline = piece & ~(cv2.erode(piece.view(np.uint8), np.ones((3, 3), np.uint8)) > 0)
    edges = outline.view(np.uint8) * 255
    segments = cv2.HoughLinesP(edges, 1, np.pi / 360, threshold=18, minLineLength=18, maxLineGap=3)
    if segments is None:
        return []
    segs = segments.reshape(-1, 4).astype(np.float64)
    if len(segs) > _MAX_SEGMENTS:
        segs = longest_segments(segs, _MAX_SEGMENTS)
    height, width = piece.shape
    strips = []
    for frame in parallel_pairs(segs):
        # The strip between the two lines lies inside the piece (three lines along it).
        t = np.arange(-frame.half_length + 1, frame.half_length - 1 + 1e-6, 2.0)
        inside = []
        for offset in (-frame.half_width + 1.5, 0.0, frame.half_width - 1.5):
            p = frame.centre + t[:, None] * frame.u + offset * frame.v
            xs = np.clip(np.rint(p[:, 0]).astype(int), 0, width - 1)
            ys = np.clip(np.rint(p[:, 1]).astype(int), 0, height - 1)
            inside.append(piece[ys, xs])
        if np.mean(inside) >= 0.95:
            strips.append(frame)
    return strips
