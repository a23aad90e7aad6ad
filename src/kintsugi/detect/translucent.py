"""Translucent censor bars: a flat colour at constant opacity over the art.

out = a*c + (1-a)*art: the art is still there, dimmed toward c. Across each
long side, the pixel just inside relates to the pixel just outside as in = k*out + b with
k = 1 - a and b = a*c (the art is continuous over the few pixels between them), so a pair of
long parallel straight edges (Hough segments 6-60 px apart) is a translucent bar when both
sides fit one such relation with 0.15 <= k <= 0.9 and small residual, over art that varies
enough to fit it. The bar's ends are where that relation stops holding.

Not found: translucent bars over flat or very dark art on either side (nothing to fit k to),
opacities outside 0.1-0.85, and bars whose sides Hough does not find as long straight edges.
"""

from __future__ import annotations

import numpy as np

from kintsugi.detect.rects import (
    Bar,
    Frame,
    box_of,
    duplicate,
    line_frames,
    run_through_middle,
    sample,
    snap_ends,
    touches_border,
)

# Translucent bars: fit in = k*out + b across both long sides.
_MIN_K, _MAX_K = 0.15, 0.9
_MAX_FIT_RMS = 10.0
_MIN_OUT_STD = 12.0
_K_AGREE, _B_AGREE = 0.12, 20.0
# Sides over varying art needed to fit the blend (1 finds bars along flat backgrounds too, and
# false ones in JPEG ringing along flat fills).
_MIN_INFORMATIVE = 2


def find_translucent_bars(image: np.ndarray, frames: list[Frame] | None = None) -> list[Bar]:
    """Translucent bars in ``image`` (RGB uint8 HxWx3); see the module docstring. ``frames``:
    line_frames(image), when the caller has them already."""
    shape = image.shape[:2]
    bars: list[Bar] = []
    for frame in line_frames(image) if frames is None else frames:
        bar = _translucent_bar(image, frame)
        if bar is not None and not touches_border(bar.corners, shape) and not duplicate(bar, bars, shape):
            bars.append(bar)
    return bars


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


def _translucent_bar(image: np.ndarray, frame: Frame) -> Bar | None:
    """A translucent bar between two parallel edges, or None. A side over art that varies
    (colour std >= _MIN_OUT_STD) fixes in = k*out + b; a side over flat art must agree with it."""
    pairs = []
    for side in (-1, 1):
        inside = sample(image, *frame.side_points(-1.5, side=side))
        outside = sample(image, *frame.side_points(1.5, side=side))
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
    frame = snap_ends(image, _ends(image, frame, k=k, b=b), reach=6.0)
    # The frame's own corners, a pixel past the outermost bar pixels: repair.unblend_censor
    # decides that rim pixel by pixel (un-blended or kept), so no blended pixel is left behind.
    corners = frame.corners()
    return Bar("translucent", corners, box_of(corners, image.shape[:2]), tuple(float(c) for c in colour), opacity)


def _ends(image: np.ndarray, frame: Frame, *, k: float, b: np.ndarray) -> Frame:
    """Move the short sides to where the blend relation across the long sides starts and stops
    holding: it explains in from out better than in = out does (the art continuing unchanged)."""
    reach = 2 * frame.half_width + 40
    t = np.arange(-frame.half_length - reach, frame.half_length + reach + 1e-6, 1.0)
    holds = np.zeros(t.size, bool)
    for side in (-1, 1):
        pin = frame.centre + t[:, None] * frame.u + (side * (frame.half_width - 1.5)) * frame.v
        pout = frame.centre + t[:, None] * frame.u + (side * (frame.half_width + 1.5)) * frame.v
        inside, outside = sample(image, pin[:, 0], pin[:, 1]), sample(image, pout[:, 0], pout[:, 1])
        blend = np.abs(inside - (k * outside + b)).max(axis=-1)
        same = np.abs(inside - outside).max(axis=-1)
        holds |= blend < same
    # Smooth over 5 samples, then take the run through the middle.
    smooth = np.convolve(holds.astype(np.float32), np.ones(5) / 5, mode="same") >= 0.5
    return run_through_middle(frame, t, smooth)
