"""Translucent censor bars: found over gradients and lines, along flat paper on one side, with
their opacity; clean screentone, flat fills and shading bands left alone."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kintsugi.detect import bar_score, detect_censors, find_translucent_bars
from kintsugi.detect.rects import polygon_mask
from kintsugi.detect.translucent import translucent_candidates


def gradient_lines(height: int = 170, width: int = 240, *, seed: int = 0) -> np.ndarray:
    """A colour gradient crossed by ink lines and a few flat patches (RGB uint8 HxWx3)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.stack([40 + 180 * xx / width, 60 + 150 * yy / height, 200 - 120 * xx / width], axis=-1)
    image = np.clip(image, 0, 255).astype(np.uint8)
    for _ in range(4):
        x, y = int(rng.integers(0, width - 40)), int(rng.integers(0, height - 30))
        cv2.rectangle(image, (x, y), (x + 40, y + 30), tuple(int(c) for c in rng.integers(0, 256, 3)), -1)
    for _ in range(16):
        p0 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        p1 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.line(image, p0, p1, (20, 20, 30), 2)
    return image


def blend_bar(art: np.ndarray, corners: np.ndarray, *, colour, opacity: float) -> tuple[np.ndarray, np.ndarray]:
    truth = polygon_mask(corners, art.shape[:2])
    image = art.copy()
    mixed = opacity * np.array(colour, np.float32) + (1 - opacity) * art[truth].astype(np.float32)
    image[truth] = np.rint(mixed).astype(np.uint8)
    return image, truth


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return np.count_nonzero(a & b) / max(np.count_nonzero(a | b), 1)


@pytest.mark.parametrize(
    ("colour", "opacity", "angle", "thick"),
    [
        ((0, 0, 0), 0.5, 0.0, 24),
        ((255, 255, 255), 0.6, 90.0, 30),
        # Over a tenth of its perimeter's clear steps are not explained (the staircase edge of a
        # rotated bar over 2 px ink lines): refused by the thresholds before session 10, found
        # by the learned score.
        ((200, 40, 160), 0.4, 23.0, 18),
        ((0, 0, 0), 0.75, 61.0, 12),
    ],
    ids=["black-0.5", "white-0.6-vertical", "magenta-0.4-rotated", "black-0.75-thin"],
)
def test_translucent_bar_over_gradient_and_lines(colour, opacity, angle, thick):
    art = gradient_lines(seed=1)
    corners = cv2.boxPoints(((120, 85), (110 if angle != 90 else 120, thick), angle)).astype(np.float64)
    image, truth = blend_bar(art, corners, colour=colour, opacity=opacity)
    bars = find_translucent_bars(image)
    assert len(bars) == 1
    assert iou(bars[0].mask(truth.shape), truth) >= 0.9
    assert abs(bars[0].opacity - opacity) <= 0.05


def test_the_bar_outscores_every_candidate_of_the_clean_art():
    # gradient_lines(seed=1) gives the hard tests three candidates of its own (PNG): drawn
    # frames between ink lines that fit a blend somewhere. The score must put the bar laid over
    # the same art above the threshold and all of those below it.
    art = gradient_lines(seed=1)
    corners = cv2.boxPoints(((120, 85), (110, 24), 0.0)).astype(np.float64)
    image, _ = blend_bar(art, corners, colour=(0, 0, 0), opacity=0.5)
    clean = [bar_score.score(c.features, kind="translucent") for c in translucent_candidates(art)]
    barred = [bar_score.score(c.features, kind="translucent") for c in translucent_candidates(image)]
    assert len(clean) >= 2
    assert max(barred) >= bar_score.threshold("translucent") > max(clean)


@pytest.mark.xfail(strict=True, reason="known miss: the ends run on along the paper side; the final fit fails")
def test_translucent_bar_along_flat_paper_on_one_side():
    # The upper long side runs along white paper all the way (nothing there fixes the blend's
    # slope); the lower one crosses the art. Found from the lower side and the joint fit.
    art = gradient_lines(seed=2)
    art[:60] = 255
    image, truth = blend_bar(
        art, cv2.boxPoints(((120, 72), (140, 24), 0.0)).astype(np.float64), colour=(0, 0, 0), opacity=0.55
    )
    found = detect_censors(image, kinds=("translucent",))
    assert [c.kind for c in found.censors] == ["translucent"]
    assert iou(found.mask(), truth) >= 0.9
    assert abs(found.censors[0].opacity - 0.55) <= 0.05


def screentone(height: int = 170, width: int = 240) -> np.ndarray:
    image = np.full((height, width, 3), 255, np.uint8)
    for y in range(3, height, 6):
        for x in range(3 + 3 * ((y // 6) % 2), width, 6):
            cv2.circle(image, (x, y), 2, (40, 40, 40), -1)
    cv2.rectangle(image, (60, 50), (180, 120), (255, 255, 255), -1)  # a panel cut out of the tone
    cv2.rectangle(image, (60, 50), (180, 120), (0, 0, 0), 2)
    return image


def shading_band(height: int = 170, width: int = 240) -> np.ndarray:
    """Smooth shading with a darker band in it (a cylinder's shadow), and a drop shadow."""
    xx = np.linspace(0, np.pi, width, dtype=np.float32)[None, :, None]
    image = np.broadcast_to(120 + 100 * np.sin(xx), (height, width, 3)).copy()
    image[:, 90:110] *= 0.6
    image = np.clip(image, 0, 255).astype(np.uint8)
    cv2.rectangle(image, (30, 30), (200, 40), (0, 0, 0), -1)
    cv2.rectangle(image, (34, 41), (204, 46), (90, 90, 90), -1)
    return image


@pytest.mark.parametrize("kind", ["screentone", "flat-fill", "gradient-lines", "shading-band"])
@pytest.mark.parametrize("jpeg", [False, True], ids=["png", "q85"])
def test_clean_art_has_no_translucent_bar(kind, jpeg):
    if kind == "screentone":
        image = screentone()
    elif kind == "flat-fill":
        image = np.full((170, 240, 3), 250, np.uint8)
        cv2.ellipse(image, (90, 85), (70, 45), 15, 0, 360, (250, 214, 190), -1)
        cv2.ellipse(image, (90, 85), (70, 45), 15, 0, 360, (20, 20, 30), 2)
        cv2.rectangle(image, (170, 20), (220, 150), (40, 40, 50), -1)
    elif kind == "gradient-lines":
        image = gradient_lines(seed=3)
    else:
        image = shading_band()
    if jpeg:
        ok, data = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 85])
        image = cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1].copy()
    assert find_translucent_bars(image) == []


def _fit_blends_as_first_written(inside: np.ndarray, outside: np.ndarray):
    """blend.fit_blends as first written: the same two passes, each computing everything."""
    from kintsugi.detect.translucent.blend import _TRIM

    keep = np.ones(inside.shape[:2], bool)
    for _ in range(2):
        w = keep[..., None].astype(np.float32)
        count = np.maximum(w.sum(axis=1), 1)
        o_mean, i_mean = (outside * w).sum(axis=1) / count, (inside * w).sum(axis=1) / count
        oc, ic = (outside - o_mean[:, None]) * w, (inside - i_mean[:, None]) * w
        denom = (oc * oc).sum(axis=(1, 2))
        k = np.sign((oc * ic).sum(axis=(1, 2))) * np.sqrt((ic * ic).sum(axis=(1, 2)) / np.maximum(denom, 1e-6))
        varies = denom > 1e-6
        k[~varies] = 1.0
        b = i_mean - k[:, None] * o_mean
        err = np.abs(inside - (k[:, None, None] * outside + b[:, None])).max(axis=-1)
        rms = np.sqrt((err**2 * keep).sum(axis=1) / np.maximum(keep.sum(axis=1), 1))
        spread = np.sqrt((oc * oc).sum(axis=1) / count).max(axis=-1)
        keep = err <= np.quantile(err, _TRIM, axis=1, keepdims=True)
    return k, b, rms, spread, varies


@pytest.mark.parametrize("seed", range(20))
def test_fit_blends_gives_the_numbers_it_always_gave(seed):
    from kintsugi.detect.translucent.blend import fit_blends

    rng = np.random.default_rng(seed)
    sets, pairs = int(rng.integers(1, 9)), int(rng.integers(16, 400))
    outside = rng.integers(0, 256, (sets, pairs, 3)).astype(np.float32)
    k, colour = rng.uniform(0.15, 0.9, (sets, 1, 1)), rng.uniform(0, 255, (sets, 1, 3))
    inside = np.rint(k * outside + (1 - k) * colour + rng.normal(0, 3, outside.shape)).astype(np.float32)
    if seed % 5 == 0:
        outside[0] = outside[0, 0]  # one set whose outside does not vary
    for got, expected in zip(fit_blends(inside, outside), _fit_blends_as_first_written(inside, outside)):
        assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes()
