"""Rotated rectangles for bar detection: frames, sampling along their sides, parallel edges.

A Frame is a rotated rectangle (centre, long axis u, short axis v, half sizes). Candidate bars
come from flat regions (kintsugi.detect.flats) or from pairs of long parallel straight edges
(line_frames: LSD segments and Hough segments on Canny edges, merged when collinear, paired 6-60
px apart).
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

import cv2
import numpy as np

from kintsugi.detect.stats import channel_max
from kintsugi.regions import Box

MIN_THICK, MAX_THICK = 5.0, 64.0  # measured thickness, a little wider than the 6-60 px target
MIN_ASPECT = 2.0
_SAMPLE_ROW = 4096


@dataclass(frozen=True)
class Bar:
    """One bar: kind "bar" (solid) or "translucent"; the rotated rectangle ``corners`` (4x2 float
    x, y), its ``box``, the bar colour (RGB) and opacity (1.0 for a solid bar)."""

    kind: str
    corners: np.ndarray
    box: Box
    colour: tuple[float, float, float]
    opacity: float

    def mask(self, shape: tuple[int, int]) -> np.ndarray:
        """bool HxW: the rectangle's pixels (centres inside it)."""
        return polygon_mask(self.corners, shape)


def polygon_mask(corners: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """bool HxW of the pixels whose centres lie in the convex polygon ``corners`` (Nx2 x, y)."""
    canvas = np.zeros(shape, np.uint8)
    # fillConvexPoly with 8 bits of sub-pixel precision: the edge lands where the corners say.
    cv2.fillConvexPoly(canvas, np.rint(corners * 256).astype(np.int32), 1, lineType=cv2.LINE_8, shift=8)
    return canvas > 0


def polygon_pixels(image: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """image[polygon_mask(corners, image.shape[:2])] (K x C, in reading order), rasterised over
    the polygon's box only (corners moved by whole pixels rasterise the same)."""
    box = box_of(corners, image.shape[:2])
    if box.y1 <= box.y0 or box.x1 <= box.x0:
        return image[:0, 0]
    mask = polygon_mask(corners - (box.x0, box.y0), (box.y1 - box.y0, box.x1 - box.x0))
    return image[box.slices][mask]


def box_of(corners: np.ndarray, shape: tuple[int, int]) -> Box:
    x0, y0 = np.floor(corners.min(axis=0)).astype(int)
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + 1
    return Box(max(int(y0), 0), max(int(x0), 0), min(int(y1), shape[0]), min(int(x1), shape[1]))


def sample(image: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Bilinear samples (N x 3 float32) of an RGB image at float coordinates (any shape, N in all)."""
    n = xs.size
    if n == 0:
        return np.zeros((0, 3), np.float32)  # a frame too short to sample along
    if n <= _SAMPLE_ROW:
        mx, my = xs.astype(np.float32).reshape(1, n), ys.astype(np.float32).reshape(1, n)
    else:
        # remap takes maps of under 32767 columns: the points go in rows of at most _SAMPLE_ROW,
        # padded no further than that (remap's time goes with the size of the map).
        rows = -(-n // _SAMPLE_ROW)
        cols = -(-n // rows)
        mx, my = np.zeros(rows * cols, np.float32), np.zeros(rows * cols, np.float32)
        mx[:n], my[:n] = xs.ravel(), ys.ravel()
        mx, my = mx.reshape(rows, cols), my.reshape(rows, cols)
    out = cv2.remap(image, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(-1, 3)[:n].astype(np.float32)


@functools.lru_cache(maxsize=64)
def _distinct(shape: tuple[int, ...], data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(shifts, return_inverse=True) for float64 shifts of ``shape`` given as bytes: the
    callers' shift patterns are a few constants, and np.unique is slow on small arrays."""
    distinct, which = np.unique(np.frombuffer(data).reshape(shape), return_inverse=True)
    return distinct, which.reshape(shape)


def distinct_shifts(shifts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct values, the index of each shift among them) of float ``shifts``. Callers sample
    both sides of each of several offsets, which repeat (the outer sample of one offset is the
    inner of another): each distinct line is sampled once. The arrays are shared: read only."""
    shifts = np.asarray(shifts, np.float64)
    return _distinct(shifts.shape, shifts.tobytes())


def sample_across(image: np.ndarray, base: np.ndarray, v: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """Bilinear samples (shifts.shape x N x 3 float32) of an RGB image at the points ``base``
    (N x 2, x y) moved by each of ``shifts`` (any shape, px) along the direction ``v`` (2,): a
    line sampled at several offsets across it in one call."""
    distinct, which = distinct_shifts(shifts)
    points = base[None] + distinct[:, None, None] * v
    samples = sample(image, points[..., 0], points[..., 1]).reshape(distinct.size, base.shape[0], 3)
    return samples[which]


def sample_lines(image: np.ndarray, lines: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Samples along each of several lines ((xs, ys) each), concatenated (M x 3 float32): one
    sampling call where each line would take one."""
    xs = np.concatenate([xs.ravel() for xs, _ in lines])
    ys = np.concatenate([ys.ravel() for _, ys in lines])
    return sample(image, xs, ys)


def sample_sides_across(image: np.ndarray, frame: Frame, shifts: np.ndarray) -> np.ndarray:
    """Both long sides sampled across them in one call: 2 (side -1, +1) x shifts.shape x N x 3,
    side s along frame.side_points(0, side=s) moved s * shift along v (outward), as
    sample_across samples each (N may be 0)."""
    distinct, which = distinct_shifts(shifts)
    # The same arithmetic as side_points and sample_across, for both sides at once.
    outward = np.array([-1.0, 1.0])
    base = frame.along()[None] + (outward * (frame.half_width + 0.0))[:, None, None] * frame.v  # 2 x N x 2
    points = base[:, None] + (outward[:, None] * distinct)[:, :, None, None] * frame.v  # 2 x D x N x 2
    samples = sample(image, points[..., 0], points[..., 1]).reshape(*points.shape[:3], 3)
    return samples[:, which]


@dataclass(frozen=True)
class Frame:
    """A rotated rectangle as centre, unit long axis u, unit short axis v, half length and width."""

    centre: np.ndarray
    u: np.ndarray
    v: np.ndarray
    half_length: float
    half_width: float

    @classmethod
    def from_rect(cls, rect: tuple) -> Frame:
        (cx, cy), (w, h), angle = rect
        theta = np.deg2rad(angle)
        a, b = np.array([np.cos(theta), np.sin(theta)]), np.array([-np.sin(theta), np.cos(theta)])
        if w < h:
            w, h, a, b = h, w, b, a
        return cls(np.array([cx, cy]), a, b, w / 2, h / 2)

    def corners(self) -> np.ndarray:
        c, u, v, hl, hw = self.centre, self.u, self.v, self.half_length, self.half_width
        return np.array([c - u * hl - v * hw, c + u * hl - v * hw, c + u * hl + v * hw, c - u * hl + v * hw])

    def along(self, step: float = 1.0) -> np.ndarray:
        """N x 2: points on the long axis ``step`` px apart, skipping 2 px at each end (kept:
        the tests sample many lines along one frame)."""
        cache = self.__dict__.setdefault("_along", {})
        if step not in cache:
            t = np.arange(-self.half_length + 2, self.half_length - 2 + 1e-6, step)
            cache[step] = self.centre + t[:, None] * self.u
        return cache[step]

    def side_points(self, offset: float, *, side: int, step: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """(xs, ys) along the long side ``side`` (-1 or +1), ``offset`` px outward from it
        (negative: inward), skipping 2 px at each end."""
        points = self.along(step) + (side * (self.half_width + offset)) * self.v
        return points[:, 0], points[:, 1]


def pixel_corners(frame: Frame) -> np.ndarray:
    """4x2 corners for a Bar over ``frame`` (edges on pixel boundaries, as snap_sides puts them):
    half a pixel in, on the centres of the outermost pixels, which polygon_mask includes."""
    hl, hw = max(frame.half_length - 0.5, 0.5), max(frame.half_width - 0.5, 0.5)
    return Frame(frame.centre, frame.u, frame.v, hl, hw).corners()


def run_through_middle(frame: Frame, t: np.ndarray, holds: np.ndarray) -> Frame:
    """The frame shortened or lengthened to the run of ``holds`` (bool, at positions t along
    the long axis) through its middle; unchanged when the middle does not hold."""
    mid = int(np.argmin(np.abs(t)))
    if not holds[mid]:
        return frame
    lo = mid
    while lo > 0 and holds[lo - 1]:
        lo -= 1
    hi = mid
    while hi < t.size - 1 and holds[hi + 1]:
        hi += 1
    t0, t1 = t[lo] - 0.5, t[hi] + 0.5
    centre = frame.centre + frame.u * (t0 + t1) / 2
    return Frame(centre, frame.u, frame.v, (t1 - t0) / 2, frame.half_width)


_MIN_SEGMENT = 10.0
_MAX_SEGMENTS = 600


# Straight lines merged from collinear segments, as _merge_collinear gives them: u (L x 2) unit
# directions, rho (L,) offsets along the normal (-u_y, u_x), extent (L x 2) t0, t1 along u.
Lines = tuple[np.ndarray, np.ndarray, np.ndarray]


def line_frames(image: np.ndarray, lines: list[Lines] | None = None) -> list[Frame]:
    """Candidate bar rectangles between pairs of long parallel straight edges, their sides
    snapped to the strongest step; longest first. ``lines``: straight_lines(image), when the
    caller has them already."""
    frames = []
    for line_set in straight_lines(image) if lines is None else lines:
        # Sides only: the ends are found by each kind's own test (what stays its colour, where
        # the blend holds) and snapped after that.
        frames += [snap_sides(image, frame) for frame in pair_lines(*line_set)]
    return frames


def straight_lines(image: np.ndarray) -> list[Lines]:
    """The long straight edges of ``image``, two sets each merged on its own: from LSD on luma
    (sub-pixel, whole where JPEG ringing breaks Canny edges into stubs) and from Hough on Canny
    edges of each channel (a bar may differ from the art in colour more than in luma; LSD splits
    an edge where the art beyond it turns from darker to brighter)."""
    if min(image.shape[:2]) < 3:
        return []
    return [_merge_collinear(segs) for segs in (_hough_segments(image), _lsd_segments(image)) if segs.size]


def longest_segments(segs: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` longest of N x 4 segments (a busy page has thousands of short ones)."""
    lengths = np.hypot(segs[:, 2] - segs[:, 0], segs[:, 3] - segs[:, 1])
    return segs[np.argsort(-lengths)[:count]]


_THREAD = threading.local()


def _line_segment_detector() -> cv2.LineSegmentDetector:
    """One LSD per thread, made on first use: an OpenCV detector shared between threads crashes
    the process when two detections run at once (a server handles requests in threads)."""
    detector = getattr(_THREAD, "lsd", None)
    if detector is None:
        detector = _THREAD.lsd = cv2.createLineSegmentDetector()
    return detector


def _lsd_segments(image: np.ndarray) -> np.ndarray:
    segments = _line_segment_detector().detect(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))[0]
    if segments is None:
        return np.zeros((0, 4))
    segs = longest_segments(segments.reshape(-1, 4).astype(np.float64), _MAX_SEGMENTS)
    return segs[np.hypot(segs[:, 2] - segs[:, 0], segs[:, 3] - segs[:, 1]) >= _MIN_SEGMENT]


def _hough_segments(image: np.ndarray) -> np.ndarray:
    edges = None
    for plane in cv2.split(image):
        e = cv2.Canny(plane, 20, 60)
        edges = e if edges is None else cv2.max(edges, e)
    segments = cv2.HoughLinesP(edges, 1, np.pi / 360, threshold=15, minLineLength=15, maxLineGap=4)
    if segments is None:
        return np.zeros((0, 4))
    return longest_segments(segments.reshape(-1, 4).astype(np.float64), 400)


def touches_border(corners: np.ndarray, shape: tuple[int, int]) -> bool:
    """Letterbox borders and gutters run to the image border; so does this rectangle."""
    return bool(corners.min() < 0.5 or corners[:, 0].max() > shape[1] - 1.5 or corners[:, 1].max() > shape[0] - 1.5)


def duplicate(bar: Bar, bars: list[Bar], shape: tuple[int, int]) -> bool:
    return any(_overlap(bar, other, shape) > 0.5 for other in bars)


def _overlap(a: Bar, b: Bar, shape: tuple[int, int]) -> float:
    if a.box.y1 <= b.box.y0 or b.box.y1 <= a.box.y0 or a.box.x1 <= b.box.x0 or b.box.x1 <= a.box.x0:
        return 0.0
    ma, mb = a.mask(shape), b.mask(shape)
    return np.count_nonzero(ma & mb) / max(1, min(np.count_nonzero(ma), np.count_nonzero(mb)))


def _merge_collinear(segs: np.ndarray) -> Lines:
    """Segments (N x 4: x1, y1, x2, y2) merged into lines: (u (L x 2) unit directions, rho (L,)
    offsets along the normal (-u_y, u_x), extent (L x 2) t0, t1 along u). Art crossing a bar
    edge breaks it into pieces; pieces within 1.5 degrees and 2 px of a line join it (longest
    first: a piece joins the first line, in the order they were begun, that it lies along; a
    piece along none begins a line)."""
    d = segs[:, 2:] - segs[:, :2]
    length = np.hypot(d[:, 0], d[:, 1])
    ok = length > 0
    segs, d, length = segs[ok], d[ok], length[ok]
    order = np.argsort(-length)
    u_all = d / length[:, None]
    flip = (u_all[:, 0] < 0) | ((u_all[:, 0] == 0) & (u_all[:, 1] < 0))
    u_all[flip] = -u_all[flip]  # one orientation per direction
    u, ends = u_all[order], segs[order].reshape(-1, 2, 2)  # longest first: N x 2, N x 2 ends x 2
    n = len(order)
    # A line keeps the direction and offset of the piece that begins it, so every piece can be
    # tested against every other piece's line at once: near[i, c], piece i along c's line.
    v = np.stack([-u[:, 1], u[:, 0]], axis=1)
    middle = ends.mean(axis=1)
    # Dot products as matmuls of one piece each: BLAS fuses the multiply-add, and a sum of
    # elementwise products would round differently (moving lines by a last bit).
    rho = np.matmul(middle[:, None], v[:, :, None])[:, 0, 0]
    across = np.abs(ends.reshape(-1, 2) @ v.T - rho).reshape(n, 2, n).max(axis=1)  # N x N, px
    near = (np.abs(u @ v.T) < np.sin(np.deg2rad(1.5))) & (across < 2.0)
    near &= np.tri(n, k=-1, dtype=bool)  # only lines begun before the piece
    line_of = np.arange(n)  # the piece that begins each piece's line
    begins = np.ones(n, bool)
    for i in np.flatnonzero(near.any(axis=1)):  # in order: earlier pieces are settled
        hit = np.flatnonzero(near[i, :i] & begins[:i])
        if hit.size:
            line_of[i], begins[i] = hit[0], False
    # Each piece's ends along its line's direction; a line spans all of its pieces.
    t = np.matmul(ends, u[line_of][:, :, None])[..., 0]  # N x 2
    lo, hi = np.full(n, np.inf), np.full(n, -np.inf)
    np.minimum.at(lo, line_of, t.min(axis=1))
    np.maximum.at(hi, line_of, t.max(axis=1))
    return u[begins], rho[begins], np.stack([lo, hi], axis=1)[begins]


def parallel_pairs(segs: np.ndarray) -> list[Frame]:
    """pair_lines over segments (N x 4: x1, y1, x2, y2) merged into lines."""
    return pair_lines(*_merge_collinear(segs))


def pair_lines(u: np.ndarray, rho: np.ndarray, extent: np.ndarray) -> list[Frame]:
    """Rectangles between pairs of parallel lines 6-60 px apart that overlap along their
    direction by at least twice their distance; longest first (all pairs at once)."""
    if len(u) < 2:
        return []
    v = np.stack([-u[:, 1], u[:, 0]], axis=1)
    cos = u @ u.T  # (L x L): b's direction against a's
    sin = np.abs(v @ u.T)  # |u_b . v_a|
    sign = np.where(cos > 0, 1.0, -1.0)
    gap = sign * rho[None, :] - rho[:, None]  # a's line to b's, along v_a
    # b's extent in a's frame: flipped when the two run opposite ways.
    b0 = np.where(sign > 0, extent[None, :, 0], -extent[None, :, 1])
    b1 = np.where(sign > 0, extent[None, :, 1], -extent[None, :, 0])
    lo, hi = np.maximum(extent[:, None, 0], b0), np.minimum(extent[:, None, 1], b1)
    width = np.abs(gap)
    upper = np.triu(np.ones(cos.shape, bool), 1)
    keep = upper & (sin < np.sin(np.deg2rad(2))) & (width >= MIN_THICK) & (width <= MAX_THICK)
    keep &= hi - lo >= np.maximum(20.0, MIN_ASPECT * width)
    frames = []
    for a, b in zip(*np.nonzero(keep)):
        centre = u[a] * (lo[a, b] + hi[a, b]) / 2 + v[a] * (rho[a] + gap[a, b] / 2)
        frames.append(Frame(centre, u[a], v[a], (hi[a, b] - lo[a, b]) / 2, width[a, b] / 2))
    frames.sort(key=lambda f: -f.half_length)
    return frames


def snap_sides(image: np.ndarray, frame: Frame, *, reach: float = 3.0) -> Frame:
    """Move each long side (within ``reach`` px) to where the step across it is largest: Hough lines
    sit a pixel or two off an edge, and a merged line keeps its first piece's offset."""
    offsets = np.arange(-reach, reach + 1e-6, 0.5)
    # Samples half a pixel either side: on a hard step only the true edge sees the whole step
    # (1 px either side, three offsets tie and the first, inward, one won). Every offset, both
    # half-pixel shifts and both sides in one sampling call: 2 sides x offsets x 2 x n x 3.
    samples = sample_sides_across(image, frame, offsets[:, None] + np.array([0.5, -0.5])[None, :])
    if samples.shape[3] == 0:
        return frame
    steps = channel_max(np.abs(samples[:, :, 0] - samples[:, :, 1])).mean(axis=-1)  # 2 x offsets
    # The -1 side moves by -low along v, the +1 side by +high.
    low, high = (float(offsets[int(np.argmax(side_steps))]) for side_steps in steps)
    half_width = frame.half_width + (low + high) / 2
    if 2 * half_width < MIN_THICK:
        return frame
    centre = frame.centre + frame.v * (high - low) / 2
    return Frame(centre, frame.u, frame.v, frame.half_length, half_width)


def snap_ends(image: np.ndarray, frame: Frame, *, reach: float = 3.0) -> Frame:
    """snap_sides for the two short sides."""
    swapped = Frame(frame.centre, frame.v, frame.u, frame.half_width, frame.half_length)
    swapped = snap_sides(image, swapped, reach=reach)
    return Frame(swapped.centre, frame.u, frame.v, swapped.half_width, swapped.half_length)
