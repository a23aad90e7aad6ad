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
blend stops holding, and it is kept when, around its whole perimeter, the blend explains most
visible steps and contradicts few, leaves a small residual against the variation it explains,
un-blends every pixel inside to 0-255, and at least three sharp art edges run into it. Where
candidates overlap, the best explained is kept.

Not found: bars whose whole perimeter lies over one flat colour (a bar laid over a flat fill,
or over art with paper all around it: one outside colour does not fix k, and a drawn box looks
the same), bars whose sides run along art of about the bar's colour nearly all the way (a white
bar on white paper: nothing says where those sides are), bars under 9 px thick, opacities
outside 0.15-0.85, bars over smooth shading (no art edges run into them), and bars neither of
whose long sides the edge detectors find as a straight edge. JPEG (q85) noise near the edges
fails the residual tests far more often than lossless images do. Still flagged: drawn
translucent-looking bands with art crossing them (drop shadows, bevels, glass highlights).
"""

from __future__ import annotations

import numpy as np

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

__all__ = ["find_translucent_bars"]

_MIN_K, _MAX_K = 0.15, 0.9
_MAX_FINAL_K = 0.85  # opacity >= 0.15 once the whole perimeter is fitted
# Residual (levels) of a candidate's fit while it is placed (art that varies a lot between the
# two samples leaves a large one) and of the final fit around the whole perimeter.
_MAX_FIT_RMS = 20.0
_MAX_FINAL_RMS = 10.0
_MIN_SPREAD = 12.0  # std of the outside samples (max over channels): art that varies
_MIN_STEP = 8.0  # mean step across the sides: a bar changes what it covers
# The final test, around the whole perimeter (thresholds chosen on validation images 100-195,
# PNG: none of their clean images flagged; drawn shading bands and double outlines are what
# passes looser ones): the shares of the samples whose visible step the blend explains (at
# least) and contradicts (at most); the residual against the variation the fit explains
# (rms / (k * spread)); the share of pixels that do not un-blend to 0-255.
_MIN_EXPLAINED = 0.5
_MAX_CONTRADICTED = 0.1
_MAX_RELATIVE_RMS = 0.3
_MAX_OUT_OF_RANGE = 0.02
_MIN_CROSSINGS = 3  # art edges running into the bar (censors cover drawn detail)
# Thinner candidates are mostly drawn double lines and bevels, which fit a blend as well as a
# bar does.
_MIN_WIDTH = 9.0
_UNDECIDED = 6.0  # levels: a step and residual both under this say nothing (art near c)


def find_translucent_bars(
    image: np.ndarray, frames: list[Frame] | None = None, *, lines: list[Lines] | None = None
) -> list[Bar]:
    """Translucent bars in ``image`` (RGB uint8 HxWx3); see the module docstring. ``frames``
    (line_frames(image)) and ``lines`` (straight_lines(image)): when the caller has them already."""
    shape = image.shape[:2]
    lines = straight_lines(image) if lines is None else lines
    pairs = line_frames(image, lines) if frames is None else frames
    candidates: list[tuple[Frame, Blend | None]] = [(f, None) for f in pairs]
    candidates += grown_frames(image, lines, accept=_blend_ok)
    scored = [_translucent_bar(image, frame, blend=blend) for frame, blend in candidates]
    # Best explained first: where candidates overlap, the one placed best is kept.
    bars: list[Bar] = []
    for _, bar in sorted((s for s in scored if s is not None), key=lambda s: -s[0]):
        if not touches_border(bar.corners, shape) and not duplicate(bar, bars, shape):
            bars.append(bar)
    return bars


def _blend_ok(blend: Blend | None) -> bool:
    return (
        blend is not None and _MIN_K <= blend.k <= _MAX_K and blend.rms <= _MAX_FIT_RMS and blend.spread >= _MIN_SPREAD
    )


def _long_sides_blend(image: np.ndarray, frame: Frame, *, gap: float) -> Blend | None:
    return fit_blend(*sides_samples(image, [frame], gap=gap))


def _translucent_bar(image: np.ndarray, frame: Frame, *, blend: Blend | None) -> tuple[float, Bar] | None:
    """(score, bar): a translucent bar on ``frame`` (its long sides near the bar's, its ends
    anywhere) and the share of its perimeter the blend explains; or None. ``blend``: the blend
    fitted while growing the frame."""
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
    inside, outside = perimeter_samples(image, frame)
    final = fit_blend(inside, outside)
    if not _blend_ok(final) or final.k > _MAX_FINAL_K or final.rms > _MAX_FINAL_RMS:
        return None
    if final.rms > _MAX_RELATIVE_RMS * final.k * final.spread:
        return None  # the fit leaves much of what it should explain
    same, _ = gains(inside, outside, final)
    if same.mean() < _MIN_STEP:
        return None  # no step at all
    explained, contradicted = support(image, frame, final)
    if explained < _MIN_EXPLAINED or contradicted > _MAX_CONTRADICTED:
        return None
    if out_of_range(image, frame, final) > _MAX_OUT_OF_RANGE or crossings(image, frame) < _MIN_CROSSINGS:
        return None
    opacity = 1.0 - final.k
    colour = np.clip(final.b / max(opacity, 1e-3), 0, 255)
    # The sides sit on pixel boundaries (refine_sides samples 1 px either side of them), so the
    # frame's corners enclose the bar's pixels exactly.
    corners = frame.corners()
    bar = Bar("translucent", corners, box_of(corners, image.shape[:2]), tuple(float(c) for c in colour), opacity)
    return explained, bar


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
