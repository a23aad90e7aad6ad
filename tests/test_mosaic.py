"""Synthetic mosaics (training.synth_mosaic) and classical restoration (methods.mosaic)."""

from __future__ import annotations

import numpy as np
import pytest

from kintsugi.detect import Grid
from kintsugi.methods.mosaic import block_means, enforce_block_means, restore_cubic
from kintsugi.training.synth_mosaic import (
    MosaicParams,
    apply_mosaic,
    jpeg_roundtrip,
    mosaic_mask,
    random_mosaic_params,
)


def smooth(height: int = 96, width: int = 128) -> np.ndarray:
    """A smooth colour field (RGB uint8 HxWx3): what cubic interpolation should recover well."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    chans = [128 + 100 * np.sin(xx / 17 + yy / 23), 128 + 90 * np.cos(yy / 13), (xx + yy) * 1.1]
    return np.clip(np.stack(chans, axis=-1), 0, 255).astype(np.uint8)


def lines(height: int = 96, width: int = 128) -> np.ndarray:
    """Ink lines on paper."""
    image = np.full((height, width, 3), 245, np.uint8)
    image[::9] = (30, 30, 40)
    image[:, 5::13] = (200, 60, 60)
    return image


def rect(shape: tuple[int, int], y0: int, x0: int, y1: int, x1: int) -> np.ndarray:
    mask = np.zeros(shape, bool)
    mask[y0:y1, x0:x1] = True
    return mask


def psnr(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64)[where] - b.astype(np.float64)[where]) ** 2)
    return 99.0 if mse == 0 else float(10 * np.log10(255.0**2 / mse))


# --- synth_mosaic -----------------------------------------------------------------------------


@pytest.mark.parametrize("block", [4, 7, 8, 16, 24])
@pytest.mark.parametrize("phase", [(0, 0), (3, 5), (1, 0)])
def test_mosaic_mask_is_the_union_of_touched_blocks(block, phase):
    phase = (phase[0] % block, phase[1] % block)
    mask = rect((70, 90), 20, 31, 22, 33)  # a tiny 2x2 mark
    region = mosaic_mask(mask, block=block, phase=phase)
    assert region[mask].all()
    ys, xs = np.nonzero(region)
    # Whole blocks: the region starts and ends on grid lines (or the image border).
    for lo, hi, p, n in ((ys.min(), ys.max() + 1, phase[0], 70), (xs.min(), xs.max() + 1, phase[1], 90)):
        assert lo == 0 or (lo - p) % block == 0
        assert hi == n or (hi - p) % block == 0
        assert hi - lo <= 2 * block


@pytest.mark.parametrize("sampling", ["mean", "center"])
def test_apply_mosaic_makes_constant_blocks_and_leaves_the_rest(sampling):
    image = smooth()
    mask = rect(image.shape[:2], 10, 20, 60, 90)
    out = apply_mosaic(image, mask, block=8, phase=(2, 6), sampling=sampling)
    region = mosaic_mask(mask, block=8, phase=(2, 6))
    assert (out[~region] == image[~region]).all()
    block = out[18:26, 22:30]  # one whole block: rows 18..25, columns 22..29
    assert (block == block[0, 0]).all()
    if sampling == "mean":
        assert np.abs(block[0, 0].astype(float) - image[18:26, 22:30].mean(axis=(0, 1))).max() <= 0.5
    else:
        assert (block[0, 0] == image[21, 25]).all()
    assert not (out[region] == image[region]).all()


def test_apply_mosaic_partial_border_blocks_average_in_image_pixels():
    image = smooth(20, 20)
    out = apply_mosaic(image, np.ones((20, 20), bool), block=8, phase=(3, 3))
    corner = image[:3, :3].reshape(-1, 3).mean(axis=0)  # the 3x3 partial block at the top left
    assert np.abs(out[0, 0].astype(float) - corner).max() <= 0.5


def test_apply_mosaic_blur_and_jpeg():
    image = smooth()
    mask = rect(image.shape[:2], 10, 20, 60, 90)
    region = mosaic_mask(mask, block=8, phase=(0, 0))
    sharp = apply_mosaic(image, mask, block=8)
    blurred = apply_mosaic(image, mask, block=8, blur=1.0)
    assert (blurred[~region] == image[~region]).all()
    assert np.abs(blurred.astype(int) - sharp).max() > 0
    jpg = apply_mosaic(image, mask, block=8, jpeg_quality=85)
    assert np.abs(jpg.astype(int) - sharp).mean() < 4  # recompressed, not destroyed
    assert (jpg == jpeg_roundtrip(sharp, 85)).all()


def test_apply_mosaic_rejects_bad_input():
    image = smooth(16, 16)
    with pytest.raises(ValueError):
        apply_mosaic(image, np.ones((16, 16), np.uint8), block=8)
    with pytest.raises(ValueError):
        apply_mosaic(image.astype(np.float32), np.ones((16, 16), bool), block=8)
    with pytest.raises(ValueError):
        apply_mosaic(image, np.ones((16, 16), bool), block=1)
    with pytest.raises(ValueError):
        apply_mosaic(image, np.ones((16, 16), bool), block=4, sampling="median")


def test_random_params_cover_the_spec_and_are_deterministic():
    draws = [random_mosaic_params(np.random.default_rng(s)) for s in range(400)]
    assert draws[:5] == [random_mosaic_params(np.random.default_rng(s)) for s in range(5)]
    blocks = {d.block for d in draws}
    assert min(blocks) == 4 and max(blocks) == 24
    assert all(0 <= d.phase[0] < d.block and 0 <= d.phase[1] < d.block for d in draws)
    assert {d.sampling for d in draws} == {"mean", "center"}
    assert any(d.blur > 0 for d in draws) and any(d.blur == 0 for d in draws)
    assert any(d.jpeg_quality is None for d in draws) and any(d.jpeg_quality for d in draws)
    p = draws[0]
    assert isinstance(p, MosaicParams)
    image = smooth(40, 40)
    out = apply_mosaic(image, rect((40, 40), 5, 5, 30, 30), **p.kwargs())
    assert out.shape == image.shape and out.dtype == np.uint8


# --- restoration ------------------------------------------------------------------------------


@pytest.mark.parametrize("block", [6, 8, 12, 16])
@pytest.mark.parametrize("jpeg", [None, 85])
def test_restore_cubic_beats_nearest_on_smooth_art(block, jpeg):
    image = smooth()
    mask = rect(image.shape[:2], 16, 24, 80, 110)
    mosaic = apply_mosaic(image, mask, block=block, phase=(5 % block, 3), jpeg_quality=jpeg)
    region = mosaic_mask(mask, block=block, phase=(5 % block, 3))
    out = restore_cubic(mosaic, region)
    assert (out[~region] == mosaic[~region]).all()  # only the mask changes
    assert psnr(out, image, region) > psnr(mosaic, image, region) + 6


def test_restore_cubic_changes_the_mask_and_takes_a_given_grid():
    image = lines()
    mask = rect(image.shape[:2], 8, 8, 72, 100)
    mosaic = apply_mosaic(image, mask, block=8, phase=(0, 0))
    region = mosaic_mask(mask, block=8, phase=(0, 0))
    out = restore_cubic(mosaic, region, grid=Grid(block=8, phase_y=0, phase_x=0, confidence=1.0))
    assert (out[region] != mosaic[region]).any()
    assert (out[~region] == mosaic[~region]).all()
    assert restore_cubic(mosaic, np.zeros_like(region)) is not mosaic
    assert (restore_cubic(mosaic, np.zeros_like(region)) == mosaic).all()


def test_restore_cubic_of_a_flat_mosaic_is_flat():
    image = np.full((40, 40, 3), 77, np.uint8)
    mask = rect((40, 40), 8, 8, 32, 32)
    assert (restore_cubic(apply_mosaic(image, mask, block=8), mask) == 77).all()


def test_block_means_use_the_mosaic_inside_and_context_outside():
    image = smooth(32, 32)
    mask = rect((32, 32), 0, 0, 16, 32)
    means = block_means(image, mask, Grid(block=8, phase_y=0, phase_x=0, confidence=1.0))
    assert means.shape == (4, 4, 3)
    assert np.allclose(means[3, 1], image[24:32, 8:16].reshape(-1, 3).mean(axis=0), atol=1e-3)


def test_enforce_block_means_restores_the_evidence():
    image = smooth()
    mask = rect(image.shape[:2], 16, 16, 80, 112)
    grid = Grid(block=8, phase_y=0, phase_x=0, confidence=1.0)
    mosaic = apply_mosaic(image, mask, block=8)
    guess = np.full_like(image, 128)  # a restoration that ignores the evidence
    guess[~mask] = mosaic[~mask]
    fixed = enforce_block_means(guess, mosaic, mask, grid=grid)
    assert (fixed[~mask] == guess[~mask]).all()
    want = block_means(mosaic, mask, grid)[2:10, 2:14]
    got = block_means(fixed, mask, grid)[2:10, 2:14]
    assert np.abs(got - want).max() < 2.0
    assert psnr(fixed, image, mask) > psnr(guess, image, mask) + 10


def test_restore_rejects_bad_input():
    with pytest.raises(ValueError):
        restore_cubic(np.zeros((8, 8, 3), np.uint8), np.zeros((8, 9), bool))
    with pytest.raises(ValueError):
        restore_cubic(np.zeros((8, 8), np.uint8), np.zeros((8, 8), bool))
