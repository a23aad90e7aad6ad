"""Candidate shifts for copying texture into a hole: where a hole pixel may copy from.

Shifts in several directions at growing distances, each snapped to the strongest peak of the
known texture's masked autocorrelation near it, so that a regular screen is copied along its
lattice (in phase). Numpy + OpenCV; images RGB uint8 HxWx3, masks bool HxW (True = hole).
"""

from __future__ import annotations

import cv2
import numpy as np

SIGMA = 2.0  # structure / detail boundary (the benchmark's too)


def lowpass(a: np.ndarray) -> np.ndarray:
    """The sigma-2 Gaussian blur that separates structure from detail (float arrays)."""
    return cv2.GaussianBlur(a, (0, 0), SIGMA)


def autocorrelation(hp: np.ndarray, weight: np.ndarray, *, max_shift: int) -> np.ndarray:
    """Normalised autocorrelation of a high-pass luma image hp (HxW float32) over the pixels
    where weight (HxW float32, 0/1) is set, at the shifts up to ``max_shift`` (M) each way:
    (2M+1)x(2M+1) float32, centre [M, M] = shift 0; shifts past the image are 0.

    Masked correlation via FFT: sum of hp(p)hp(p+o) over pairs both known, divided by the
    pairs' count and the texture's variance. Only the window is kept: the full (2H-1)x(2W-1)
    array cost more to shift and divide than the transforms themselves.
    """
    h, w = hp.shape
    m = int(max_shift)
    fh = cv2.getOptimalDFTSize(h + min(h, m + 1))
    fw = cv2.getOptimalDFTSize(w + min(w, m + 1))
    x = hp * weight
    ry, rx = min(m, h - 1), min(m, w - 1)

    def corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        # OpenCV's float32 real DFT (packed CCS spectra): several times faster than numpy's
        # float64 one here.
        def spectrum(x: np.ndarray) -> np.ndarray:
            padded = np.zeros((fh, fw), np.float32)
            padded[:h, :w] = x
            return cv2.dft(padded, nonzeroRows=h)

        fa = spectrum(a)
        fb = fa if b is a else spectrum(b)
        c = cv2.idft(cv2.mulSpectrums(fa, fb, 0, conjB=True), flags=cv2.DFT_REAL_OUTPUT | cv2.DFT_SCALE)
        # Circular correlation: shift (dy, dx) sits at c[dy mod fh, dx mod fw]; exact while the
        # padding is at least the shift.
        rows = np.arange(-ry, ry + 1) % fh
        cols = np.arange(-rx, rx + 1) % fw
        out = np.zeros((2 * m + 1, 2 * m + 1), np.float32)
        out[m - ry : m + ry + 1, m - rx : m + rx + 1] = c[np.ix_(rows, cols)]
        return out

    num = corr(x, x)
    count = corr(weight, weight)
    var = float((x * x).sum() / max(weight.sum(), 1.0))
    minimum = 0.1 * max(weight.sum(), 1.0)  # too few overlapping pairs: no evidence
    return np.where(count > minimum, num / np.maximum(count, 1.0) / max(var, 1e-6), 0.0).astype(np.float32)


def edge_angles(image: np.ndarray, mask: np.ndarray, *, count: int, ring: int = 6) -> np.ndarray:
    """Up to ``count`` directions (radians, 0-pi) of the strongest edges and lines in the
    known band ``ring`` px wide around the hole: peaks of an orientation histogram (1 degree
    bins, weighted by gradient energy, smoothed), at least 10 degrees apart. Copying along an
    edge's own direction carries it through the hole; the fixed directions miss most angles.
    """
    if count <= 0:
        return np.zeros(0)
    m = mask.astype(np.uint8)
    near = cv2.dilate(m, np.ones((2 * ring + 1, 2 * ring + 1), np.uint8)) > 0
    # Gradients 2 px from the hole are free of its content (the 3x3 Sobel reads 1 px).
    clean = cv2.dilate(m, np.ones((5, 5), np.uint8)) == 0
    band = near & clean
    if not band.any():
        return np.zeros(0)
    luma = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gx = cv2.Sobel(luma, cv2.CV_32F, 1, 0, ksize=3)[band]
    gy = cv2.Sobel(luma, cv2.CV_32F, 0, 1, ksize=3)[band]
    energy = gx * gx + gy * gy
    # The edge runs across its gradient: angle of the gradient + 90 degrees, folded to 0-180.
    along = (np.degrees(np.arctan2(gy, gx)) + 90.0) % 180.0
    hist = np.bincount(np.minimum(along.astype(np.int64), 179), weights=energy, minlength=180)
    hist = np.convolve(np.concatenate([hist[-3:], hist, hist[:3]]), np.ones(7) / 7, mode="same")[3:-3]
    picked: list[int] = []
    floor = 0.1 * float(hist.max())
    for b in np.argsort(-hist, kind="stable"):
        if hist[b] <= floor or len(picked) == count:
            break
        if all(min(abs(b - p), 180 - abs(b - p)) >= 10 for p in picked):
            picked.append(int(b))
    return np.radians(np.array(picked, np.float64) + 0.5)


def candidate_offsets(
    image: np.ndarray,
    mask: np.ndarray,
    *,
    directions: int,
    reach: float,
    snap: float,
    lattice_only: bool = False,
    edge_directions: int = 0,
    peak: float = 0.5,
    screen_detail: float = 0.0,
) -> tuple[np.ndarray, bool]:
    """Shifts (int Kx2, dy dx) a hole pixel may copy from: directions x distances reaching
    past the hole, each snapped to the strongest autocorrelation peak near it; and whether
    the texture is a regular screen (most candidates found a peak). With ``lattice_only``, a
    regular screen keeps only its lattice: a short shift off it copies the screen out of phase.
    ``edge_directions``: that many more directions, along the strongest edges at the hole
    (``edge_angles``), both ways. ``peak``: the autocorrelation a repeat of the texture reaches
    (a rotated screen's lattice falls between pixels, so its peaks at whole shifts are lower).
    ``screen_detail``: the share of known pixels with detail (high-pass beyond 8 levels) a
    regular screen needs: a screen covers its area, flat shapes repeat at many shifts too."""
    h, w = mask.shape
    dist = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5)
    depth = float(dist.max())
    radii: list[float] = []
    r = 3.0
    while r < reach * depth + 8 and r < max(h, w):
        radii.append(r)
        r *= 1.5

    def shifts_along(angles: np.ndarray) -> set[tuple[int, int]]:
        return {(round(rad * np.sin(a)), round(rad * np.cos(a))) for rad in radii for a in angles} - {(0, 0)}

    raw = shifts_along(np.arange(directions) * (2 * np.pi / directions))
    edges = edge_angles(image, mask, count=edge_directions)
    along_edges = shifts_along(np.concatenate([edges, edges + np.pi])) - raw
    luma = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    hp = luma - lowpass(luma)
    # The blur mixes hole content into the pixels next to it: their detail is no evidence.
    ring = cv2.dilate(mask.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    weight = (~ring).astype(np.float32)
    if weight.sum() > 64 and float(hp[~ring].std()) > 2.0:
        m = int(max(radii) * (1 + snap)) + 2
        ac = autocorrelation(hp, weight, max_shift=m)
        out, snapped = _snap(raw, ac, m=m, snap=snap, peak=peak)
        # Whether the texture is a regular screen is the fixed directions' call (the same
        # directions on every picture).
        regular = len(snapped) >= len(out) and float(np.mean(np.abs(hp[~ring]) > 8)) >= screen_detail
        if lattice_only and regular:
            out = snapped  # a screen's lattice; a shift along an edge copies it out of phase
        else:
            out |= snapped
            edge_out, edge_snapped = _snap(along_edges, ac, m=m, snap=snap, peak=peak)
            out |= edge_out | edge_snapped
    else:
        out, regular = raw | along_edges, False
    out.discard((0, 0))
    return np.array(sorted(out), dtype=np.int64).reshape(-1, 2), regular


def _snap(
    shifts: set[tuple[int, int]], ac: np.ndarray, *, m: int, snap: float, peak: float
) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """(left as they were, snapped): each shift moved to the strongest peak of the
    autocorrelation ``ac`` ((2m+1)x(2m+1), centre = shift 0) within ``snap`` of its length,
    where that peak is a real repeat of the texture (> ``peak``)."""
    out, snapped = set(), set()
    for dy, dx in shifts:
        # A line a few degrees off a candidate's direction lands farther off at long range.
        s = max(2, round(snap * np.hypot(dy, dx)))
        cy, cx = dy + m, dx + m
        y0, y1 = max(0, cy - s), min(ac.shape[0], cy + s + 1)
        x0, x1 = max(0, cx - s), min(ac.shape[1], cx + s + 1)
        win = ac[y0:y1, x0:x1]
        if win.size == 0:
            continue
        iy, ix = np.unravel_index(int(np.argmax(win)), win.shape)
        if win[iy, ix] > peak:  # a real repeat of the texture: copy in phase
            snapped.add((int(y0 + iy - m), int(x0 + ix - m)))
        else:
            out.add((dy, dx))
    snapped.discard((0, 0))
    return out, snapped
