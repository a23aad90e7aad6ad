"""The blend relation across a translucent bar's edge, and where along a frame it holds.

Just inside an edge the image is k*art + b (k = 1 - opacity, b = opacity*colour); just outside
it is the art itself, and the art is continuous over the two pixels between them, so
in = k*out + b with one k for all three channels. Samples sit 1 px either side of an edge on
a pixel boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kintsugi.detect.rects import Frame, polygon_pixels, sample_lines, sample_sides_across
from kintsugi.detect.stats import channel_max, quantile

# Samples this far either side of an edge for fits and tests: JPEG's half-resolution chroma
# blurs a colour edge over about 2 px either side.
GAP = 1.0
# Sides are placed with samples 1 px either side (each the mean of two pixels on one side of an
# edge on a pixel boundary): the blend explains that step best only on the boundary itself.
PLACE_GAP = 1.0
_TRIM = 0.8  # the fit keeps the best 80% of pairs (art edges between the samples are outliers)


@dataclass(frozen=True)
class Blend:
    """in = k*out + b: ``k`` (shared), ``b`` (3,), the trimmed ``rms`` (max over channels) and the
    ``spread`` of the kept outside samples (std, max over channels): how well art that varies
    pins k down."""

    k: float
    b: np.ndarray
    rms: float
    spread: float


def swapped(frame: Frame) -> Frame:
    """The frame with its long and short axes exchanged: its ends become "long sides"."""
    return Frame(frame.centre, frame.v, frame.u, frame.half_width, frame.half_length)


def sides_samples(image: np.ndarray, frames: list[Frame], *, gap: float = GAP) -> tuple[np.ndarray, np.ndarray]:
    """(inside, outside) across both long sides of each of ``frames``, concatenated (frame by
    frame, side -1 then +1), in one sampling call."""
    lines = [f.side_points(sign * gap, side=s) for sign in (-1, 1) for f in frames for s in (-1, 1)]
    inside, outside = np.split(sample_lines(image, lines), 2)  # as many points inside as out
    return inside, outside


def perimeter_samples(image: np.ndarray, frame: Frame, *, gap: float = GAP) -> tuple[np.ndarray, np.ndarray]:
    """(inside, outside) across all four sides, concatenated."""
    return sides_samples(image, [frame, swapped(frame)], gap=gap)


def fit_blend(inside: np.ndarray, outside: np.ndarray) -> Blend | None:
    """Fit in = k*out + b over N x 3 pairs (fit_blends on one set). None when there are too
    few pairs or the outside does not vary at all."""
    if inside.shape[0] < 16:
        return None
    k, b, rms, spread, varies = fit_blends(inside[None], outside[None])
    if not varies[0]:
        return None
    return Blend(float(k[0]), b[0], float(rms[0]), float(spread[0]))


def fit_blends(inside: np.ndarray, outside: np.ndarray) -> tuple[np.ndarray, ...]:
    """Fit in = k*out + b (k shared, b per channel) for W sets of M x 3 pairs at once (W x M x 3),
    trimmed: the worst fifth of the pairs is dropped and the fit repeated. Returns k (W,), b
    (W x 3), the trimmed rms (W,), the spread of the kept outside samples (W,) and whether the
    outside varies at all (W, bool; where not, k is 1)."""
    # Contiguous, so that each sum over the pairs adds them in one order (as over a product).
    inside, outside = np.ascontiguousarray(inside), np.ascontiguousarray(outside)
    count = np.full((inside.shape[0], 1), max(inside.shape[1], 1), np.float32)  # W x 1
    k, b, _, _ = _fit_once(inside, outside, count, None)
    err = _residual(inside, outside, k, b)
    keep = err <= quantile(err, _TRIM, axis=1, keepdims=True)
    w = keep[..., None].astype(np.float32)
    count = np.maximum(w.sum(axis=1), 1)
    k, b, oc, varies = _fit_once(inside, outside, count, w)
    err = _residual(inside, outside, k, b)
    rms = np.sqrt((err**2 * keep).sum(axis=1) / np.maximum(keep.sum(axis=1), 1))
    spread = channel_max(np.sqrt((oc * oc).sum(axis=1) / count))
    return k, b, rms, spread, varies


def _fit_once(
    inside: np.ndarray, outside: np.ndarray, count: np.ndarray, w: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(k, b, the centred outside samples (W x M x 3, 0 where dropped), varies) over the pairs of
    weight ``w`` (W x M x 1 of 0 or 1; None: all), ``count`` (W x 1) of them."""
    if w is not None:
        inside_w, outside_w = inside * w, outside * w
    else:
        inside_w, outside_w = inside, outside
    o_mean, i_mean = outside_w.sum(axis=1) / count, inside_w.sum(axis=1) / count
    oc, ic = outside - o_mean[:, None], inside - i_mean[:, None]
    if w is not None:
        oc, ic = oc * w, ic * w
    denom = (oc * oc).sum(axis=(1, 2))
    # Reduced major axis, not least squares: the art varies between the two samples, and that
    # noise enters "in" scaled by k just as the signal does, so k = std(in) / std(out) is
    # unbiased where least squares shrinks k (and overstates the opacity).
    k = np.sign((oc * ic).sum(axis=(1, 2))) * np.sqrt((ic * ic).sum(axis=(1, 2)) / np.maximum(denom, 1e-6))
    varies = denom > 1e-6
    k[~varies] = 1.0
    return k, i_mean - k[:, None] * o_mean, oc, varies


def _residual(inside: np.ndarray, outside: np.ndarray, k: np.ndarray, b: np.ndarray) -> np.ndarray:
    """W x M: |in - (k*out + b)|, max over channels."""
    return channel_max(np.abs(inside - (k[:, None, None] * outside + b[:, None])))


def gains(inside: np.ndarray, outside: np.ndarray, blend: Blend) -> tuple[np.ndarray, np.ndarray]:
    """(same, err) per pair: the step |in - out| (the art continuing unchanged) and the blend's
    residual |in - (k*out + b)|, max over channels."""
    same = channel_max(np.abs(inside - outside))
    err = channel_max(np.abs(inside - (blend.k * outside + blend.b)))
    return same, err


def best_offsets(image: np.ndarray, frame: Frame, blend: Blend, *, reach: float) -> tuple[float, float]:
    """The outward offsets (within ``reach``, 0.5 px steps) of the long sides (-1, +1) where the
    blend explains the step across each best: the largest mean of same - err. Inside the bar
    both samples are blended and beyond it neither is, so the blend only wins on the edge."""
    offsets = np.arange(-reach, reach + 1e-6, 0.5)
    shifts = offsets[:, None] + np.array([-PLACE_GAP, PLACE_GAP])[None, :]  # offsets x (in, out)
    samples = sample_sides_across(image, frame, shifts)  # 2 sides x offsets x 2 x n x 3
    if samples.shape[3] == 0:
        return 0.0, 0.0
    same, err = gains(samples[:, :, 0], samples[:, :, 1], blend)
    low, high = (float(offsets[int(np.argmax(score))]) for score in (same - err).mean(axis=-1))
    return low, high


def refine_sides(image: np.ndarray, frame: Frame, blend: Blend, *, reach: float) -> Frame:
    """Both long sides moved to where the blend explains their step best."""
    low, high = best_offsets(image, frame, blend, reach=reach)
    half_width = frame.half_width + (low + high) / 2
    if half_width < 2.5:
        return frame
    return Frame(frame.centre + frame.v * (high - low) / 2, frame.u, frame.v, frame.half_length, half_width)


def refine_ends(image: np.ndarray, frame: Frame, blend: Blend, *, reach: float) -> Frame:
    """refine_sides for the two short sides."""
    return swapped(refine_sides(image, swapped(frame), blend, reach=reach))


def support(same: np.ndarray, err: np.ndarray) -> tuple[float, float]:
    """(explained, contradicted) from the perimeter's gains (``gains`` over perimeter_samples):
    the shares of its samples with a visible step (>= 8 levels) that the blend explains
    (residual under half the step and under 12 levels) and of those with a clear step (>= 16
    levels: JPEG noise leaves smaller ones half unexplained) that it does not (residual over
    half the step). Art of about the bar's colour leaves no step and counts for neither."""
    explained = (same >= 8) & (err < 0.5 * same) & (err < 12)
    contradicted = (same >= 16) & (err >= 0.5 * same)
    n = max(same.size, 1)
    return np.count_nonzero(explained) / n, np.count_nonzero(contradicted) / n


def out_of_range(image: np.ndarray, frame: Frame, blend: Blend) -> float:
    """Share of the pixels a pixel inside the frame whose un-blended value (in - b) / k falls
    outside 0-255 (by more than 6 levels plus 6 / k: un-blending scales JPEG noise by 1 / k):
    under a true bar every pixel un-blends to some art."""
    inner = Frame(frame.centre, frame.u, frame.v, max(frame.half_length - 1, 0.5), max(frame.half_width - 1, 0.5))
    pixels = polygon_pixels(image, inner.corners()).astype(np.float32)
    if pixels.size == 0:
        return 1.0
    art = (pixels - blend.b) / blend.k
    margin = 6 + 6 / blend.k
    return float(np.mean(((art < -margin) | (art > 255 + margin)).any(axis=-1)))


def crossings(frame: Frame, outside: np.ndarray, *, jump: float = 24.0) -> int:
    """Sharp art edges running into the frame: runs of its perimeter's outside samples
    (perimeter_samples(image, frame)[1], GAP px out, side by side) where the colour changes by
    ``jump`` levels over 2 px. Smooth shading has none, and a drawn shading band or bevel fits a
    blend as well as a bar does."""
    count = 0
    # perimeter_samples' order: the long sides (-1, +1), then the ends, each as long as along().
    sizes = [f.along().shape[0] for f in (frame, swapped(frame)) for _ in (-1, 1)]
    for side in np.split(outside, np.cumsum(sizes)[:-1]):
        if side.shape[0] >= 3:
            sharp = channel_max(np.abs(side[2:] - side[:-2])) >= jump
            count += int(sharp[0]) + int(np.count_nonzero(sharp[1:] & ~sharp[:-1]))
    return count
