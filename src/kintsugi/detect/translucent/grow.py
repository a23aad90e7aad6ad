"""Frames grown from one long side: where the second side was not found as a straight edge.

A bar's edge vanishes where the art beside it is near the bar's colour, and changes sign where
the art turns from darker to brighter than it, so the edge detectors often find one long side
whole and the other in stubs, or pair it with an art line a few pixels off. From each long
straight edge with a visible step across it, the other side is searched 5-64 px away on either
side: at each distance the blend is fitted over both sides at once (the seed side alone may run
along flat paper, which says nothing about k), and the distance kept is the one whose fit
explains the step across the far side best.
"""

from __future__ import annotations

import numpy as np

from kintsugi.detect.rects import MAX_THICK, MIN_THICK, Frame, Lines, sample_across, sample_lines
from kintsugi.detect.stats import channel_max
from kintsugi.detect.translucent.blend import PLACE_GAP, Blend, fit_blends

_MIN_LENGTH = 20.0
_MAX_SEEDS = 40  # the longest lines with a visible step; each costs one search over 60 widths
_STEP = 2.0  # px between samples along a seed line
_MIN_STEP = 8.0  # mean step across a seed line
_WIDTHS_TRIED = 8


def grown_frames(image: np.ndarray, lines: list[Lines], *, accept) -> list[tuple[Frame, Blend]]:
    """(frame, blend) grown from the longest straight lines in ``lines`` (straight_lines(image)),
    on either side of each, where the joint fit at the best far side is one ``accept`` takes."""
    seeds = []
    for u, rho, extent in lines:
        for j in np.flatnonzero(extent[:, 1] - extent[:, 0] >= _MIN_LENGTH):
            seeds.append((extent[j, 1] - extent[j, 0], u[j], rho[j], extent[j]))
    seeds.sort(key=lambda s: -s[0])
    out: list[tuple[Frame, Blend]] = []
    tried = 0
    for _, u, rho, extent in seeds:
        v = np.array([-u[1], u[0]])
        t = np.arange(extent[0], extent[1] + 1e-6, _STEP)
        base = t[:, None] * u + rho * v
        near, far = np.split(sample_lines(image, [(base + PLACE_GAP * v).T, (base - PLACE_GAP * v).T]), 2)
        if channel_max(np.abs(near - far)).mean() < _MIN_STEP:
            continue  # no visible edge here
        tried += 1
        for side in (-1, 1):
            inside, outside = (near, far) if side > 0 else (far, near)
            found = far_side(image, base, side * v, inside, outside, accept=accept)
            if found is not None:
                width, blend = found
                centre = base.mean(axis=0) + side * v * width / 2
                out.append((Frame(centre, u, side * v, (extent[1] - extent[0]) / 2, width / 2), blend))
        if tried >= _MAX_SEEDS:
            break
    return out


def far_side(
    image: np.ndarray, base: np.ndarray, v: np.ndarray, inside: np.ndarray, outside: np.ndarray, *, accept
) -> tuple[float, Blend] | None:
    """(width, blend): the distance from the seed line (points ``base``, N x 2, samples across it
    ``inside`` and ``outside``) along ``v`` (into the bar) of the parallel line whose joint fit
    with the seed side ``accept`` takes and explains the step across that line best; None when
    no width gives such a fit that explains any step. Inside the bar both samples are blended
    and beyond it neither, so only the true side scores."""
    widths = np.arange(MIN_THICK, MAX_THICK + 1e-6, 1.0)
    # Lines 1 px apart from the first width's inner sample to the last's outer one: width i is
    # sampled inside on line i and outside on line i + 2 PLACE_GAP (a whole number of px).
    lines = sample_across(image, base, v, np.arange(MIN_THICK - PLACE_GAP, MAX_THICK + PLACE_GAP + 1e-6, 1.0))
    far_in_all, far_out_all = lines[: widths.size], lines[int(2 * PLACE_GAP) :]  # widths x N x 3
    # The fit is tried only at the widths with the largest steps across (the far side is an
    # edge wherever the art is not near the bar's colour): a few fits instead of 120.
    steps = channel_max(np.abs(far_in_all - far_out_all)).mean(axis=-1)
    picks = np.sort(np.argsort(-steps)[:_WIDTHS_TRIED])
    far_in, far_out = far_in_all[picks], far_out_all[picks]  # P x N x 3
    all_in = np.concatenate([np.broadcast_to(inside, far_in.shape), far_in], axis=1)
    all_out = np.concatenate([np.broadcast_to(outside, far_out.shape), far_out], axis=1)
    k, b, rms, spread, _ = fit_blends(all_in, all_out)
    err = channel_max(np.abs(far_in - (k[:, None, None] * far_out + b[:, None, :])))
    same = channel_max(np.abs(far_in - far_out))
    score = (same - err).mean(axis=-1)
    blends = [Blend(float(k[p]), b[p], float(rms[p]), float(spread[p])) for p in range(picks.size)]
    score[~np.array([accept(blend) for blend in blends])] = -np.inf
    best = int(np.argmax(score))
    if not np.isfinite(score[best]) or score[best] <= 2.0:
        return None
    return float(widths[picks[best]]), blends[best]
