"""Solid censor bars: one flat colour, any colour (translucent bars: kintsugi.detect.translucent).

A bar is a flat rotated rectangle laid over the art: its pixels are one colour (any colour,
not only black or white), its long sides are straight and sharp, and the art it covers stops at
them. Candidates: the rectangles of flat regions, split from art of the bar's own colour
(kintsugi.detect.flats), and frames between pairs of parallel straight edges
(kintsugi.detect.rects.line_frames). A candidate must be 5-64 px thick, at least twice as long,
flat inside, at least _MIN_FILL of its rectangle of its colour, and off the image border
(letterbox borders and page gutters run to it). What is left is scored on its evidence
(kintsugi.detect.bar_score: how its sides step and cross art, how uniform the art beside them
is, how far its colour spills past its sides and ends) and kept above the score's threshold.

Not found: a bar over flat paint or along art of its own colour on a long side (a white bar
along white paper: nothing says where that side is), bars thinner than 6 px, bars touching the
image border, and curved or hand-drawn censor strokes. Still flagged: drawn flat rectangles
that cross art like a bar does (a sign's slash, a cage's bar, a chart's bar, the stroke of a
plus sign): nothing local tells them from a censor bar.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from kintsugi.detect import bar_score
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
from kintsugi.detect.stats import channel_max, colour_distance, median, quantile

__all__ = ["Bar", "Candidate", "find_solid_bars", "polygon_mask", "solid_candidates"]

# Bar pixels: within this distance (member_distance) of the bar's median colour.
_MEMBER = 40
_MIN_FILL = 0.9  # share of the rectangle's pixels (and of the inside samples) of the bar's colour
# An end whose ring beyond it is this much of the bar's colour is not where the bar ends.
_END_SPILL = 0.5
# Long sides: a step is a colour at least _CONTRAST from the bar's 2 px outside; a crossing, a
# jump of _JUMP over 4 px along the side 3 px outside; uniform, within _UNIFORM of the median
# 2.5 px outside.
_CONTRAST = 20.0
_JUMP = 30.0
_UNIFORM = 20.0
# Whether a pixel is of the bar's colour (inside it, along it and in its ring): the largest of its
# luma and chroma (BT.601, as JPEG stores them) differences, chroma at 3/4 weight. JPEG keeps
# chroma at half resolution and quantises it harder: after q85 a saturated bar's rim bleeds 40-60
# levels into one RGB channel while its luma holds (on validation bars of RGB spread >= 150, 7 of
# 12 filled under 90% of their rectangle by the RGB distance, none by this one).
_YCBCR = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])
_MEMBER_MATRIX = (_YCBCR * np.array([1.0, 0.75, 0.75])[:, None]).astype(np.float32)


@dataclass(frozen=True)
class Candidate:
    """A bar-shaped flat rectangle and its evidence (kintsugi.detect.bar_score.FEATURES)."""

    bar: Bar
    features: np.ndarray


def find_solid_bars(image: np.ndarray, frames: list[Frame] | None = None) -> list[Bar]:
    """Solid bars in ``image`` (RGB uint8 HxWx3); see the module docstring. Candidates come from
    flat regions (kintsugi.detect.flats) and from pairs of parallel edges (``frames``:
    line_frames(image), when the caller has them). Of overlapping candidates scoring above the
    threshold the first is kept: flat regions' rectangles come first, and fit a bar to the pixel."""
    shape = image.shape[:2]
    limit = bar_score.threshold()
    bars: list[Bar] = []
    for candidate in solid_candidates(image, frames):
        if bar_score.score(candidate.features) >= limit and not duplicate(candidate.bar, bars, shape):
            bars.append(candidate.bar)
    return bars


def solid_candidates(image: np.ndarray, frames: list[Frame] | None = None) -> list[Candidate]:
    """Every flat bar-shaped rectangle of ``image`` off the image border, with its evidence,
    before scoring (kintsugi.training.bar_score fits the score on these)."""
    shape = image.shape[:2]
    raw = [(snap_ends(image, snap_sides(image, frame)), False) for frame, _ in flat_frames(image)]
    raw += [(frame, True) for frame in (line_frames(image) if frames is None else frames)]
    out = []
    for frame, from_lines in raw:
        candidate = _candidate(image, frame, from_lines=from_lines)
        if candidate is not None and not touches_border(candidate.bar.corners, shape):
            out.append(candidate)
    return out


def _candidate(image: np.ndarray, frame: Frame, *, from_lines: bool) -> Candidate | None:
    """A candidate on ``frame`` when it is 5-64 px thick and flat inside (centre line and 1.5 px
    inside each edge); its ends, for a frame between two lines, where the inside stops being its
    colour (such a frame spans only where both lines were found)."""
    if not (MIN_THICK <= 2 * frame.half_width <= MAX_THICK):
        return None
    # The centre line first: most candidates are not flat, and it is one sampling call.
    centre_line = sample(image, *frame.side_points(-frame.half_width, side=1, step=2.0))
    if centre_line.shape[0] < 8:
        return None
    middle = median(centre_line, axis=0)
    # Whether the colour is exact is not known yet: the forgiving test here, the inside's below.
    if np.mean(member_distance(centre_line, middle, lossy=True) <= _MEMBER / 2) < _MIN_FILL:
        return None
    lines = _interior(image, frame)  # offsets x n x 3
    inside = lines.reshape(-1, 3)
    if inside.shape[0] < 16:
        return None
    colour = median(inside, axis=0)
    # An exact colour up to its edges (lossless art) is judged by its RGB channels; one that is
    # not (JPEG bleeds a bar's rim), by luma and chroma (member_distance).
    rim = lines[[0, -1]].reshape(-1, 3)  # the lines 1.5 px inside each side
    lossy = bool(np.mean(channel_max(np.abs(rim - colour)) <= 1) < 0.5)
    if np.mean(member_distance(inside, colour, lossy=lossy) <= _MEMBER / 2) < _MIN_FILL:
        return None
    sides = _side_features(image, frame, colour)
    if sides is None:
        return None
    # A flat region's rectangle keeps its ends unless they fail or the bar's colour runs on past
    # one (JPEG cut the flat core short of a bar's end): then, as for a frame between lines, the
    # ends go where the colour stops, if that fills its rectangle with less spill.
    tries = (
        [_solid_ends(image, frame, colour, lossy=lossy)]
        if from_lines
        else [frame, snap_ends(image, _solid_ends(image, frame, colour, lossy=lossy))]
    )
    chosen = None
    for attempt in tries:
        if 2 * attempt.half_length >= MIN_ASPECT * 2 * attempt.half_width:
            features = _rectangle_features(image, attempt, colour, lossy=lossy)
            if features is not None and features[0] >= _MIN_FILL:
                if chosen is None or features[2] < chosen[1][2]:
                    chosen = (attempt, features)
                if features[2] < _END_SPILL:
                    break
    if chosen is None:
        return None
    frame, rectangle = chosen
    # Crossings per 100 px of length: counts grow with a bar's length, evidence does not.
    per_100px = [100 * c / (2 * frame.half_length) for c in sides[4:6]]
    junctions = _junction_features(image, frame, colour=colour, noise=rectangle[-1], lossy=lossy)
    spread = float(np.std(inside))
    features = np.array(
        [*sides[:4], *per_100px, *sides[6:], *rectangle, float(from_lines), spread, *junctions, 2 * frame.half_width]
    )
    corners = pixel_corners(frame)
    bar = Bar("bar", corners, box_of(corners, image.shape[:2]), tuple(float(c) for c in colour), 1.0)
    return Candidate(bar, features)


def _interior(image: np.ndarray, frame: Frame) -> np.ndarray:
    """Samples (lines x n x 3) on lines 1 px apart along the bar, from 1.5 px inside one long
    side to 1.5 px inside the other."""
    offsets = np.arange(-(frame.half_width - 1.5), frame.half_width - 1.5 + 1e-6, 1.0)
    if offsets.size == 0:
        return np.zeros((0, 0, 3), np.float32)
    base = np.stack(frame.side_points(-frame.half_width, side=1), axis=-1)  # n x 2 on the centre line
    return sample_across(image, base, frame.v, offsets)


def _solid_ends(image: np.ndarray, frame: Frame, colour: np.ndarray, *, lossy: bool) -> Frame:
    """Short sides where at least two of three lines along the bar leave its colour."""
    reach = 2 * frame.half_width + 40
    t = np.arange(-frame.half_length - reach, frame.half_length + reach + 1e-6, 1.0)
    votes = np.zeros(t.size, np.int32)
    for offset in (-(frame.half_width - 1.5), 0.0, frame.half_width - 1.5):
        p = frame.centre + t[:, None] * frame.u + offset * frame.v
        votes += member_distance(sample(image, p[:, 0], p[:, 1]), colour, lossy=lossy) <= _MEMBER / 2
    return run_through_middle(frame, t, votes >= 2)


def _rectangle_features(image: np.ndarray, frame: Frame, colour: np.ndarray, *, lossy: bool) -> list[float] | None:
    """[fill, end spill (lower, higher), side spill, noise]: the share of the rectangle's pixels
    of the bar colour (within _MEMBER), the shares of the ring 1-3 px outside beyond each end and
    beside the long sides that are of it too (a highlight tapers, a stretch of a thick outline or
    a leg runs on into the rest of the shape, a bar ends), and the 90th percentile of the inside's
    distance from the colour. None when the rectangle holds no pixel centre."""
    shape = image.shape[:2]
    corners = pixel_corners(frame)
    box = box_of(corners, shape)
    pad = 4
    y0, x0 = max(box.y0 - pad, 0), max(box.x0 - pad, 0)
    y1, x1 = min(box.y1 + pad, shape[0]), min(box.x1 + pad, shape[1])
    crop = image[y0:y1, x0:x1]
    inside = polygon_mask(corners - (x0, y0), crop.shape[:2])
    if not inside.any():
        return None
    grown = cv2.dilate(inside.view(np.uint8), np.ones((7, 7), np.uint8)) > 0
    near = cv2.dilate(inside.view(np.uint8), np.ones((3, 3), np.uint8)) > 0
    ring = grown & ~near
    distance = member_distance(crop, colour, lossy=lossy)
    noise = float(quantile(distance[inside], 0.9))
    member = distance <= _member_tolerance(noise)
    # Each ring pixel's position along the bar: beyond either end, or beside a long side.
    ys, xs = np.mgrid[y0:y1, x0:x1]
    along = (xs - frame.centre[0]) * frame.u[0] + (ys - frame.centre[1]) * frame.u[1]
    spills = [
        float(member[part].mean()) if part.any() else 0.0
        for part in (
            ring & (along < -frame.half_length),
            ring & (along > frame.half_length),
            ring & (np.abs(along) <= frame.half_length),
        )
    ]
    ends = sorted(spills[:2])
    return [float(np.mean(distance[inside] <= _MEMBER)), ends[0], ends[1], spills[2], noise]


def _side_features(image: np.ndarray, frame: Frame, colour: np.ndarray) -> list[float] | None:
    """Per long side, more varied side first: [share stepping away, share uniform, crossings,
    contrast] as bar_score.FEATURES orders them (8 values); None when a side is under 8 samples.
    A bar's sides step away from its colour and cross art; a drawn stripe is bordered by fills
    running along it; a gradient jumps nowhere."""
    shares, uniform, crossings, contrast = [], [], [], []
    lines = [frame.side_points(offset, side=side) for side in (-1, 1) for offset in (2.0, 2.5, 3.0)]
    n = lines[0][0].size
    if n < 8:
        return None
    for near, beside, far in sample_lines(image, lines).reshape(2, 3, n, 3):  # side x (2, 2.5, 3 px out)
        distance = channel_max(np.abs(near - colour))
        shares.append(float(np.mean(distance >= _CONTRAST)))
        contrast.append(float(median(distance)))
        uniform.append(float(np.mean(channel_max(np.abs(beside - median(beside, axis=0))) <= _UNIFORM)))
        jumps = channel_max(np.abs(far[4:] - far[:-4])) >= _JUMP
        crossings.append(float(np.count_nonzero(np.diff(jumps.astype(np.int8)) == 1) + jumps[0]))
    a, b = np.argsort(uniform, kind="stable")
    return [shares[a], shares[b], uniform[a], uniform[b], crossings[a], crossings[b], contrast[a], contrast[b]]


def _junction_features(
    image: np.ndarray, frame: Frame, *, colour: np.ndarray, noise: float, lossy: bool
) -> list[float]:
    """[corner spill, longest spill run]: where strokes of the bar's own colour meet its long
    sides (1.5 px out). A side of an outlined box or a panel border turns a corner into the
    next side at its ends (the share of the bar colour beside a long side within one thickness
    of an end, the largest of the four corners); an arm of a plus sign or a cross is crossed by
    the other arm (the longest run of the bar colour along a side, in thicknesses). A censor bar
    meets drawn strokes of its colour only where the art has them."""
    tol = _member_tolerance(noise)
    thick = max(2 * frame.half_width, 1.0)
    reach = max(2, int(round(thick)))
    lines = [frame.side_points(1.5, side=side) for side in (-1, 1)]
    corner, run = 0.0, 0.0
    for near in sample_lines(image, lines).reshape(2, lines[0][0].size, 3):
        member = member_distance(near, colour, lossy=lossy) <= tol
        corner = max(corner, float(member[:reach].mean()), float(member[-reach:].mean()))
        edges = np.diff(np.concatenate([[0], member.astype(np.int8), [0]]))
        starts, stops = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
        if starts.size:
            run = max(run, float((stops - starts).max()) / thick)
    return [corner, run]


def member_distance(values: np.ndarray, colour: np.ndarray, *, lossy: bool) -> np.ndarray:
    """float32 (...): how far RGB ``values`` (... x 3; float32, or an RGB uint8 image) lie from
    ``colour`` (3,): the largest channel difference, or with ``lossy`` the largest absolute
    difference of luma and weighted chroma (_MEMBER_MATRIX). Lossless art keeps the stricter
    RGB test: a pale tint beside a white bar differs from it mostly in one channel, as JPEG's
    chroma error does."""
    if not lossy:
        if values.dtype == np.uint8:
            return colour_distance(values, np.asarray(colour, np.float32))
        return channel_max(np.abs(values - colour))
    difference = values.astype(np.float32) - np.asarray(colour, np.float32)
    return channel_max(np.abs(difference @ _MEMBER_MATRIX.T))


def _member_tolerance(noise: float) -> float:
    """How far from the bar colour a pixel outside the bar still counts as of it, from the
    inside's noise (its 90th-percentile distance): exact in PNG (a white bar ends against light
    grey art), a few levels in JPEG."""
    return float(np.clip(3 * noise + 8, 10, _MEMBER))


def place(image: np.ndarray, frame: Frame) -> Bar | None:
    """The solid bar on ``frame`` (its sides already near the bar's) if it passes the hard tests,
    unscored: for frames another detector proposes (kintsugi.detect.barnet)."""
    candidate = _candidate(image, frame, from_lines=False)
    return None if candidate is None else candidate.bar
