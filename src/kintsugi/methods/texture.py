"""Structure from the network, texture and lines from the picture.

The inpainting network gets the low frequencies of a hole right (where tones, colours and shapes
go) but draws them soft. This module keeps its structure and copies the detail from the known
pixels of the same crop: every hole pixel picks one shift ``o`` among a few dozen candidates and
takes the pixel at ``p + o``, chosen so that

- the patch of sigma-2 low-pass around the source matches the network's low-pass around ``p``
  (lines and edges are copied from where they continue the network's own line), and
- the copied patch agrees with what is already known or copied around ``p`` (screentone and
  hatching continue in phase, seams stay rare).

Candidates are shifts in 12 directions at growing distances, plus both ways along the strongest
edges at the hole (a line at any angle is copied along itself), each snapped to the strongest
peak of the known texture's autocorrelation near it: for a regular screen the candidates are
its lattice vectors, so the copied dots continue in phase. Large holes choose at half resolution
and refine by a pixel at full size; a 3x3 majority vote removes lone choices. The copy is then
corrected by the low-pass difference between target and source (blurred, soft-thresholded, so
a copy that already fits stays exact).

Last, the page rules: a hole whose surroundings are all grey is filled grey, and one whose
surroundings hold only two grey levels (a bitonal page) is filled with those two. On a grey page
the patches are larger (15 px: they span a screen's period), a weaker autocorrelation peak counts
as a repeat (a rotated screen's lattice falls between pixels), and with a regular screen (most
shifts snap to a peak, and a fifth of the known pixels carry detail: flat silhouettes repeat
too) only the screen's lattice is copied from, without correction.

Numpy + OpenCV only. Images RGB uint8 HxWx3, masks bool HxW (True = hole).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from kintsugi.methods.shifts import candidate_offsets, lowpass


@dataclass(frozen=True)
class TextureConfig:
    patch: int = 9  # side of the matched patches (odd)
    grey_patch: int = 15  # the same on a grey (manga) page: a patch should span a screen's period (4-12 px)
    directions: int = 12
    edge_directions: int = 4  # more directions, along the strongest edges at the hole (shifts.edge_angles)
    iterations: int = 2
    structure_weight: float = 1.0  # weight of the low-pass match against the texture match
    snap: float = 0.5  # search radius around a candidate for an autocorrelation peak, per px of its length
    peak: float = 0.5  # an autocorrelation peak above this is a repeat of the texture (snapped to)
    grey_peak: float = 0.3  # the same on a grey page: a rotated or coarse screen peaks lower at whole shifts
    # On a grey page, a regular screen has detail on at least this share of the known pixels (a
    # black silhouette or line art on white repeats at many shifts too, but is flat).
    screen_detail: float = 0.2
    threshold: float = 16.0  # low-pass corrections below this (0-255 levels) are dropped
    reach: float = 4.0  # candidates reach this many times the hole's largest inner distance
    votes: int = 1  # rounds of a 3x3 majority vote on the chosen shifts
    smooth: float = 1.0  # sigma (px) of the blur of the final low-pass correction field; 0: none


TILE = 16  # hole pixels are processed in TILE x TILE tiles; tiles without hole are skipped


def _hole_tiles(mask: np.ndarray, *, halo: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates (two int64 arrays n x TILE x TILE) of the tiles that hold hole pixels
    or lie within ``halo`` of one; coordinates past the image edge are clipped to it."""
    h, w = mask.shape
    near = cv2.dilate(mask.astype(np.uint8), np.ones((2 * halo + 1, 2 * halo + 1), np.uint8))
    th, tw = -(-h // TILE), -(-w // TILE)
    padded = np.zeros((th * TILE, tw * TILE), np.uint8)
    padded[:h, :w] = near
    used = padded.reshape(th, TILE, tw, TILE).any(axis=(1, 3))
    ty, tx = np.nonzero(used)
    r = np.arange(TILE)
    ys = np.minimum(ty[:, None, None] * TILE + r[None, :, None], h - 1) + 0 * r[None, None, :]
    xs = np.minimum(tx[:, None, None] * TILE + r[None, None, :], w - 1) + 0 * r[None, :, None]
    return ys, xs


def _tile_box(d: np.ndarray, k: int) -> np.ndarray:
    """Box sum (k x k) within each tile of d (n x TILE x TILE float32), tiles kept apart."""
    n = d.shape[0]
    r = k // 2
    stacked = np.zeros((n, TILE + r, TILE), np.float32)
    stacked[:, :TILE] = d
    out = cv2.boxFilter(
        stacked.reshape(n * (TILE + r), TILE), -1, (k, k), normalize=False, borderType=cv2.BORDER_CONSTANT
    )
    return out.reshape(n, TILE + r, TILE)[:, :TILE]


LUMA = np.array([0.299, 0.587, 0.114], np.float32)
TWO_LEVELS = 4096  # holes with more pixels choose their shifts at half resolution first


class _Level:
    """One resolution's arrays for the shift search: the hole's tiles (n x TILE x TILE), the
    padded source features (low-pass RGB, luma) and where a pixel may be copied from."""

    def __init__(self, known_img: np.ndarray, mask: np.ndarray, *, pad: int, cfg: TextureConfig) -> None:
        h, w = mask.shape
        self.mask, self.known_img, self.pad, self.wp = mask, known_img, pad, w + 2 * pad
        self.lp = lowpass(known_img)
        ys, xs = _hole_tiles(mask, halo=cfg.patch // 2)
        # A mask without a known pixel gets FLT_MAX distances from OpenCV: clip to the crop.
        dist = np.minimum(cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5), float(h + w))
        reach = dist[ys, xs].reshape(len(ys), -1).max(1)
        order = np.argsort(-reach, kind="stable")  # deepest tiles first
        self.ys, self.xs, self.tile_reach = ys[order], xs[order], reach[order]
        # Per source pixel the 4 features (low-pass R, G, B weighted, then luma) side by side,
        # viewed as one 16-byte element: one gather fetches all four (half the time of four
        # planar gathers); the arithmetic then reads them as strided planes.
        feats = np.zeros((h + 2 * pad, self.wp, 4), np.float32)
        feats[pad:-pad, pad:-pad, :3] = self.lp * np.float32(np.sqrt(cfg.structure_weight))
        feats[pad:-pad, pad:-pad, 3] = known_img @ LUMA
        self.feats = feats.reshape(-1, 4).view(np.complex128).reshape(-1)
        ok = np.zeros((h + 2 * pad, self.wp), bool)
        ok[pad:-pad, pad:-pad] = ~mask
        self.source_ok = ok.reshape(-1)
        self.idx0 = (self.ys + pad) * self.wp + (self.xs + pad)
        # (4, n, T, T): the current guess at each tile pixel, planar.
        self.target = np.ascontiguousarray(np.moveaxis(self._gather(self.idx0), -1, 0))
        self.hole = mask[self.ys, self.xs]
        r = np.arange(TILE)
        # Clipped coordinates at the image edge repeat a pixel: count each once.
        self.inside = ((self.ys - self.ys[:, :1, :1]) == r[None, :, None]) & (
            (self.xs - self.xs[:, :1, :1]) == r[None, None, :]
        )

    def _gather(self, idx: np.ndarray) -> np.ndarray:
        """The 4 features at flat source indices idx (any shape): float32 idx.shape x 4."""
        return self.feats[idx].view(np.float32).reshape(*idx.shape, 4)

    def n_tiles(self, lengths: np.ndarray, cfg: TextureConfig) -> np.ndarray:
        """How many (deepest-first) tiles each shift of the given lengths is tried on: long
        shifts only where the hole is thick enough to need them."""
        return np.searchsorted(-(cfg.reach * self.tile_reach + 8), -lengths, side="right")

    def search(self, candidates: list, n_tiles: list[int], *, patch: int, hole_weight: float) -> np.ndarray:
        """Index of the cheapest candidate per tile pixel (n x T x T, -1: none valid).

        A candidate is a shift (dy, dx), one for all pixels or one per pixel (two n x T x T
        arrays). The cost at a pixel is the patch sum of the low-pass mismatch plus the luma
        mismatch against the target, which counts known pixels fully and hole pixels (the
        current guess) at ``hole_weight``.
        """
        sw = np.sqrt(np.where(self.hole, hole_weight, 1.0).astype(np.float32) * self.inside)
        tr, tg, tb, tl = self.target
        tl = tl * sw
        inside = self.inside.astype(np.float32)
        best = np.full(self.hole.shape, np.inf, np.float32)
        best_k = np.full(self.hole.shape, -1, np.int64)
        for k, ((dy, dx), t) in enumerate(zip(candidates, n_tiles)):
            if t == 0:
                continue
            fo = dy * self.wp + dx
            idx = self.idx0[:t] + (fo[:t] if isinstance(fo, np.ndarray) else fo)
            f = self._gather(idx)
            d = np.square(tr[:t] - f[..., 0])
            d += np.square(tg[:t] - f[..., 1])
            d += np.square(tb[:t] - f[..., 2])
            d *= inside[:t]
            d += np.square(tl[:t] - f[..., 3] * sw[:t])
            cost = _tile_box(d, patch)
            cost[~self.source_ok[idx]] = np.inf
            better = cost < best[:t]
            best[:t][better] = cost[better]
            best_k[:t][better] = k
        return best_k

    def copy(
        self, found: np.ndarray, oy: np.ndarray, ox: np.ndarray, *, threshold: float, smooth: float = 0.0
    ) -> np.ndarray:
        """Values (m x 3 float32) for the tile pixels ``found``, copied from their shifts and
        corrected by the low-pass difference beyond ``threshold``; the target's luma follows."""
        ty, tx = self.ys[found], self.xs[found]
        sy, sx = ty + oy, tx + ox
        corr = self.lp[ty, tx] - self.lp[sy, sx]
        if smooth:
            # Neighbours copied from different places get different corrections: blurred over
            # the filled pixels (normalised), the correction stays a low-pass field, not mottle.
            field = np.zeros(self.lp.shape, np.float32)
            weight = np.zeros(self.mask.shape, np.float32)
            field[ty, tx], weight[ty, tx] = corr, 1.0
            field = cv2.GaussianBlur(field, (0, 0), smooth)
            weight = cv2.GaussianBlur(weight, (0, 0), smooth)
            corr = field[ty, tx] / np.maximum(weight[ty, tx], 1e-3)[:, None]
        corr = np.sign(corr) * np.maximum(np.abs(corr) - threshold, 0.0)
        value = self.known_img[sy, sx] + corr
        self.target[3][found] = value @ LUMA
        return value


def mode3(labels: np.ndarray) -> np.ndarray:
    """The most frequent label of each pixel's 3x3 neighbourhood (int HxW, -1 = none, which
    never wins; ties keep the pixel's own, then the first in ``_RING`` order). Removes the
    lone picks that read as speckle."""
    h, w = labels.shape
    ys, xs = np.nonzero(labels >= 0)
    padded = np.pad(labels, 1, constant_values=-1)
    # Only the labelled pixels vote and are voted on: (9, n) neighbour labels, own first.
    near = np.stack([padded[ys + 1 + dy, xs + 1 + dx] for dy, dx in [(0, 0)] + _RING])
    votes = [((near == c) & (c >= 0)).sum(0) for c in near]
    best, best_votes = near[0].copy(), votes[0]
    for c, v in zip(near[1:], votes[1:]):
        better = v > best_votes
        best[better], best_votes = c[better], np.where(better, v, best_votes)
    out = labels.copy()
    out[ys, xs] = best
    return out


_RING = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)]


def _smoothed(level: _Level, best_k: np.ndarray, found: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """best_k after a 3x3 majority vote over the level's label image, kept where the voted
    shift still reads a valid source."""
    label = np.full(level.mask.shape, -1, np.int64)
    label[level.ys[found], level.xs[found]] = best_k[found]
    voted = mode3(label)[level.ys, level.xs]
    fo = offsets[np.maximum(voted, 0), 0] * level.wp + offsets[np.maximum(voted, 0), 1]
    ok = found & (voted >= 0) & level.source_ok[level.idx0 + fo]
    return np.where(ok, voted, best_k)


def _shared_search(level: _Level, offsets: np.ndarray, cfg: TextureConfig) -> tuple[np.ndarray, np.ndarray]:
    """Every candidate shift for every pixel, ``cfg.iterations`` passes: the index of the
    chosen shift per tile pixel (n x T x T) and whether one was found (n x T x T)."""
    cands = [(int(dy), int(dx)) for dy, dx in offsets]
    n_tiles = list(level.n_tiles(np.hypot(offsets[:, 0], offsets[:, 1]), cfg))
    for it in range(cfg.iterations):
        # From the second pass on, the copies count too (at half weight: they are guesses):
        # that is what carries a screen's phase from the hole's edge inwards.
        best_k = level.search(cands, n_tiles, patch=cfg.patch, hole_weight=0.0 if it == 0 else 0.5)
        found = level.hole & (best_k >= 0) & level.inside
        for _ in range(cfg.votes):
            best_k = _smoothed(level, best_k, found, offsets)
        chosen = offsets[np.maximum(best_k, 0)]
        level.copy(found, chosen[found][:, 0], chosen[found][:, 1], threshold=cfg.threshold)
    return best_k, found


def synthesize(
    image: np.ndarray, mask: np.ndarray, structure: np.ndarray, *, config: TextureConfig | None = None
) -> np.ndarray:
    """Fill ``mask`` of ``image`` with detail copied from its known pixels, guided by
    ``structure`` (the network's fill: RGB uint8 HxWx3, equal to image outside the mask).

    Large holes choose their shifts at half resolution, then refine them by one pixel at full
    resolution (nine candidates per pixel instead of dozens). Returns RGB uint8 HxWx3 with every
    pixel outside ``mask`` exactly as in ``image``.
    """
    cfg = config or TextureConfig()
    if not mask.any() or mask.all():
        return structure.copy()
    h, w = mask.shape
    grey_page = known_is_grey(image, mask)
    if grey_page:
        cfg = replace(cfg, patch=cfg.grey_patch, peak=cfg.grey_peak)
    # On a grey (manga) page a regular screen is the texture: copy along its lattice only.
    offsets, regular = candidate_offsets(
        image,
        mask,
        directions=cfg.directions,
        reach=cfg.reach,
        snap=cfg.snap,
        lattice_only=grey_page,
        edge_directions=cfg.edge_directions,
        peak=cfg.peak,
        screen_detail=cfg.screen_detail if grey_page else 0.0,
    )
    if grey_page and regular:
        # ... and the copies stay exact: the network's low-pass there is a smear of the
        # screen, the wrong tone to correct towards.
        cfg = replace(cfg, threshold=float("inf"))
    if len(offsets) == 0:
        return structure.copy()
    known_img = np.where(mask[..., None], structure, image).astype(np.float32)  # (h, w, 3)
    pad = int(np.abs(offsets).max()) + 2
    fine = _Level(known_img, mask, pad=pad, cfg=cfg)
    # Any hole coverage makes a coarse pixel a hole: coarse sources are wholly known.
    small_mask = cv2.resize(mask.astype(np.float32), ((w + 1) // 2, (h + 1) // 2), interpolation=cv2.INTER_AREA) > 0
    if mask.sum() <= TWO_LEVELS or min(h, w) < 4 * TILE or small_mask.all():
        best_k, found = _shared_search(fine, offsets, cfg)
        chosen = offsets[best_k[found]]
        value = fine.copy(found, chosen[:, 0], chosen[:, 1], threshold=cfg.threshold, smooth=cfg.smooth)
    else:
        chosen, found, value = _two_level_search(fine, known_img, small_mask, offsets=offsets, cfg=cfg)
    out = structure.copy()
    out[fine.ys[found], fine.xs[found]] = np.clip(value + 0.5, 0, 255).astype(np.uint8)
    return keep_page_rules(out, image, mask)


def _two_level_search(
    fine: _Level, known_img: np.ndarray, small_mask: np.ndarray, *, offsets: np.ndarray, cfg: TextureConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shifts chosen on the half-resolution hole ``small_mask`` (bool, (h+1)//2 x (w+1)//2),
    then refined by a pixel at full size."""
    hc, wc = small_mask.shape
    small = cv2.resize(known_img, (wc, hc), interpolation=cv2.INTER_AREA)
    halves, first = np.unique(np.round(offsets / 2).astype(np.int64), axis=0, return_index=True)
    keep = np.any(halves != 0, axis=1)
    halves, full = halves[keep], offsets[first[keep]]  # each coarse shift stands for a full one
    coarse = _Level(small, small_mask, pad=fine.pad // 2 + 2, cfg=cfg)
    chosen_c, found_c = _shared_search(coarse, halves, cfg)  # indices into halves
    # The full-resolution shift each coarse hole pixel chose; every other coarse pixel takes
    # that of the nearest one that chose (the known pixels next to a hole need one too).
    label = np.full((hc, wc), -1, np.int64)
    label[coarse.ys[found_c], coarse.xs[found_c]] = chosen_c[found_c]
    if (label >= 0).any():
        _, nearest = cv2.distanceTransformWithLabels(
            (label < 0).astype(np.uint8), cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL
        )
        seeds = label[label >= 0]  # labels count the zero pixels in row-major order
        label = seeds[nearest - 1]
    else:
        label[:] = 0
    base = full[label[np.minimum(fine.ys // 2, hc - 1), np.minimum(fine.xs // 2, wc - 1)]]  # (n, T, T, 2)
    by, bx = base[..., 0], base[..., 1]
    # Start the fine target from the coarse choice (so the texture term sees copied detail),
    # then pick the best of the 3x3 shifts around it.
    ok = fine.source_ok[fine.idx0 + by * fine.wp + bx]
    seed = fine.hole & fine.inside & ok
    fine.copy(seed, by[seed], bx[seed], threshold=cfg.threshold)
    deltas = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    cands = [(by + dy, bx + dx) for dy, dx in deltas]
    best_k = fine.search(cands, [len(fine.ys)] * len(cands), patch=cfg.patch, hole_weight=0.5)
    found = fine.hole & fine.inside & (best_k >= 0)
    dy = np.array([d[0] for d in deltas])[np.maximum(best_k, 0)]
    dx = np.array([d[1] for d in deltas])[np.maximum(best_k, 0)]
    oy, ox = (by + dy)[found], (bx + dx)[found]
    value = fine.copy(found, oy, ox, threshold=cfg.threshold, smooth=cfg.smooth)
    return np.stack([by + dy, bx + dx], -1), found, value


def known_is_grey(image: np.ndarray, mask: np.ndarray) -> bool:
    """Whether every known pixel (outside ``mask``) of RGB uint8 ``image`` has R = G = B."""
    coloured = (image[..., 0] != image[..., 1]) | (image[..., 1] != image[..., 2])
    return not bool((coloured & ~mask).any())


def keep_page_rules(filled: np.ndarray, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Grey surroundings → grey fill; bitonal grey surroundings → a fill of those two levels.

    filled, image RGB uint8 HxWx3; mask bool HxW. Only hole pixels change.
    """
    if mask.all() or not known_is_grey(image, mask):
        return filled
    out = filled.copy()
    grey = filled[mask].astype(np.float32).mean(-1)
    levels = np.unique(image[..., 0][~mask])
    if len(levels) == 2:
        lo, hi = float(levels[0]), float(levels[1])
        grey = np.where(grey < (lo + hi) / 2, lo, hi)
    out[mask] = np.clip(grey + 0.5, 0, 255).astype(np.uint8)[:, None]
    return out
