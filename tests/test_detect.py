"""Mosaic detection: grid estimation, regions, and no false alarms on flat-colour art."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from kintsugi.detect import Detection, Grid, detect_mosaic, estimate_grid
from kintsugi.training.synth_mosaic import apply_mosaic, jpeg_roundtrip, mosaic_mask


def painting(height: int = 160, width: int = 200, *, seed: int = 0) -> np.ndarray:
    """Detailed art (RGB uint8 HxWx3): smooth colour waves under anti-aliased shapes and ink."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    chans = [128 + 90 * np.sin(xx / rng.uniform(7, 15) + yy / rng.uniform(9, 19) + rng.uniform(0, 6)) for _ in range(3)]
    image = np.clip(np.stack(chans, axis=-1), 0, 255).astype(np.uint8)
    for _ in range(12):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        axes = (int(rng.integers(4, 30)), int(rng.integers(4, 30)))
        cv2.ellipse(image, centre, axes, float(rng.uniform(0, 180)), 0, 360, colour, -1, cv2.LINE_AA)
        cv2.ellipse(image, centre, axes, float(rng.uniform(0, 180)), 0, 360, (20, 20, 30), 1, cv2.LINE_AA)
    return image


def flat_art(kind: str, height: int = 160, width: int = 200) -> np.ndarray:
    """Flat-colour art with large constant areas and no mosaic."""
    image = np.full((height, width, 3), 255, np.uint8)
    if kind == "blobs":  # anime-like: flat fills with ink outlines
        for centre, axes, colour in (
            ((60, 70), (50, 40), (250, 214, 190)),
            ((140, 90), (45, 60), (90, 120, 220)),
            ((110, 40), (30, 20), (230, 60, 80)),
        ):
            cv2.ellipse(image, centre, axes, 20, 0, 360, colour, -1, cv2.LINE_AA)
            cv2.ellipse(image, centre, axes, 20, 0, 360, (20, 20, 30), 2, cv2.LINE_AA)
    elif kind == "grid-aligned boxes":  # clip-art / UI boxes whose edges all sit on multiples of 8
        colours = [(200, 40, 40), (40, 160, 60), (40, 60, 200), (240, 200, 40), (120, 120, 120)]
        for i, (y, x) in enumerate(((8, 8), (8, 88), (64, 16), (64, 120), (112, 56))):
            image[y : y + 40, x : x + 64] = colours[i]
    elif kind == "touching boxes":  # flat colour patches meeting edge to edge, like a flag or chart
        image[:, :] = (30, 60, 160)
        image[40:120, 0:96] = (220, 30, 40)
        image[40:120, 96:200] = (250, 250, 250)
        image[80:160, 48:144] = (40, 170, 70)
    elif kind == "gradient":
        ramp = np.linspace(0, 255, width, dtype=np.float32)
        image[:] = np.stack([ramp, 255 - ramp, np.full(width, 128.0)], axis=1).astype(np.uint8)[None]
    elif kind == "screentone":
        yy, xx = np.mgrid[0:height, 0:width]
        image[((yy % 6 - 3) ** 2 + (xx % 6 - 3) ** 2) <= 3] = 60
    elif kind == "pixel text":
        rng = np.random.default_rng(3)
        for row in range(12, height - 16, 16):  # rows of glyph-like 1-2 px strokes
            for col in range(8, width - 8, 7):
                glyph = rng.random((9, 5)) < 0.4
                image[row : row + 9, col : col + 5][glyph] = 0
    else:
        raise ValueError(kind)
    return image


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a & b) / max(np.count_nonzero(a | b), 1))


def mosaicked(block: int, phase: tuple[int, int], *, jpeg: int | None = None, seed: int = 0):
    image = painting(seed=seed)
    mask = np.zeros(image.shape[:2], bool)
    mask[30:130, 40:170] = True
    out = apply_mosaic(image, mask, block=block, phase=phase, jpeg_quality=jpeg)
    return out, mosaic_mask(mask, block=block, phase=phase)


@pytest.mark.parametrize("block", [4, 5, 6, 8, 11, 12, 16, 24, 32])
@pytest.mark.parametrize("phase", [(0, 0), (3, 1), (-1, 2)])
def test_estimate_grid_exact_on_clean_mosaic(block, phase):
    phase = (phase[0] % block, phase[1] % block)
    image, region = mosaicked(block, phase, seed=block)
    grid = estimate_grid(image, region)
    assert (grid.block, grid.phase_y, grid.phase_x) == (block, *phase)
    assert grid.confidence > 0.8


@pytest.mark.parametrize("block", [6, 8, 12, 16, 24])
def test_estimate_grid_after_jpeg(block):
    phase = (block // 3, block - 1)
    image, region = mosaicked(block, phase, jpeg=85, seed=block)
    grid = estimate_grid(image, region)
    assert (grid.block, grid.phase_y, grid.phase_x) == (block, *phase)


def test_estimate_grid_without_mask_and_without_structure():
    image, _ = mosaicked(10, (4, 7))
    assert (estimate_grid(image).block, estimate_grid(image).phase_x) == (10, 7)
    flat = np.full((64, 64, 3), 90, np.uint8)
    assert estimate_grid(flat).confidence == 0.0


@pytest.mark.parametrize("block", [6, 8, 12, 16, 24])
@pytest.mark.parametrize("jpeg", [None, 85])
def test_detect_finds_the_mosaic(block, jpeg):
    phase = ((block * 2) // 5, block // 2)
    image, region = mosaicked(block, phase, jpeg=jpeg, seed=block + 1)
    found = detect_mosaic(image)
    assert isinstance(found, Detection) and found.mask.dtype == np.bool_
    assert iou(found.mask, region) >= 0.9
    assert len(found.regions) == 1
    r = found.regions[0]
    assert (r.block, r.phase) == (block, phase)
    ys, xs = np.nonzero(region)
    y0, x0, y1, x1 = r.box
    assert abs(x0 - xs.min()) <= block and abs(y1 - (ys.max() + 1)) <= block


def test_detect_two_mosaics_with_different_grids():
    image = painting(200, 320, seed=7)
    a = np.zeros(image.shape[:2], bool)
    a[20:110, 10:120] = True
    b = np.zeros(image.shape[:2], bool)
    b[80:190, 180:310] = True
    out = apply_mosaic(image, a, block=8, phase=(2, 3))
    out = apply_mosaic(out, b, block=14, phase=(5, 0))
    found = detect_mosaic(out)
    assert sorted((r.block, r.phase) for r in found.regions) == [(8, (2, 3)), (14, (5, 0))]
    truth = mosaic_mask(a, block=8, phase=(2, 3)) | mosaic_mask(b, block=14, phase=(5, 0))
    assert iou(found.mask, truth) >= 0.9


@pytest.mark.parametrize(
    "kind", ["blobs", "grid-aligned boxes", "touching boxes", "gradient", "screentone", "pixel text"]
)
@pytest.mark.parametrize("jpeg", [None, 85])
def test_flat_art_is_not_a_mosaic(kind, jpeg):
    image = flat_art(kind)
    if jpeg:
        image = jpeg_roundtrip(image, jpeg)
    found = detect_mosaic(image)
    assert found.regions == [] and not found.mask.any()


def test_clean_detailed_art_is_not_a_mosaic():
    for seed in range(4):
        assert detect_mosaic(painting(seed=seed)).regions == []


def test_detect_rejects_bad_input_and_tiny_images():
    with pytest.raises(ValueError):
        detect_mosaic(np.zeros((20, 20), np.uint8))
    with pytest.raises(ValueError):
        detect_mosaic(np.zeros((20, 20, 3), np.float32))
    with pytest.raises(ValueError):
        estimate_grid(np.zeros((20, 20, 3), np.uint8), np.zeros((20, 21), bool))
    with pytest.raises(ValueError):
        detect_mosaic(np.zeros((20, 20, 3), np.uint8), min_block=9, max_block=8)
    assert not detect_mosaic(np.zeros((3, 5, 3), np.uint8)).mask.any()


def test_grid_is_frozen_and_hashable():
    # A Grid is a value that callers pass on (to restore_cubic, to enforce_block_means): nobody
    # may change it after estimate_grid returns it.
    g = estimate_grid(*mosaicked(8, (2, 3), seed=1))
    assert (g.block, g.phase_y, g.phase_x) == (8, 2, 3)
    assert hash(g) == hash(Grid(g.block, g.phase_y, g.phase_x, g.confidence))
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.block = 4


# --- shape prior: flat blocks inside a mosaic belong to it; separate mosaics stay separate ----


def disc_with_rim(seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Detailed art with a large flat disc in it, and a censor mask over the disc and a textured
    rim around it: most of the mosaic lies over flat paint, where it changes nothing."""
    image = painting(200, 240, seed=seed)
    cv2.circle(image, (120, 100), 55, (236, 200, 170), -1, cv2.LINE_AA)
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.circle(mask, (120, 100), 72, 1, -1)
    return image, mask.astype(bool)


@pytest.mark.parametrize("block", [6, 8, 12])
@pytest.mark.parametrize("jpeg", [None, 85])
def test_mosaic_over_flat_disc_is_recovered_whole(block, jpeg):
    image, mask = disc_with_rim()
    phase = (block // 2, 1)
    out = apply_mosaic(image, mask, block=block, phase=phase, jpeg_quality=jpeg)
    region = mosaic_mask(mask, block=block, phase=phase)
    found = detect_mosaic(out)
    assert [(r.block, r.phase) for r in found.regions] == [(block, phase)]
    assert iou(found.mask, region) >= 0.9


def test_two_mosaics_on_one_grid_are_not_merged_across_clean_art():
    image = painting(200, 320, seed=11)
    a = np.zeros(image.shape[:2], bool)
    a[40:160, 16:128] = True
    b = np.zeros(image.shape[:2], bool)
    b[40:160, 192:304] = True  # 64 px (8 blocks) of untouched art between them
    out = apply_mosaic(image, a | b, block=8, phase=(0, 0))
    found = detect_mosaic(out)
    assert len(found.regions) == 2
    assert not found.mask[:, 136:184].any()
    truth = mosaic_mask(a | b, block=8, phase=(0, 0))
    assert iou(found.mask, truth) >= 0.9


@pytest.mark.parametrize("jpeg", [None, 85])
def test_flat_disc_without_mosaic_gives_nothing(jpeg):
    image, _ = disc_with_rim()
    if jpeg:
        image = jpeg_roundtrip(image, jpeg)
    found = detect_mosaic(image)
    assert found.regions == []
    assert not found.mask.any()


# --- texture islands: a mosaic over paper grain has no junctions, only flat blocks in grain ----


def paper(height: int = 160, width: int = 200, *, sigma: float = 5.0, seed: int = 0) -> np.ndarray:
    """Light paper with grey grain (RGB uint8 HxWx3), as scanned or textured pages have."""
    rng = np.random.default_rng(seed)
    grain = rng.normal(0, sigma, (height, width, 1))
    return np.clip(np.array([236.0, 228.0, 214.0]) + grain, 0, 255).astype(np.uint8)


def grain_mosaic(block: int, *, sigma: float) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """(image, the mosaic's whole blocks, phase): an 80x100 mosaic over paper grain."""
    image = paper(sigma=sigma)
    mask = np.zeros(image.shape[:2], bool)
    mask[40:120, 50:150] = True
    phase = (block // 2, 1)
    return apply_mosaic(image, mask, block=block, phase=phase), mosaic_mask(mask, block=block, phase=phase), phase


@pytest.mark.parametrize("block", [6, 8, 12])
@pytest.mark.parametrize("sigma", [3.0, 6.0])
def test_mosaic_over_paper_grain_is_found(block, sigma):
    image, region, phase = grain_mosaic(block, sigma=sigma)
    found = detect_mosaic(image)
    assert [(r.block, r.phase) for r in found.regions] == [(block, phase)]
    assert iou(found.mask, region) >= 0.9


@pytest.mark.parametrize("jpeg", [None, 85])
def test_flat_shapes_on_paper_grain_are_not_mosaics(jpeg):
    # Flat fills on grain: a disc with an ink outline, a red box, and a panel of the paper's own
    # colour framed in ink, both boxes with edges on multiples of 8 (as JPEG's blocks have).
    # (A frameless flat box of the paper's colour is left out on purpose: nothing tells it from
    # a mosaic of big blocks over grain whose block means all round to the paper's colour.)
    image = paper(seed=1)
    cv2.circle(image, (60, 80), 35, (250, 214, 190), -1, cv2.LINE_AA)
    cv2.circle(image, (60, 80), 35, (20, 20, 30), 2, cv2.LINE_AA)
    image[24:64, 120:184] = (200, 60, 60)
    image[96:136, 112:176] = (236, 228, 214)
    cv2.rectangle(image, (112, 96), (175, 135), (40, 40, 40), 2)
    if jpeg:
        image = jpeg_roundtrip(image, jpeg)
    assert detect_mosaic(image).regions == []


def test_grid_by_purity_recovers_a_staircase_outline():
    from kintsugi.detect.grid import grid_by_purity as _grid_by_purity

    cells = np.zeros((9, 11), bool)
    cells[2:7, 3:9] = True
    cells[1, 4:6] = True  # a staircase, not a plain rectangle
    shape = np.zeros((100, 120), bool)
    for y, x in zip(*np.nonzero(cells)):
        shape[3 + 10 * y : 13 + 10 * y, 7 + 10 * x : 17 + 10 * x] = True
    score, block, py, px = _grid_by_purity(shape, min_block=4, max_block=32)
    assert (block, py, px) == (10, 3, 7)
    assert score > 0.95
    disc = np.zeros((100, 120), np.uint8)
    cv2.circle(disc, (60, 50), 30, 1, -1)
    assert _grid_by_purity(disc.astype(bool), min_block=4, max_block=32)[0] < 0.85


@pytest.mark.parametrize("block", [6, 8, 12])
def test_estimate_grid_of_a_mosaic_over_paper_grain(block):
    # Its blocks differ by a level or two (below the step-energy floor): the exact changes inside
    # the mask give the grid, where the border alone would fit many periods.
    image, region, phase = grain_mosaic(block, sigma=4.0)
    grid = estimate_grid(image, region)
    assert (grid.block, grid.phase_y, grid.phase_x) == (block, *phase)


@pytest.mark.parametrize("block", [6, 8, 12])
def test_mosaic_over_paper_grain_after_jpeg_is_found(block):
    # JPEG leaves a level or few of ripple in every block, so no 3x3 window is exactly flat, and
    # its own 8 px grid outweighs the steps between the blocks: the nearly flat island is found.
    image, region, _ = grain_mosaic(block, sigma=6.0)
    found = detect_mosaic(jpeg_roundtrip(image, 85))
    assert len(found.regions) == 1
    assert iou(found.mask, region) >= 0.85


def test_mosaic_over_paper_grain_beside_an_ink_line_is_found():
    # The blocks end where a flat black line starts: the island must not join the line's flat
    # pixels across the 1 px rims (then its band would hold the line and its colour the ink's).
    image = paper(sigma=6.0)
    image[:, 150:160] = (20, 20, 30)
    mask = np.zeros(image.shape[:2], bool)
    mask[40:120, 50:150] = True
    found = detect_mosaic(apply_mosaic(image, mask, block=10, phase=(0, 0)))
    assert [(r.block, r.phase) for r in found.regions] == [(10, (0, 0))]
    assert iou(found.mask, mask) >= 0.9


def soft_noise(*, sigma: float, amplitude: float, seed: int) -> np.ndarray:
    """Paper with blurred noise (RGB uint8 160x200x3): it has smooth spots of its own."""
    rng = np.random.default_rng(seed)
    noise = cv2.GaussianBlur(rng.normal(0, 1, (160, 200)).astype(np.float32), (0, 0), sigma)
    noise *= amplitude / noise.std()
    return np.clip(np.array([236.0, 228.0, 214.0]) + noise[..., None], 0, 255).astype(np.uint8)


@pytest.mark.parametrize(("sigma", "amplitude"), [(1.0, 4.0), (1.5, 6.0)])
@pytest.mark.parametrize("seed", range(4))
def test_smooth_spots_of_soft_noise_after_jpeg_are_not_mosaics(sigma, amplitude, seed):
    # Nearly flat islands in texture, like a mosaic over grain after JPEG, but blotchy and only
    # about half as smooth as the noise around them.
    assert detect_mosaic(jpeg_roundtrip(soft_noise(sigma=sigma, amplitude=amplitude, seed=seed), 85)).regions == []


# --- shape prior on lossless images: only cells as flat as the mosaic's own blocks join it ----


def test_smooth_shading_beside_a_lossless_mosaic_is_left_out():
    # Detailed art on the left, smooth shading (about a level of luma per pixel: constant enough
    # for the cell test, not exactly flat) on the right; a round mosaic covers the boundary. Its
    # blocks are exactly flat, so the shading in its bounding box must not join the region.
    image = painting(160, 200, seed=4)
    ramp = np.linspace(40, 190, 100, dtype=np.float32)
    shade = np.stack([ramp, ramp * 0.8 + 20, 200 - ramp * 0.5], axis=-1)
    image[:, 100:] = np.clip(shade[None], 0, 255).astype(np.uint8)
    disc = np.zeros(image.shape[:2], np.uint8)
    cv2.circle(disc, (100, 80), 52, 1, -1)  # a round censor: its bounding box holds shading
    phase = (3, 5)
    region = mosaic_mask(disc > 0, block=8, phase=phase)
    found = detect_mosaic(apply_mosaic(image, disc > 0, block=8, phase=phase))
    assert [(r.block, r.phase) for r in found.regions] == [(8, phase)]
    assert np.count_nonzero((found.mask & ~region)[:, 101:]) == 0  # cells wholly in the shading
    assert iou(found.mask, region) >= 0.8


def test_a_mosaic_over_a_line_is_followed_past_the_junctions():
    # Junction-rich detail at the top, then the mosaic runs down a single ink line: a column of
    # blocks, each stepping to the paper on both sides, with no junction along it (6 blocks:
    # the cells are tested up to 6 blocks past the corners; without the growth 60% is found).
    image = np.full((220, 240, 3), 250, np.uint8)
    image[24:88, 96:176] = painting(64, 80, seed=3)
    image[:, 148:154] = (200, 30, 20)
    mask = np.zeros(image.shape[:2], bool)
    mask[24:88, 96:176] = True
    mask[88:136, 144:160] = True
    out = apply_mosaic(image, mask, block=8, phase=(0, 0))
    found = detect_mosaic(out)
    column = mosaic_mask(mask, block=8, phase=(0, 0))
    column[:96] = False
    assert found.mask[column].mean() >= 0.9
    assert not found.mask[:, :88].any() and not found.mask[:, 184:].any()


def test_bar_detection_runs_in_several_threads_at_once():
    # The line segment detector is per thread: a shared OpenCV one crashed the process here.
    from concurrent.futures import ThreadPoolExecutor

    from kintsugi.detect import KINDS, detect_censors

    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    image[40:60, 20:140] = 0
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: detect_censors(image, kinds=KINDS).mask(), range(8)))
    assert all(np.array_equal(r, results[0]) for r in results)
