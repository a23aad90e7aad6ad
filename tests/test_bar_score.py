"""The bar scores (solid and translucent): their shipped weights, and the fit that makes them."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kintsugi.detect import bar_score
from kintsugi.detect.bars import solid_candidates
from kintsugi.detect.rects import polygon_mask
from kintsugi.training.bar_score import Samples, clean_threshold, fit_mlp, stack


@pytest.mark.parametrize("kind", ["bar", "translucent"])
def test_shipped_weights_match_the_features(kind):
    model = bar_score._model(kind)
    assert model["w1"].shape[-1] == len(bar_score.FEATURES_OF[kind]) == model["mean"].size
    assert all(np.isfinite(v).all() for v in model.values())


def test_a_bar_across_lines_outscores_a_stripe_along_fills():
    # The same black 16 x 100 px rectangle: once laid across ink lines on a gradient, once
    # drawn as a stripe between two flat fills that run along it (a leg, a band of outline).
    yy, xx = np.mgrid[0:120, 0:160].astype(np.float32)
    across = np.stack([80 + xx, 100 + 0.5 * yy, 180 - 0.4 * xx], -1).astype(np.uint8)
    for x in range(10, 160, 14):
        cv2.line(across, (x, 0), (x - 30, 119), (30, 20, 20), 2)
    along = np.full((120, 160, 3), 250, np.uint8)
    along[:52] = (230, 190, 150)
    along[68:] = (120, 160, 220)
    corners = cv2.boxPoints(((80, 60), (100, 16), 0.0)).astype(np.float64)
    scores = []
    for image in (across, along):
        image[polygon_mask(corners, image.shape[:2])] = 0
        found = [bar_score.score(c.features) for c in solid_candidates(image)]
        scores.append(max(found, default=-np.inf))
    assert scores[0] >= bar_score.threshold() > scores[1]


def test_fit_mlp_learns_a_conjunction():
    # A bar along one plain side is fine unless its end turns a corner: an AND a linear score
    # cannot draw (x0 high and x1 low is a bar).
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 3))
    y = ((x[:, 0] > 0) & (x[:, 1] < 0)).astype(np.float64)
    weights = fit_mlp(x, y, steps=800)
    accuracy = np.mean((bar_score.ensemble_logits(stack([weights]), x) > 0) == (y > 0))
    assert accuracy > 0.95


def test_clean_threshold_keeps_the_asked_share_of_clean_images():
    # 10 clean cases (even case numbers) with one candidate each, scores 0..9.
    samples = Samples(features=np.zeros((10, 1)), iou=np.zeros(10), case=np.arange(10) * 2, clean=np.ones(10, bool))
    scores = np.arange(10, dtype=np.float64)
    limit = clean_threshold(scores, samples, false_rate=0.2, n_clean=10)
    assert np.count_nonzero(scores >= limit) == 2
