"""Translucent censor bars: a flat colour at constant opacity over the art.

out = a*c + (1-a)*art: the art is still there, dimmed toward c. Across each side, the pixel just
inside relates to the pixel just outside as in = k*out + b with k = 1 - a and b = a*c (the art
is continuous over the two pixels between them; kintsugi.detect.translucent.blend).

Candidates: frames between pairs of long parallel straight edges (rects.line_frames), and frames
grown from one straight edge, their other side searched 5-64 px away with the blend fitted over
both sides at once (kintsugi.detect.translucent.grow): the step across a bar's edge is
a*(c - art), so it changes sign and vanishes where the art is near c, and the edge detectors
often find one side whole and the other in stubs, or pair it with an art line a pixel or three
off. Each candidate is fitted (one k for the three channels, 0.15 <= k <= 0.9, over outside
samples that vary), its long sides moved to where that blend explains the step across them best
(its sides then lie on pixel boundaries: the mask is the bar's pixels), its ends to where the
blend stops holding. What passes the hard tests (9-64 px thick, bar-shaped, off the border, a
blend around its whole perimeter with 0.1 <= k <= 0.95) is scored by a small perceptron
ensemble (kintsugi.detect.bar_score, TRANSLUCENT_FEATURES: how much of the perimeter's steps
the blend explains and contradicts, its residual against the variation it explains, whether
every pixel inside un-blends to 0-255, how many sharp art edges run into it), fitted on
training art with synthetic translucent bars and drawn page structures (kintsugi.training.
bar_score --kind translucent). Where candidates overlap, the best scoring is kept.

Not found: bars whose whole perimeter lies over one flat colour (a bar laid over a flat fill,
or over art with paper all around it: one outside colour does not fix k, and a drawn box looks
the same), bars whose sides run along art of about the bar's colour nearly all the way (a white
bar on white paper: nothing says where those sides are), bars under 9 px thick, opacities
outside 0.05-0.9 (and seldom outside 0.15-0.85: the score was fitted on 0.3-0.8), and bars
neither of whose long sides the edge detectors find as a straight edge. JPEG (q85) noise near
the edges leaves larger residuals, and fewer bars are found there than in lossless images.
Still flagged now and then: drawn translucent-looking bands (drop shadows, bevels, glass
highlights); a darker band over smooth shading is one blend, and can be taken for a bar.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kintsugi.detect import bar_score
from kintsugi.detect.rects import (
    MAX_THICK,
    MIN_ASPECT,
    Bar,
    Frame,
    Lines,
    box_of,
    duplicate,
    line_frames,
    run_through_middle,
    sample_lines,
    straight_lines,
    touches_border,
)
from kintsugi.detect.translucent.blend import (
    GAP,
    Blend,
    crossings,
    fit_blend,
    gains,
    out_of_range,
    perimeter_samples,
    refine_ends,
    refine_sides,
    sides_samples,
    support,
)
from kintsugi.detect.translucent.grow import grown_frames

__all__ = ["TranslucentCandidate", "find_translucent_bars", "translucent_candidates"]

_MIN_K, _MAX_K = 0.15, 0.9
_MAX_FINAL_K = 0.85  # opacity >= 0.15 once the whole perimeter is fitted
# Residual (levels) of a candidate's fit while it is placed: art that varies a lot between the
# two samples leaves a large one.
_MAX_FIT_RMS = 20.0
_MIN_SPREAD = 12.0  # std of the outside samples (max over channels): art that varies
# The perimeter's fit of a kept candidate: k this far from 0 and 1 (un-blending divides by k;
# past 0.95 nothing is laid over the art).
_FINAL_K_RANGE = (0.1, 0.95)
# Thinner candidates are mostly drawn double lines and bevels, which fit a blend as well as a
# bar does.
_MIN_WIDTH = 9.0
_UNDECIDED = 6.0  # levels: a step and residual both under this say nothing (art near c)


@dataclass(frozen=True)
class TranslucentCandidate:
    """A placed frame that passed the hard tests, and its evidence
    (kintsugi.detect.bar_score.TRANSLUCENT_FEATURES)."""

    bar: Bar
    features: np.ndarray


def find_translucent_bars(
    image: np.ndarray, frames: list[Frame] | None = None, *, lines: list[Lines] | None = None
) -> list[Bar]:
    """Translucent bars in ``image`` (RGB uint8 HxWx3); see the module docstring. ``frames``
    (line_frames(image)) and ``lines`` (straight_lines(image)): when the caller has them already."""
    limit = bar_score.threshold("translucent")
    candidates = translucent_candidates(image, frames, lines=lines)
    scored = [(bar_score.score(c.features, kind="translucent"), c.bar) for c in candidates]
    # Best scoring first: where candidates overlap, the likeliest is kept.
    bars: list[Bar] = []
    for value, bar in sorted(scored, key=lambda s: -s[0]):
        if value >= limit and not duplicate(bar, bars, image.shape[:2]):
            bars.append(bar)
    return bars


def translucent_candidates(
    image: np.ndarray, frames: list[Frame] | None = None, *, lines: list[Lines] | None = None
) -> list[TranslucentCandidate]:
    """Every frame (pairs of straight edges, and frames grown from one edge) that a blend places
    and that passes the hard tests (a blend along its long sides, 9-64 px thick, bar-shaped, off
    the image border, a perimeter fit with 0.1 <= k <= 0.95), with its features."""
    lines = straight_lines(image) if lines is None else lines
    pairs = line_frames(image, lines) if frames is None else frames
    starts: list[tuple[Frame, Blend | None, bool]] = [(f, None, False) for f in pairs]
    starts += [(f, b, True) for f, b in grown_frames(image, lines, accept=_blend_ok)]
    found = (_candidate(image, frame, blend=blend, grown=grown) for frame, blend, grown in starts)
    return [c for c in found if c is not None]


def _blend_ok(blend: Blend | None) -> bool:
    return (
        blend is not None and _MIN_K <= blend.k <= _MAX_K and blend.rms <= _MAX_FIT_RMS and blend.spread >= _MIN_SPREAD
    )


def _long_sides_blend(image: np.ndarray, frame: Frame, *, gap: float) -> Blend | None:
    return fit_blend(*sides_samples(image, [frame], gap=gap))


def _candidate(image: np.ndarray, frame: Frame, *, blend: Blend | None, grown: bool) -> TranslucentCandidate | None:
    """The candidate on ``frame`` (its long sides near the bar's, its ends anywhere), or None.
    ``blend``: the blend fitted while growing the frame."""
    if blend is None:
        # 1.5 px either side: a frame's sides may sit a pixel off the bar's.
        blend = _long_sides_blend(image, frame, gap=1.5)
        if not _blend_ok(blend):
            return None
    frame = refine_sides(image, frame, blend, reach=3.0)
    blend = _long_sides_blend(image, frame, gap=GAP)
    if not _blend_ok(blend):
        return None
    frame = refine_ends(image, _ends(image, frame, blend), blend, reach=4.0)
    if not (_MIN_WIDTH <= 2 * frame.half_width <= MAX_THICK) or frame.half_length < MIN_ASPECT * frame.half_width:
        return None
    # The sides sit on pixel boundaries (refine_sides samples 1 px either side of them), so the
    # frame's corners enclose the bar's pixels exactly.
    corners = frame.corners()
    if touches_border(corners, image.shape[:2]):
        return None
    inside, outside = perimeter_samples(image, frame)
    final = fit_blend(inside, outside)
    if final is None or not (_FINAL_K_RANGE[0] <= final.k <= _FINAL_K_RANGE[1]):
        return None
    same, err = gains(inside, outside, final)
    explained, contradicted = support(same, err)
    count = crossings(frame, outside)
    perimeter = 4 * (frame.half_length + frame.half_width)
    features = np.array(
        [
            final.k,
            final.rms,
            final.rms / max(final.k * final.spread, 1e-3),
            final.spread,
            same.mean(),
            explained,
            contradicted,
            out_of_range(image, frame, final),
            count,
            100 * count / perimeter,
            2 * frame.half_width,
            float(grown),
            blend.rms,
            abs(blend.k - final.k),
            float(_blend_ok(final) and final.k <= _MAX_FINAL_K),
        ],
        np.float64,
    )
    return TranslucentCandidate(_bar(corners, final, image.shape[:2]), features)


def _ends(image: np.ndarray, frame: Frame, blend: Blend) -> Frame:
    """Move the short sides to where the blend relation across the long sides starts and stops
    holding: it explains in from out better than in = out does (the art continuing unchanged).
    Where both are small on both sides (art near the bar's colour) nothing is said either way."""
    reach = 2 * frame.half_width + 40 + frame.half_length
    t = np.arange(-frame.half_length - reach, frame.half_length + reach + 1e-6, 1.0)
    lines = []
    for side in (-1, 1):
        for offset in (side * (frame.half_width - GAP), side * (frame.half_width + GAP)):
            points = frame.centre + t[:, None] * frame.u + offset * frame.v
            lines.append((points[:, 0], points[:, 1]))
    vote = np.zeros(t.size)
    for inside, outside in sample_lines(image, lines).reshape(2, 2, t.size, 3):  # side x (in, out)
        same, err = gains(inside, outside, blend)
        decided = np.maximum(same, err) >= _UNDECIDED
        vote += np.where(decided, np.where(err < same, 1.0, -1.0), 0.0)
    # Smooth over 5 samples, then take the run through the middle.
    holds = np.convolve((vote >= 0).astype(np.float32), np.ones(5) / 5, mode="same") >= 0.5
    return run_through_middle(frame, t, holds)


def place(image: np.ndarray, frame: Frame) -> TranslucentCandidate | None:
    """The candidate on ``frame`` (its sides near the bar's) if a blend places it and it passes
    the hard tests: for frames another detector proposes (kintsugi.detect.barnet)."""
    return _candidate(image, frame, blend=None, grown=False)


def blend_around(image: np.ndarray, frame: Frame) -> Bar | None:
    """A translucent bar on ``frame`` (its corners on the outermost pixels' centres), with the
    blend fitted round its perimeter, when that fit is a plausible bar (0.1 <= k <= 0.95): its
    colour and opacity for un-blending."""
    corners = frame.corners()
    if touches_border(corners, image.shape[:2]):
        return None
    # Samples half a pixel past the corners' edges, which run through the outermost pixels' centres.
    final = fit_blend(*perimeter_samples(image, frame, gap=GAP + 0.5))
    if final is None or not (_FINAL_K_RANGE[0] <= final.k <= _FINAL_K_RANGE[1]):
        return None
    return _bar(corners, final, image.shape[:2])


def _bar(corners: np.ndarray, blend: Blend, shape: tuple[int, int]) -> Bar:
    """The translucent bar over ``corners`` with the colour and opacity of ``blend``."""
    opacity = 1.0 - blend.k
    colour = np.clip(blend.b / max(opacity, 1e-3), 0, 255)
    return Bar("translucent", corners, box_of(corners, shape), tuple(float(c) for c in colour), opacity)
