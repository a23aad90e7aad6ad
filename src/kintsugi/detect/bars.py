"""Censor bars: solid (one flat colour) and translucent (a flat colour at constant opacity).

Solid bars. A bar is a flat rotated rectangle laid over the art: its pixels are one colour (any
colour, not only black or white), its long sides are straight and sharp, and the art it covers
stops at them. Found as connected flat pixels (3x3 spread <= _FLAT), re-grown by colour (JPEG
blurs a bar's rim), and kept when the region fills its minimum-area rectangle, is 6-60 px thick
and longer than wide, steps to another colour all along both long sides, and the art beyond
those sides varies (it crosses something). That last test is what keeps drawn rectangles out:
a sign, a table leg or a bold letter is framed by one outline or one fill colour all around.
Regions touching the image border are left out: letterbox borders and page gutters.

Translucent bars. out = a*c + (1-a)*art: the art is still there, dimmed toward c. Across each
long side, the pixel just inside relates to the pixel just outside as in = k*out + b with
k = 1 - a and b = a*c (the art is continuous over the few pixels between them), so a pair of
long parallel straight edges (Hough segments 6-60 px apart) is a translucent bar when both
sides fit one such relation with 0.15 <= k <= 0.9 and small residual, over art that varies
enough to fit it. The bar's ends are where that relation stops holding.

Not found: a solid bar over flat paint (nothing beyond its sides varies: it looks exactly like
a drawn rectangle), bars thinner than 6 px, bars touching the image border, translucent bars
over flat or very dark art (nothing to fit k to), and curved or hand-drawn censor strokes.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from kintsugi.regions import Box

# A pixel is flat when its 3x3 neighbourhood spans at most this many levels in every channel
# (JPEG q85 keeps a flat bar's inside within a few levels).
_FLAT = 10
# Bar pixels are re-grown from the flat core: within this distance (max over channels) of the
# bar's median colour.
_MEMBER = 40
_MIN_THICK, _MAX_THICK = 5.0, 64.0  # measured thickness, a little wider than the 6-60 px target
_MIN_ASPECT = 2.0
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
# Translucent bars: fit in = k*out + b across both long sides.
_MIN_K, _MAX_K = 0.15, 0.9
_MAX_FIT_RMS = 10.0
_MIN_OUT_STD = 12.0
_K_AGREE, _B_AGREE = 0.12, 20.0
# Sides over varying art needed to fit the blend (1 finds bars along flat backgrounds too, and
# false ones in JPEG ringing along flat fills).
_MIN_INFORMATIVE = 2


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


def _box_of(corners: np.ndarray, shape: tuple[int, int]) -> Box:
    x0, y0 = np.floor(corners.min(axis=0)).astype(int)
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + 1
    return Box(max(int(y0), 0), max(int(x0), 0), min(int(y1), shape[0]), min(int(x1), shape[1]))


def _spread(image: np.ndarray) -> np.ndarray:
    """uint8 HxW: the largest 3x3 range over the channels."""
    k3 = np.ones((3, 3), np.uint8)
    out = None
    for plane in cv2.split(image):
        r = cv2.subtract(cv2.dilate(plane, k3), cv2.erode(plane, k3))
        out = r if out is None else cv2.max(out, r)
    return out


def _sample(image: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Bilinear samples (N x 3 float32) of an RGB image at float coordinates."""
    mx, my = xs.astype(np.float32).reshape(1, -1), ys.astype(np.float32).reshape(1, -1)
    return cv2.remap(image, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).reshape(-1, 3).astype(np.float32)


@dataclass(frozen=True)
class _Frame:
    """A rotated rectangle as centre, unit long axis u, unit short axis v, half length and width."""

    centre: np.ndarray
    u: np.ndarray
    v: np.ndarray
    half_length: float
    half_width: float

    @classmethod
    def from_rect(cls, rect: tuple) -> _Frame:
        (cx, cy), (w, h), angle = rect
        theta = np.deg2rad(angle)
        a, b = np.array([np.cos(theta), np.sin(theta)]), np.array([-np.sin(theta), np.cos(theta)])
        if w < h:
            w, h, a, b = h, w, b, a
        return cls(np.array([cx, cy]), a, b, w / 2, h / 2)

    def corners(self) -> np.ndarray:
        c, u, v, hl, hw = self.centre, self.u, self.v, self.half_length, self.half_width
        return np.array([c - u * hl - v * hw, c + u * hl - v * hw, c + u * hl + v * hw, c - u * hl + v * hw])

    def side_points(self, offset: float, *, side: int, step: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """(xs, ys) along the long side ``side`` (-1 or +1), ``offset`` px outward from it
        (negative: inward), skipping 2 px at each end."""
        t = np.arange(-self.half_length + 2, self.half_length - 2 + 1e-6, step)
        points = self.centre + t[:, None] * self.u + (side * (self.half_width + offset)) * self.v
        return points[:, 0], points[:, 1]


def find_solid_bars(image: np.ndarray, frames: list[_Frame] | None = None) -> list[Bar]:
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
        (area >= 24) & (np.maximum(w, h) >= 2 * _MIN_THICK) & (x > 0) & (y > 0) & (x + w < width) & (y + h < height)
    )[0]
    for k in candidates:
        if k == 0:
            continue
        bar = _solid_bar(image, labels, k, stats[k])
        if bar is not None and not _duplicate(bar, bars, (height, width)):
            bars.append(bar)
    for frame in line_frames(image) if frames is None else frames:
        bar = _solid_from_frame(image, frame)
        if bar is not None and not _touches_border(bar.corners, (height, width)):
            if not _duplicate(bar, bars, (height, width)):
                bars.append(bar)
    return bars


def _solid_from_frame(image: np.ndarray, frame: _Frame) -> Bar | None:
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
    if 2 * frame.half_length < _MIN_ASPECT * 2 * frame.half_width:
        return None
    corners = frame.corners()
    if not _is_rectangle(image, corners, colour):
        return None
    return Bar("bar", corners, _box_of(corners, image.shape[:2]), tuple(float(c) for c in colour), 1.0)


def _interior(image: np.ndarray, frame: _Frame) -> np.ndarray:
    """N x 3 samples on lines 1 px apart across the bar, from 1.5 px inside one long side to
    1.5 px inside the other."""
    offsets = np.arange(-(frame.half_width - 1.5), frame.half_width - 1.5 + 1e-6, 1.0)
    if offsets.size == 0:
        return np.zeros((0, 3), np.float32)
    return np.concatenate([_sample(image, *frame.side_points(-frame.half_width + o, side=1)) for o in offsets])


def _solid_ends(image: np.ndarray, frame: _Frame, colour: np.ndarray) -> _Frame:
    """Short sides where at least two of three lines along the bar leave its colour."""
    reach = 2 * frame.half_width + 40
    t = np.arange(-frame.half_length - reach, frame.half_length + reach + 1e-6, 1.0)
    votes = np.zeros(t.size, np.int32)
    for offset in (-(frame.half_width - 1.5), 0.0, frame.half_width - 1.5):
        p = frame.centre + t[:, None] * frame.u + offset * frame.v
        votes += np.abs(_sample(image, p[:, 0], p[:, 1]) - colour).max(axis=-1) <= _MEMBER / 2
    return _run_through_middle(frame, t, votes >= 2)


def _run_through_middle(frame: _Frame, t: np.ndarray, holds: np.ndarray) -> _Frame:
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
    return _Frame(centre, frame.u, frame.v, (t1 - t0) / 2, frame.half_width)


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
    frame = _Frame.from_rect(rect)
    # minAreaRect spans pixel centres: the rectangle of pixels is half a pixel wider each way.
    frame = _Frame(frame.centre, frame.u, frame.v, frame.half_length + 0.5, frame.half_width + 0.5)
    thick, length = 2 * frame.half_width, 2 * frame.half_length
    if not (_MIN_THICK <= thick <= _MAX_THICK) or length < _MIN_ASPECT * thick:
        return None
    if region_area < _MIN_FILL * thick * length:
        return None
    frame = _Frame(frame.centre + (x0, y0), frame.u, frame.v, frame.half_length, frame.half_width)
    # Colour re-growth may leak a pixel or two into art of a similar colour: put the long sides
    # back on the strongest step.
    frame = _snap_ends(image, _snap_sides(image, frame))
    if not _sides_step_and_cross(image, frame, colour):
        return None
    corners = frame.corners()
    if _touches_border(corners, (height, width)) or not _is_rectangle(image, corners, colour):
        return None
    return Bar("bar", corners, _box_of(corners, (height, width)), tuple(float(c) for c in colour), 1.0)


def _is_rectangle(image: np.ndarray, corners: np.ndarray, colour: np.ndarray) -> bool:
    """The bar colour fills the rectangle and stops at all four of its sides: at least
    _MIN_FILL of the pixels inside are of the colour, at most _MAX_SPILL of the ring 1-3 px
    outside (a highlight tapers, a stripe of a larger fill spills, a bar ends)."""
    shape = image.shape[:2]
    box = _box_of(corners, shape)
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


def _sides_step_and_cross(image: np.ndarray, frame: _Frame, colour: np.ndarray) -> bool:
    """The long sides step away from the bar colour (one nearly everywhere, the other on part of
    it at least: a white bar may run along white paper), and art edges run into them: at least
    _CROSSINGS places along the two sides where the colour 3 px outside jumps (a drawn stripe is
    bordered by fills and outlines running along it, a gradient jumps nowhere)."""
    crossings, shares = 0, []
    for side in (-1, 1):
        near = _sample(image, *frame.side_points(2.0, side=side))
        if near.shape[0] < 8:
            return False
        shares.append(float(np.mean(np.abs(near - colour).max(axis=-1) >= _CONTRAST)))
        far = _sample(image, *frame.side_points(3.0, side=side))
        jumps = np.abs(far[4:] - far[:-4]).max(axis=-1) >= _JUMP
        crossings += int(np.count_nonzero(np.diff(jumps.astype(np.int8)) == 1) + jumps[0])
    if max(shares) < _CONTRAST_SHARE or min(shares) < _CONTRAST_SHARE_OTHER:
        return False
    return crossings >= _CROSSINGS


# --- translucent bars ------------------------------------------------------------------------


def line_frames(image: np.ndarray) -> list[_Frame]:
    """Candidate bar rectangles between pairs of long parallel straight edges (Hough segments on
    Canny edges of each channel), their sides snapped to the strongest step; longest first."""
    # Edges in every channel: a bar may differ from the art in colour more than in luma.
    edges = None
    for plane in cv2.split(image):
        e = cv2.Canny(plane, 20, 60)
        edges = e if edges is None else cv2.max(edges, e)
    segments = cv2.HoughLinesP(edges, 1, np.pi / 360, threshold=15, minLineLength=15, maxLineGap=4)
    if segments is None:
        return []
    segs = segments.reshape(-1, 4).astype(np.float64)  # N x (x1, y1, x2, y2)
    if len(segs) > 400:  # keep the longest: a busy page has thousands of short ones
        lengths = np.hypot(segs[:, 2] - segs[:, 0], segs[:, 3] - segs[:, 1])
        segs = segs[np.argsort(-lengths)[:400]]
    return [_snap_sides(image, frame) for frame in _parallel_pairs(segs)]


def find_translucent_bars(image: np.ndarray, frames: list[_Frame] | None = None) -> list[Bar]:
    """Translucent bars in ``image`` (RGB uint8 HxWx3); see the module docstring. ``frames``:
    line_frames(image), when the caller has them already."""
    shape = image.shape[:2]
    bars: list[Bar] = []
    for frame in line_frames(image) if frames is None else frames:
        bar = _translucent_bar(image, frame)
        if bar is not None and not _touches_border(bar.corners, shape) and not _duplicate(bar, bars, shape):
            bars.append(bar)
    return bars


def _touches_border(corners: np.ndarray, shape: tuple[int, int]) -> bool:
    """Letterbox borders and gutters run to the image border; so does this rectangle."""
    return bool(corners.min() < 0.5 or corners[:, 0].max() > shape[1] - 1.5 or corners[:, 1].max() > shape[0] - 1.5)


def _duplicate(bar: Bar, bars: list[Bar], shape: tuple[int, int]) -> bool:
    return any(_overlap(bar, other, shape) > 0.5 for other in bars)


def _overlap(a: Bar, b: Bar, shape: tuple[int, int]) -> float:
    if a.box.y1 <= b.box.y0 or b.box.y1 <= a.box.y0 or a.box.x1 <= b.box.x0 or b.box.x1 <= a.box.x0:
        return 0.0
    ma, mb = a.mask(shape), b.mask(shape)
    return np.count_nonzero(ma & mb) / max(1, min(np.count_nonzero(ma), np.count_nonzero(mb)))


def _merge_collinear(segs: np.ndarray) -> list[tuple[np.ndarray, float, float, float]]:
    """Hough segments (N x 4: x1, y1, x2, y2) merged into lines (u, rho, t0, t1): unit
    direction, offset along the normal (-u_y, u_x), and the extent along u. Art crossing a bar
    edge breaks it into pieces; pieces within 1.5 degrees and 2 px of a line join it."""
    d = segs[:, 2:] - segs[:, :2]
    length = np.hypot(d[:, 0], d[:, 1])
    lines: list[list] = []
    for i in np.argsort(-length):
        u = d[i] / length[i]
        if u[0] < 0 or (u[0] == 0 and u[1] < 0):
            u = -u  # one orientation per direction
        v = np.array([-u[1], u[0]])
        ends = segs[i].reshape(2, 2)
        for line in lines:
            lu, lv = line[0], np.array([-line[0][1], line[0][0]])
            if abs(float(u @ lv)) < np.sin(np.deg2rad(1.5)) and np.abs(ends @ lv - line[1]).max() < 2.0:
                t = ends @ lu
                line[2], line[3] = min(line[2], t.min()), max(line[3], t.max())
                break
        else:
            t = ends @ u
            lines.append([u, float(ends.mean(axis=0) @ v), float(t.min()), float(t.max())])
    return [(u, rho, t0, t1) for u, rho, t0, t1 in lines]


def _parallel_pairs(segs: np.ndarray) -> list[_Frame]:
    """Rectangles between pairs of parallel lines 6-60 px apart that overlap along their
    direction by at least twice their distance; longest first."""
    lines = _merge_collinear(segs)
    frames = []
    for a, (ua, ra, a0, a1) in enumerate(lines):
        va = np.array([-ua[1], ua[0]])
        for ub, rb, b0, b1 in lines[a + 1 :]:
            if abs(float(ub @ va)) >= np.sin(np.deg2rad(2)):
                continue
            sign = 1.0 if ub @ ua > 0 else -1.0
            gap = sign * rb - ra
            lo, hi = max(a0, sign * b0 if sign > 0 else -b1), min(a1, sign * b1 if sign > 0 else -b0)
            width = abs(gap)
            if not (_MIN_THICK <= width <= _MAX_THICK) or hi - lo < max(20.0, _MIN_ASPECT * width):
                continue
            centre = ua * (lo + hi) / 2 + va * (ra + gap / 2)
            frames.append(_Frame(centre, ua, va, (hi - lo) / 2, width / 2))
    frames.sort(key=lambda f: -f.half_length)
    return frames


def _snap_sides(image: np.ndarray, frame: _Frame, *, reach: float = 3.0) -> _Frame:
    """Move each long side (within ``reach`` px) to where the step across it is largest: Hough lines
    sit a pixel or two off an edge, and a merged line keeps its first piece's offset."""
    offsets = np.arange(-reach, reach + 1e-6, 0.5)
    best = []
    for side in (-1, 1):
        # All offsets in one sampling call: (offsets x 2 lines x n points).
        xs, ys = zip(*(frame.side_points(delta + d, side=side) for delta in offsets for d in (1.0, -1.0)))
        n = xs[0].size
        if n == 0:
            return frame
        samples = _sample(image, np.concatenate(xs), np.concatenate(ys)).reshape(offsets.size, 2, n, 3)
        steps = np.abs(samples[:, 0] - samples[:, 1]).max(axis=-1).mean(axis=-1)  # (offsets,)
        best.append(float(offsets[int(np.argmax(steps))]))
    low, high = best  # the -1 side moves by -low along v, the +1 side by +high
    half_width = frame.half_width + (low + high) / 2
    if 2 * half_width < _MIN_THICK:
        return frame
    centre = frame.centre + frame.v * (high - low) / 2
    return _Frame(centre, frame.u, frame.v, frame.half_length, half_width)


def _snap_ends(image: np.ndarray, frame: _Frame, *, reach: float = 3.0) -> _Frame:
    """_snap_sides for the two short sides."""
    swapped = _Frame(frame.centre, frame.v, frame.u, frame.half_width, frame.half_length)
    swapped = _snap_sides(image, swapped, reach=reach)
    return _Frame(swapped.centre, frame.u, frame.v, swapped.half_width, swapped.half_length)


def _fit_side(inside: np.ndarray, outside: np.ndarray) -> tuple[float, np.ndarray, float]:
    """Fit in = k*out + b (k shared, b per channel) over N x 3 pairs, trimmed: the worst fifth
    of the pairs (art edges between the two samples) is dropped and the fit repeated. Returns
    (k, b (3,), rms)."""
    keep = np.ones(inside.shape[0], bool)
    k, b, rms = 1.0, np.zeros(3), np.inf
    for _ in range(2):
        o, i = outside[keep], inside[keep]
        oc, ic = o - o.mean(axis=0), i - i.mean(axis=0)
        denom = float((oc * oc).sum())
        if denom <= 1e-6:
            return 1.0, np.zeros(3), np.inf
        # Reduced major axis, not least squares: the art varies between the two samples, and
        # that noise enters "in" scaled by k just as the signal does, so k = std(in) / std(out)
        # is unbiased where least squares shrinks k (and overstates the opacity).
        covariance = float((oc * ic).sum())
        k = float(np.sign(covariance) * np.sqrt((ic * ic).sum() / denom))
        b = i.mean(axis=0) - k * o.mean(axis=0)
        err = np.abs(inside - (k * outside + b)).max(axis=-1)
        rms = float(np.sqrt(np.mean(err[keep] ** 2)))
        keep = err <= np.quantile(err, 0.8)
    return k, b, rms


def _translucent_bar(image: np.ndarray, frame: _Frame) -> Bar | None:
    """A translucent bar between two parallel edges, or None. A side over art that varies
    (colour std >= _MIN_OUT_STD) fixes in = k*out + b; a side over flat art must agree with it."""
    pairs = []
    for side in (-1, 1):
        inside = _sample(image, *frame.side_points(-1.5, side=side))
        outside = _sample(image, *frame.side_points(1.5, side=side))
        if inside.shape[0] < 16:
            return None
        pairs.append((inside, outside, outside.std(axis=0).max() >= _MIN_OUT_STD))
    informative = [(i, o) for i, o, ok in pairs if ok]
    if len(informative) < _MIN_INFORMATIVE:
        return None
    fits = [_fit_side(i, o) for i, o in informative]
    if any(not (_MIN_K <= k <= _MAX_K) or rms > _MAX_FIT_RMS for k, _, rms in fits):
        return None
    if len(fits) == 2 and (abs(fits[0][0] - fits[1][0]) > _K_AGREE or np.abs(fits[0][1] - fits[1][1]).max() > _B_AGREE):
        return None
    inside = np.concatenate([i for i, _, _ in pairs])
    outside = np.concatenate([o for _, o, _ in pairs])
    k, b, _ = _fit_side(np.concatenate([i for i, _ in informative]), np.concatenate([o for _, o in informative]))
    err = np.abs(inside - (k * outside + b)).max(axis=-1)
    err = err[err <= np.quantile(err, 0.8)]  # art edges between the samples, as in _fit_side
    if np.sqrt(np.mean(err**2)) > _MAX_FIT_RMS:
        return None  # the flat side does not follow the same blend
    if np.mean(np.abs(inside - outside).max(axis=-1)) < 8:
        return None  # no step at all
    opacity = 1.0 - k
    colour = np.clip(b / max(opacity, 1e-3), 0, 255)
    # Where the blend relation starts and stops holding, then the short sides on their step.
    frame = _snap_ends(image, _ends(image, frame, k=k, b=b), reach=6.0)
    corners = frame.corners()
    return Bar("translucent", corners, _box_of(corners, image.shape[:2]), tuple(float(c) for c in colour), opacity)


def _ends(image: np.ndarray, frame: _Frame, *, k: float, b: np.ndarray) -> _Frame:
    """Move the short sides to where the blend relation across the long sides starts and stops
    holding: it explains in from out better than in = out does (the art continuing unchanged)."""
    reach = 2 * frame.half_width + 40
    t = np.arange(-frame.half_length - reach, frame.half_length + reach + 1e-6, 1.0)
    holds = np.zeros(t.size, bool)
    for side in (-1, 1):
        pin = frame.centre + t[:, None] * frame.u + (side * (frame.half_width - 1.5)) * frame.v
        pout = frame.centre + t[:, None] * frame.u + (side * (frame.half_width + 1.5)) * frame.v
        inside, outside = _sample(image, pin[:, 0], pin[:, 1]), _sample(image, pout[:, 0], pout[:, 1])
        blend = np.abs(inside - (k * outside + b)).max(axis=-1)
        same = np.abs(inside - outside).max(axis=-1)
        holds |= blend < same
    # Smooth over 5 samples, then take the run through the middle.
    smooth = np.convolve(holds.astype(np.float32), np.ones(5) / 5, mode="same") >= 0.5
    return _run_through_middle(frame, t, smooth)
