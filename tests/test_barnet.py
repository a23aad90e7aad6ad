"""The bar network's regions: blobs from probability maps, and bars placed on the picture."""

from __future__ import annotations

import numpy as np
import pytest
from test_bars import bar, busy_art, iou

from kintsugi.detect import barnet
from kintsugi.detect.bars import polygon_mask


def probabilities(shape: tuple[int, int], truth: np.ndarray, *, channel: int, blur: int = 0) -> np.ndarray:
    """A network's answer (2 x H x W) that sees ``truth`` as ``channel``, its edge off by
    ``blur`` px (grown when positive)."""
    import cv2

    prob = np.zeros((2, *shape), np.float32)
    mask = truth.view(np.uint8)
    if blur:
        mask = cv2.dilate(mask, np.ones((2 * blur + 1, 2 * blur + 1), np.uint8))
    prob[channel] = mask * 0.9
    return prob


@pytest.mark.parametrize("angle", [0.0, 31.0])
def test_blob_frame_is_the_bar(angle):
    shape = (160, 220)
    truth = polygon_mask(bar((110, 80), (120, 22), angle), shape)
    blobs = barnet.bar_blobs(probabilities(shape, truth, channel=0))
    assert len(blobs) == 1
    (blob,) = blobs
    assert blob.solid > 0.8 and blob.translucent == 0.0
    # Its edges run through the outermost pixel centres: under half a pixel inside the bar's.
    assert iou(polygon_mask(blob.frame.corners(), shape), truth) >= 0.9


def test_small_specks_are_no_blob():
    prob = np.zeros((2, 60, 60), np.float32)
    prob[0, 10:15, 10:15] = 1.0
    assert barnet.bar_blobs(prob) == []


@pytest.mark.parametrize("angle", [0.0, 27.0])
def test_solid_blob_snaps_to_the_bar(angle):
    """A blob 2 px wider than the bar all round: the placed bar has the bar's own sides."""
    image = busy_art()
    truth = polygon_mask(bar((110, 80), (120, 22), angle), image.shape[:2])
    image[truth] = (200, 40, 160)
    found = barnet.network_bars(image, probabilities(image.shape[:2], truth, channel=0, blur=2))
    assert len(found) == 1 and found[0].kind == "bar"
    assert iou(found[0].mask(image.shape[:2]), truth) >= 0.9


def test_translucent_blob_is_unblended():
    art = busy_art(seed=1)
    truth = polygon_mask(bar((110, 80), (130, 26), 12.0), art.shape[:2])
    image = art.copy()
    image[truth] = np.rint(0.6 * 10 + 0.4 * art[truth]).astype(np.uint8)
    found = barnet.network_bars(image, probabilities(art.shape[:2], truth, channel=1, blur=1))
    assert [b.kind for b in found] == ["translucent"]
    assert abs(found[0].opacity - 0.6) < 0.05
    assert iou(found[0].mask(art.shape[:2]), truth) >= 0.9


def test_unplaceable_blob_is_kept_as_a_solid_bar():
    """A blob over flat paper, where nothing steps: its own rectangle, to be inpainted."""
    image = np.full((120, 160, 3), 240, np.uint8)
    truth = polygon_mask(bar((80, 60), (90, 20), 0.0), image.shape[:2])
    found = barnet.network_bars(image, probabilities(image.shape[:2], truth, channel=0))
    assert len(found) == 1 and found[0].kind == "bar"
    assert iou(found[0].mask(image.shape[:2]), truth) >= 0.9
