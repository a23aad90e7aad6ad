"""Connected hole regions -> crop boxes with a margin; paste back only the hole pixels.

Working on crops keeps a 6000x4000 page with two small bars fast: the method only ever sees the
bars and some context around them, never the whole page.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import cv2
import numpy as np

# Boxes are merged on a canvas of at most this many cells, so merging costs the same for a
# 24-megapixel page as for a thumbnail (coarse cells may merge boxes that are merely close:
# harmless, it only makes one crop out of two nearby ones).
_MERGE_CANVAS_CELLS = 1 << 20


class Box(NamedTuple):
    """A half-open pixel rectangle: rows y0..y1-1, columns x0..x1-1."""

    y0: int
    x0: int
    y1: int
    x1: int

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y1), slice(self.x0, self.x1)

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def width(self) -> int:
        return self.x1 - self.x0


def count_regions(mask: np.ndarray) -> int:
    """Number of 8-connected hole regions in a bool HxW mask."""
    return len(component_boxes(mask))


def component_boxes(mask: np.ndarray) -> np.ndarray:
    """Bounding boxes (int64 Nx4: y0, x0, y1, x1, half-open) of the 8-connected regions.

    Labelling a whole 24-megapixel page costs ~150 ms, so the page is first cut into occupied
    rectangles: runs of rows that hold hole pixels, then runs of columns within each. A region
    never crosses an empty row or column, so each lies whole inside one rectangle, and only the
    rectangles are labelled.
    """
    boxes = []
    for y0, y1 in _runs(mask.any(axis=1)):
        band = mask[y0:y1]
        for x0, x1 in _runs(band.any(axis=0)):
            crop = np.ascontiguousarray(band[:, x0:x1]).view(np.uint8)
            count, _, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=8, ltype=cv2.CV_32S)
            x, y, w, h = (stats[1:count, i].astype(np.int64) for i in range(4))  # row 0 is background
            boxes.append(np.stack([y + y0, x + x0, y + h + y0, x + w + x0], axis=1))
    return np.concatenate(boxes) if boxes else np.zeros((0, 4), np.int64)


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """Half-open (start, stop) of each run of True in a 1-D bool array."""
    edges = np.flatnonzero(np.diff(np.concatenate([[False], flags, [False]]).astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def hole_boxes(mask: np.ndarray, *, margin: int) -> list[Box]:
    """Boxes around the connected regions of ``mask`` (bool HxW), grown by ``margin`` pixels,
    clipped to the image, and merged until no two overlap. Every hole pixel lies in exactly one
    box. Returned in reading order (top to bottom, left to right)."""
    if mask.ndim != 2 or mask.dtype != np.bool_:
        raise ValueError(f"mask must be bool HxW, got {mask.dtype} {mask.shape}")
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    components = component_boxes(mask)
    if len(components) == 0:
        return []
    height, width = mask.shape
    grown = components + np.array([-margin, -margin, margin, margin])
    boxes = np.clip(grown, 0, [height, width, height, width])
    merged = merge_overlapping(boxes, shape=(height, width))
    order = np.lexsort((merged[:, 1], merged[:, 0]))
    return [Box(*(int(v) for v in merged[i])) for i in order]


def merge_overlapping(boxes: np.ndarray, *, shape: tuple[int, int]) -> np.ndarray:
    """Merge boxes (int64 Nx4: y0, x0, y1, x1) until none overlap or touch; returns Mx4.

    Each pass draws the boxes on a coarse canvas and takes its connected components as groups;
    a group becomes its bounding box, which may reach new boxes, so it repeats until stable.
    """
    height, width = shape
    cell = max(1, math.ceil(math.sqrt(height * width / _MERGE_CANVAS_CELLS)))
    canvas_shape = (math.ceil(height / cell), math.ceil(width / cell))
    while len(boxes) > 1:
        coarse = np.stack(
            [boxes[:, 0] // cell, boxes[:, 1] // cell, -(-boxes[:, 2] // cell), -(-boxes[:, 3] // cell)],
            axis=1,
        )
        canvas = np.zeros(canvas_shape, np.uint8)
        for y0, x0, y1, x1 in coarse:
            canvas[y0:y1, x0:x1] = 1
        groups, labels = cv2.connectedComponents(canvas, connectivity=4)
        if groups - 1 == len(boxes):
            break
        member = labels[coarse[:, 0], coarse[:, 1]] - 1  # group index of each box
        merged = np.empty((groups - 1, 4), np.int64)
        merged[:, :2] = np.iinfo(np.int64).max
        merged[:, 2:] = np.iinfo(np.int64).min
        np.minimum.at(merged[:, 0], member, boxes[:, 0])
        np.minimum.at(merged[:, 1], member, boxes[:, 1])
        np.maximum.at(merged[:, 2], member, boxes[:, 2])
        np.maximum.at(merged[:, 3], member, boxes[:, 3])
        boxes = merged
    return boxes


def paste_holes(target: np.ndarray, filled: np.ndarray, *, mask: np.ndarray, box: Box) -> None:
    """Copy the hole pixels of ``filled`` (the crop at ``box``) into ``target``, in place.

    ``mask`` is the crop's bool hole mask; pixels outside it are never touched, which is what
    keeps every pixel outside the hole bit-identical to the input.
    """
    view = target[box.slices]
    view[mask] = filled[mask]
