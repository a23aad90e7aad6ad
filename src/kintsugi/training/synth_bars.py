"""Synthetic censor bars over art: the cases that bar detection is fitted on and scored on.

A bar is a rotated rectangle 6-60 px thick and 3-8 times as long, black, white or any flat
colour, solid or at a constant opacity, laid over drawn content (the best of 8 random
placements by share of detailed pixels: a censor covers something). Training
(kintsugi.training.bar_score) and the benchmark (benchmarks/censors.py) draw from different seeds.
"""

from __future__ import annotations

import cv2
import numpy as np

from kintsugi.detect.rects import polygon_mask


def bar_corners(art: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """4x2 float (x, y): a rotated rectangle 6-60 px thick, 3-8 times as long, inside the image,
    over drawn content: the best of 8 random placements by share of detailed pixels (a censor
    covers something, as in benchmarks/mosaic.py)."""
    height, width = art.shape[:2]
    gray = cv2.cvtColor(art, cv2.COLOR_RGB2GRAY)
    detail = cv2.Canny(gray, 40, 120) > 0
    best, best_share = None, -1.0
    for _ in range(8):
        thick = rng.uniform(6, 60)
        length = min(thick * rng.uniform(3, 8), 0.8 * max(height, width))
        angle = rng.choice([0.0, 90.0, rng.uniform(0, 180)], p=[0.3, 0.2, 0.5])
        centre = (rng.uniform(0.15, 0.85) * width, rng.uniform(0.15, 0.85) * height)
        corners = cv2.boxPoints((centre, (length, thick), angle)).astype(np.float64)
        if corners.min() < 2 or corners[:, 0].max() > width - 3 or corners[:, 1].max() > height - 3:
            continue
        share = float(detail[polygon_mask(corners, (height, width))].mean())
        if share > best_share:
            best, best_share = corners, share
    return best


BAR_COLOURS = {"black": (0, 0, 0), "white": (255, 255, 255)}


def draw_bars(
    art: np.ndarray, rng: np.random.Generator, *, translucent: bool, colour: tuple[int, int, int] | None = None
) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """1-5 non-overlapping bars over ``art``: solid (black, white or any flat colour, or all of
    ``colour``) or translucent (a flat colour at opacity 0.3-0.8). Returns (image, true mask,
    opacities)."""
    image = art.copy()
    truth = np.zeros(art.shape[:2], bool)
    opacities = []
    for _ in range(int(rng.integers(1, 6))):
        corners = bar_corners(art, rng)
        if corners is None:
            continue
        mask = polygon_mask(corners, art.shape[:2])
        if (cv2.dilate(truth.view(np.uint8), np.ones((9, 9), np.uint8)) > 0)[mask].any():
            continue
        pick = rng.integers(0, 3)
        paint = (
            colour
            if colour is not None
            else (list(BAR_COLOURS.values())[pick] if pick < 2 else rng.integers(0, 256, 3))
        )
        paint = np.array(paint, np.float32)
        opacity = float(rng.uniform(0.3, 0.8)) if translucent else 1.0
        mixed = opacity * paint + (1 - opacity) * image[mask].astype(np.float32)
        image[mask] = np.rint(mixed).astype(np.uint8)
        truth |= mask
        opacities.append(opacity)
    return image, truth, opacities


def page_structures(art: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``art`` with one or two drawn structures that are not censors but share a bar's flat,
    straight look (the hard negatives of bar detection): panel borders with a paper gutter, an
    outlined box 4-12 px thick round part of the art, a plus or cross of flat strokes 6-20 px
    thick on a patch of paper, or a row of bold letter stems on a band of paper (strokes laid
    over the art itself would look like censors: they are not drawn here)."""
    image = art.copy()
    height, width = art.shape[:2]
    ink = tuple(int(c) for c in (rng.integers(0, 60, 3) if rng.random() < 0.7 else rng.integers(0, 256, 3)))
    for _ in range(int(rng.integers(1, 3))):
        kind = int(rng.integers(0, 4))
        if kind == 0:  # two panels: a paper gutter between ink borders
            line = int(rng.integers(2, 7))
            gutter = int(rng.integers(6, 21))
            if rng.random() < 0.5:
                x = int(rng.uniform(0.3, 0.7) * width)
                image[:, x - gutter // 2 : x + gutter // 2 + 1] = 255
                panels = [(2, 2, x - gutter // 2 - 1, height - 3), (x + gutter // 2 + 1, 2, width - 3, height - 3)]
            else:
                y = int(rng.uniform(0.3, 0.7) * height)
                image[y - gutter // 2 : y + gutter // 2 + 1] = 255
                panels = [(2, 2, width - 3, y - gutter // 2 - 1), (2, y + gutter // 2 + 1, width - 3, height - 3)]
            for x0, y0, x1, y1 in panels:
                cv2.rectangle(image, (x0, y0), (x1, y1), ink, line)
        elif kind == 1:  # an outlined box round part of the art
            x0, y0 = int(rng.uniform(0.05, 0.4) * width), int(rng.uniform(0.05, 0.4) * height)
            x1, y1 = int(rng.uniform(0.6, 0.95) * width), int(rng.uniform(0.6, 0.95) * height)
            cv2.rectangle(image, (x0, y0), (x1, y1), ink, int(rng.integers(4, 13)))
        elif kind == 2:  # a plus or a cross of two flat strokes
            thick = float(rng.uniform(6, 20))
            centre = (float(rng.uniform(0.3, 0.7) * width), float(rng.uniform(0.3, 0.7) * height))
            length = float(rng.uniform(3, 6) * thick)
            angle = float(rng.choice([0.0, 45.0, rng.uniform(0, 90)]))
            paper = cv2.boxPoints((centre, (1.3 * length, 1.3 * length), angle)).astype(np.float64)
            image[polygon_mask(paper, (height, width))] = 255  # a sign or a caption: strokes on paper
            for turn in (0.0, 90.0):
                corners = cv2.boxPoints((centre, (length, thick), angle + turn)).astype(np.float64)
                image[polygon_mask(corners, (height, width))] = ink
        else:  # bold letter stems in a row
            stem, tall = int(rng.integers(6, 11)), int(rng.integers(30, 80))
            y0 = int(rng.integers(0, max(1, height - tall)))
            image[max(y0 - 8, 0) : y0 + tall + 8] = 255  # lettering on a paper band
            for x in range(int(rng.integers(0, 20)), width - stem, int(rng.integers(2, 4)) * stem):
                image[y0 : y0 + tall, x : x + stem] = ink
    return image


def ink_strokes(art: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, tuple[int, int, int]]:
    """``art`` crossed by 8-20 straight ink strokes 2-3 px wide of one dark colour, and that
    colour: line art whose strokes a bar of the same ink will touch and cross."""
    image = art.copy()
    height, width = art.shape[:2]
    ink = tuple(int(c) for c in rng.integers(0, 50, 3))
    for _ in range(int(rng.integers(8, 21))):
        p0 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        p1 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.line(image, p0, p1, ink, int(rng.integers(2, 4)))
    return image, ink
