"""The bar segmentation network at run time: per-pixel probabilities of solid and translucent
bars (weights/barnet.onnx, trained by kintsugi.training.train_barnet), and the bar-shaped
regions they outline.

The network runs at half the image's resolution (``NET_SCALE``: bars are 6-60 px thick at any
image size, so the scale is fixed, not the size) and its answer is scaled back; it proposes
where bars are, and the rectangles' exact sides are found in the full-resolution picture.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from kintsugi.detect import bar_score, translucent
from kintsugi.detect import bars as solid
from kintsugi.detect.rects import Bar, Frame, box_of, duplicate, snap_ends, snap_sides
from kintsugi.methods.model import MULTIPLE, session, weights_path

NET_SCALE = 0.5
# (px off each long side, px off each end) of a blob's frame, tried for a translucent bar: a
# frame whose ends start past the bar's is carried further past them by the blend's end search.
_SHRINKS = tuple((w, w + e) for w in (-1.5, 0.0, 1.0, 2.0, 3.0, 4.0) for e in (1.0, 5.0))
_MIN_HALF_LENGTH = 6.0


def to_net_scale(image: np.ndarray) -> np.ndarray:
    """HxWxC → the network's resolution (area average)."""
    h, w = image.shape[:2]
    size = (max(1, round(w * NET_SCALE)), max(1, round(h * NET_SCALE)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def is_available() -> bool:
    return weights_path("barnet").is_file()


def bar_probabilities(image: np.ndarray) -> np.ndarray:
    """(2, H, W) float32 in [0, 1]: solid, translucent, for RGB uint8 ``image`` HxWx3."""
    h, w = image.shape[:2]
    small = to_net_scale(image)
    sh, sw = small.shape[:2]
    ph, pw = -sh % MULTIPLE, -sw % MULTIPLE
    padded = np.pad(small, ((0, ph), (0, pw), (0, 0)), mode="edge") if ph or pw else small
    x = padded.transpose(2, 0, 1)[None].astype(np.float32) / 255.0
    prob = session("barnet").run(None, {"image": x})[0][0, :, :sh, :sw]
    prob = np.stack([cv2.resize(p, (w, h), interpolation=cv2.INTER_LINEAR) for p in prob])
    return np.ascontiguousarray(prob)


@dataclass(frozen=True)
class Blob:
    """One connected region of the network's bar pixels: its rotated rectangle ``frame``, its
    pixels ``mask`` (bool HxW) and its mean solid and translucent probabilities."""

    frame: Frame
    mask: np.ndarray
    solid: float
    translucent: float


def bar_blobs(prob: np.ndarray, *, threshold: float = 0.5, min_area: int = 40) -> list[Blob]:
    """The connected regions where solid + translucent probability >= ``threshold``."""
    either = (prob[0] + prob[1]) >= threshold
    count, labels, stats, _ = cv2.connectedComponentsWithStats(either.view(np.uint8), connectivity=8)
    blobs = []
    for k in range(1, count):
        if stats[k, cv2.CC_STAT_AREA] < min_area:
            continue
        mask = labels == k
        ys, xs = np.nonzero(mask)
        rect = cv2.minAreaRect(np.stack([xs, ys], 1).astype(np.float32))
        # The rectangle through the outermost pixel centres: its corners are the blob's pixels
        # as polygon_mask rasterises them.
        frame = Frame.from_rect(rect)
        if frame.half_length < _MIN_HALF_LENGTH or frame.half_width < 2.0:
            continue  # a speck or a line: bars are 6 px thick and twice as long at least
        blobs.append(Blob(frame, mask, float(prob[0][mask].mean()), float(prob[1][mask].mean())))
    return blobs


def network_bars(image: np.ndarray, prob: np.ndarray | None = None) -> list[Bar]:
    """Bars where the network sees them (``prob``: bar_probabilities(image), when the caller has
    it), each placed on the picture itself: a solid blob's sides snapped to the steps, then
    tested as the flat-region candidates are (kintsugi.detect.bars); a translucent blob's sides
    and ends moved to where a blend holds (kintsugi.detect.translucent). A blob that those
    tests do not place keeps its own rectangle (a translucent one with the blend fitted round
    it, or as a solid bar, to be inpainted, when none fits)."""
    shape = image.shape[:2]
    prob = bar_probabilities(image) if prob is None else prob
    bars: list[Bar] = []
    for blob in sorted(bar_blobs(prob), key=lambda b: -np.count_nonzero(b.mask)):
        bar = _place(image, blob)
        if bar is not None and not duplicate(bar, bars, shape):
            bars.append(bar)
    return bars


def _place(image: np.ndarray, blob: Blob) -> Bar | None:
    shape = image.shape[:2]
    frame = blob.frame
    if blob.translucent > blob.solid:
        # The blend's fits want sides within a pixel or so of the bar's; the blob's edge may be
        # two or three off either way: the frame is tried as it is, shrunk and grown, and the
        # placement the translucent score likes best is kept.
        best = None
        for shrink, shorten in _SHRINKS:
            tried = Frame(frame.centre, frame.u, frame.v, frame.half_length - shorten, frame.half_width - shrink)
            placeable = tried.half_width > 2 and tried.half_length >= _MIN_HALF_LENGTH
            candidate = translucent.place(image, tried) if placeable else None
            if candidate is not None and _agrees(candidate.bar, blob, shape):
                value = bar_score.score(candidate.features, kind="translucent")
                if best is None or value > best[0]:
                    best = (value, candidate.bar)
        if best is not None:
            return best[1]
        fitted = translucent.blend_around(image, frame)
        if fitted is not None:
            return fitted
    else:
        candidate = solid.place(image, snap_ends(image, snap_sides(image, frame)))
        if candidate is not None and _agrees(candidate, blob, shape):
            return candidate
    corners = frame.corners()
    colour = tuple(float(c) for c in np.median(image[blob.mask], axis=0))
    return Bar("bar", corners, box_of(corners, shape), colour, 1.0)


def _agrees(bar: Bar, blob: Blob, shape: tuple[int, int]) -> bool:
    """Whether a placed bar covers about the blob's pixels (IoU >= 0.6)."""
    mask = bar.mask(shape)
    return np.count_nonzero(mask & blob.mask) >= 0.6 * np.count_nonzero(mask | blob.mask)
