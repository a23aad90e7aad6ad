"""The shipped networks, run as users run them: through ONNX Runtime, without torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from synthetic import GREEN, art, bar_mask, paint

import kintsugi
from kintsugi.methods import model

pytestmark = pytest.mark.skipif(
    not (model.is_available("inpaint") and model.is_available("mosaic")), reason="weights not installed"
)


@pytest.mark.parametrize("shape", [(48, 64), (37, 101), (130, 40)])
def test_model_fills_only_the_hole(shape):
    image = art(*shape)
    h, w = shape
    mask = bar_mask(h, w, box=(h // 3, w // 4, h // 3 + 6, 3 * w // 4))
    painted = paint(image, mask)  # the hole holds green, not the answer
    out = kintsugi.inpaint(painted, mask, method="model")
    assert np.array_equal(out[~mask], painted[~mask])
    assert not (out[mask] == GREEN).all(axis=1).any()
    # The fill continues the surroundings: the hole's mean colour is near that of its rim, and
    # each pixel is near the art that was painted over.
    rim = bar_mask(h, w, box=(h // 3 - 3, w // 4, h // 3, 3 * w // 4))
    assert np.abs(out[mask].mean(0) - image[rim].mean(0)).max() < 40
    assert np.abs(out[mask].astype(int) - image[mask]).mean() < 40


def test_flip_averaging_is_the_mean_of_the_mirrored_passes():
    image = art(40, 72)
    mask = bar_mask(40, 72, box=(8, 10, 30, 40))  # off-centre: each mirrored pass sees other context
    sess = model.session("inpaint")

    def flip(a, r, c):
        return np.ascontiguousarray(a[:: -1 if r else 1, :: -1 if c else 1])

    single = []
    for r, c in model.FLIPS:
        img, msk = flip(image, r, c), flip(mask, r, c)
        single.append(flip(model.run_network(sess, model.prefill(img, msk), msk), r, c).astype(float))
    out = model.inpaint(sess, image, mask)
    assert len(model.FLIPS) == 4
    assert np.array_equal(out[~mask], image[~mask])
    assert np.array_equal(model.inpaint(sess, image, mask, flips=False), single[0])
    # The passes differ (the network is not mirror-symmetric), and the result is their mean
    # (each pass rounded to 8 bits here, so within a level).
    assert max(np.abs(a - single[0]).max() for a in single[1:]) > 2
    assert np.abs(out[mask] - np.mean(single, axis=0)[mask]).max() <= 1.0


def test_mosaic_model_respects_the_block_colours():
    from kintsugi.training.synth_mosaic import apply_mosaic, mosaic_mask

    yy, xx = np.mgrid[0:96, 0:128]
    truth = np.stack([xx * 2, yy * 2 + 40, 255 - xx], -1).clip(0, 255).astype(np.uint8)
    region = mosaic_mask(bar_mask(96, 128, box=(24, 32, 72, 96)), block=8)
    mosaic = apply_mosaic(truth, region, block=8)
    out = kintsugi.restore_mosaic(mosaic, region, method="mosaic-model")
    assert np.array_equal(out[~region], mosaic[~region])
    # Re-averaging each restored 8x8 block gives back the mosaic's colour (within rounding).
    blocks = out[24:72, 32:96].reshape(6, 8, 8, 8, 3).mean(axis=(1, 3))
    given = mosaic[24:72:8, 32:96:8].astype(float)
    assert np.abs(blocks - given).max() < 3
    # ...and it is closer to the art than the mosaic was.
    assert (
        np.abs(out[region].astype(int) - truth[region]).mean()
        < np.abs(mosaic[region].astype(int) - truth[region]).mean()
    )


def test_mosaic_model_keeps_a_grey_page_grey():
    from kintsugi.training.synth_art import halftone
    from kintsugi.training.synth_mosaic import apply_mosaic, mosaic_mask

    yy, xx = np.mgrid[0:96, 0:128]
    grey = halftone((xx * 2 + yy).clip(0, 255).astype(np.uint8), period=6.0, angle=0.5, soft=1.0)
    page = np.repeat(grey[..., None], 3, axis=2)  # R = G = B: a screened manga page
    region = mosaic_mask(bar_mask(96, 128, box=(24, 32, 72, 96)), block=8)
    mosaic = apply_mosaic(page, region, block=8)
    sess = model.session("mosaic")
    raw = model.run_network(sess, mosaic, region)
    out = model.restore_mosaic(sess, mosaic, region)
    assert np.array_equal(out[~region], mosaic[~region])
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 1] == out[..., 2]).all()
    # The raw network tints the page (it is trained mostly on colour); the rule is what fixes it.
    assert np.ptp(raw[region].astype(int), axis=-1).max() > 0
    assert not model.is_grey(np.dstack([grey, grey, grey + 1]))


def test_mosaic_model_continues_a_page_screen_under_the_mosaic():
    from kintsugi.detect import estimate_grid
    from kintsugi.methods.mosaic import enforce_block_means
    from kintsugi.training.synth_art import halftone
    from kintsugi.training.synth_mosaic import apply_mosaic, mosaic_mask

    yy, xx = np.mgrid[0:112, 0:144]
    tone = (90 + 40 * np.sin(xx / 30.0) + yy / 4).clip(0, 255).astype(np.uint8)
    page = np.repeat(halftone(tone, period=6.0, angle=0.4)[..., None], 3, axis=2)  # bitonal dots
    region = mosaic_mask(bar_mask(112, 144, box=(32, 40, 80, 104)), block=8)
    mosaic = apply_mosaic(page, region, block=8)
    sess = model.session("mosaic")
    out = model.restore_mosaic(sess, mosaic, region)
    smooth = model.keep_grey(model.run_network(sess, mosaic, region), region)
    smooth = enforce_block_means(smooth, mosaic, region, grid=estimate_grid(mosaic, region))
    error = np.abs(out[region].astype(int) - page[region]).mean()
    assert error < 0.5 * np.abs(smooth[region].astype(int) - page[region]).mean()
    assert np.array_equal(out[~region], mosaic[~region])


def test_regular_screen_is_told_from_plain_colour_art():
    from kintsugi.training.synth_art import screentone

    mask = bar_mask(96, 128, box=(32, 40, 64, 88))
    toned = np.full((96, 128, 3), (250, 220, 200), np.uint8)
    toned[screentone((96, 128), period=6, angle=0.3, radius=1.8)] = (120, 60, 90)  # colour tone
    assert model.regular_screen(toned, mask)
    assert not model.regular_screen(art(96, 128), mask)


def test_runtime_never_imports_torch():
    code = (
        "import sys, numpy as np, kintsugi\n"
        "img = np.full((40, 40, 3), 200, np.uint8); m = np.zeros((40, 40), bool); m[10:20, 10:30] = True\n"
        "kintsugi.inpaint(img, m, method='model'); kintsugi.restore_mosaic(img, m, method='mosaic-model')\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
