from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from synthetic import art, bar_mask, jpeg_roundtrip, paint, paint_soft, save

from kintsugi import masks
from kintsugi.errors import MaskError


def _grow(mask: np.ndarray, pixels: int) -> np.ndarray:
    kernel = np.ones((2 * pixels + 1, 2 * pixels + 1), np.uint8)
    return cv2.dilate(mask.astype(np.uint8), kernel) > 0


@pytest.mark.parametrize(
    "box",
    [(10, 12, 22, 40), (0, 0, 48, 5), (40, 50, 48, 64), (20, 30, 21, 31)],
    ids=["bar", "left-edge", "corner", "one-pixel"],
)
def test_exact_green_is_exactly_the_hole(box):
    clean = art()
    mask = bar_mask(*clean.shape[:2], box=box)
    found, report = masks.green_mask(paint(clean, mask))
    assert np.array_equal(found, mask)
    assert report.hole_pixels == mask.sum()
    assert report.fringe_pixels == 0
    assert report.regions == 1


def test_regions_are_counted():
    clean = art(64, 96)
    mask = bar_mask(64, 96, box=(5, 5, 15, 30)) | bar_mask(64, 96, box=(40, 50, 50, 90))
    _, report = masks.green_mask(paint(clean, mask))
    assert report.regions == 2
    assert "2 regions" in report.describe()


@pytest.mark.parametrize("background", [(250, 214, 190), (20, 20, 30), (255, 255, 255), (120, 60, 160)])
def test_anti_aliased_edge_is_absorbed(background):
    image = np.full((40, 60, 3), background, np.uint8)
    painted, alpha = paint_soft(image, bar_mask(40, 60, box=(12, 15, 28, 45)))
    found, report = masks.green_mask(painted)
    assert found[alpha >= 0.25].all(), "visible green edge left outside the hole"
    assert not found[alpha == 0].any(), "untouched art taken into the hole"
    assert report.fringe_pixels > 0
    assert "off-green edge" in report.describe()


def test_fringe_absorption_can_be_turned_off():
    image = np.full((40, 60, 3), 255, np.uint8)
    painted, alpha = paint_soft(image, bar_mask(40, 60, box=(12, 15, 28, 45)))
    found, report = masks.green_mask(painted, fringe_radius=0)
    assert report.fringe_pixels == 0
    assert not found[(alpha > 0) & (alpha < 0.7)].any()


GREEN_ART = {
    "dress": (40, 160, 60),
    "leaves": (34, 139, 34),
    "lime": (50, 205, 50),
    "mint": (152, 251, 152),
    "dark": (0, 100, 0),
}


@pytest.mark.parametrize("colour", GREEN_ART.values(), ids=GREEN_ART.keys())
def test_green_art_alone_is_not_a_hole(colour):
    image = art()
    cv2.rectangle(image, (5, 5), (50, 40), colour, -1)
    cv2.rectangle(image, (5, 5), (50, 40), (20, 20, 30), 1)  # ink outline, like real art
    found, report = masks.green_mask(image)
    assert not found.any()
    assert report.empty


@pytest.mark.parametrize(
    "colour", [GREEN_ART["dress"], GREEN_ART["leaves"], GREEN_ART["lime"]], ids=["dress", "leaves", "lime"]
)
@pytest.mark.parametrize("soft", [False, True], ids=["hard", "soft"])
def test_green_art_next_to_paint_survives(colour, soft):
    image = np.full((48, 80, 3), 255, np.uint8)
    cv2.rectangle(image, (0, 0), (50, 47), colour, -1)  # a green dress, x 0..50
    mask = bar_mask(48, 80, box=(10, 40, 30, 70))  # a bar overlapping its right edge
    painted, _ = paint_soft(image, mask) if soft else (paint(image, mask), None)
    found, _ = masks.green_mask(painted)
    dress = np.zeros((48, 80), bool)
    dress[:, :51] = True
    # At most the one-pixel blended border of the bar may go; the rest of the dress stays.
    assert not (found & dress & ~_grow(mask, 1)).any()
    assert found[mask].all()


@pytest.mark.parametrize("quality", [95, 80, 60])
def test_jpeg_drifted_green_is_found(quality):
    clean = art(64, 96, seed=3)
    mask = bar_mask(64, 96, box=(16, 20, 40, 70))
    drifted = jpeg_roundtrip(paint(clean, mask), quality=quality)
    found, report = masks.green_mask(drifted)
    assert found[mask].mean() > 0.995
    assert not (found & ~_grow(mask, 4)).any(), "hole grew beyond the fringe radius"
    # What JPEG left around the bar outside the hole must not be visibly green any more.
    outside = drifted[~found & _grow(mask, 4)].astype(int)
    excess = outside[:, 1] - np.maximum(outside[:, 0], outside[:, 2])
    assert excess.max(initial=0) < 120
    assert report.regions == 1


def test_anti_aliased_only_green_is_reported_not_guessed():
    # A faded stroke: never pure green, only a half-strength blend. No core, so no hole, but a hint.
    image = np.full((40, 60, 3), 255, np.uint8)
    stroke = bar_mask(40, 60, box=(18, 5, 21, 55))
    image[stroke] = (100, 230, 100)
    found, report = masks.green_mask(image)
    assert not found.any()
    assert report.greenish_pixels == stroke.sum()
    assert "not pure green" in report.describe()


def test_whole_image_green():
    found, report = masks.green_mask(np.zeros((20, 30, 3), np.uint8) + np.uint8([0, 255, 0]))
    assert found.all()
    assert report.regions == 1 and report.fringe_pixels == 0


def test_green_mask_rejects_wrong_input():
    with pytest.raises(MaskError, match="RGB uint8"):
        masks.green_mask(np.zeros((10, 10), np.uint8))


@pytest.mark.parametrize("with_alpha", [False, True])
def test_mask_from_file(tmp_path, with_alpha):
    values = np.zeros((20, 30, 3), np.uint8)
    values[5:10, 5:20] = 255
    alpha = None
    if with_alpha:
        alpha = np.full((20, 30), 255, np.uint8)
        alpha[5:10, 5:10] = 0  # transparent white is not a hole
    path = save(tmp_path / "m.png", values, alpha)
    mask = masks.mask_from_file(path, shape=(20, 30))
    expected = np.zeros((20, 30), bool)
    expected[5:10, 5:20] = True
    if with_alpha:
        expected[5:10, 5:10] = False
    assert np.array_equal(mask, expected)


def test_mask_file_of_another_size(tmp_path):
    path = save(tmp_path / "m.png", np.zeros((20, 30, 3), np.uint8))
    with pytest.raises(MaskError, match="mask is 30x20 but the image is 40x10"):
        masks.mask_from_file(path, shape=(10, 40))


@given(
    image=arrays(np.uint8, st.tuples(st.integers(1, 24), st.integers(1, 24), st.just(3))),
    data=st.data(),
)
def test_random_images_never_crash_and_keep_painted_pixels(image, data):
    mask = data.draw(arrays(np.bool_, image.shape[:2]))
    painted = paint(image, mask)
    found, report = masks.green_mask(painted)
    assert found.shape == mask.shape and found.dtype == np.bool_
    assert found[mask].all()
    assert report.hole_pixels == found.sum()
    assert report.hole_pixels - report.fringe_pixels >= mask.sum()


def _brush(image: np.ndarray, mask: np.ndarray, *, sigma: float) -> np.ndarray:
    """A soft brush: opaque over ``mask``, fading as exp(-d^2 / 2 sigma^2) outside it."""
    distance = cv2.distanceTransform((~mask).view(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    alpha = np.exp(-(distance**2) / (2 * sigma**2))[..., None]
    return np.rint(image * (1 - alpha) + np.array([0, 255, 0]) * alpha).astype(np.uint8)


def _clearly_green_left(painted: np.ndarray, hole: np.ndarray, art: np.ndarray) -> int:
    def excess(image: np.ndarray) -> np.ndarray:
        return image[..., 1].astype(int) - np.maximum(image[..., 0], image[..., 2])

    return int(np.count_nonzero(~hole & (excess(painted) >= 32) & (excess(painted) - excess(art) >= 32)))


def _stroke(height: int, width: int) -> np.ndarray:
    canvas = np.zeros((height, width), np.uint8)
    cv2.line(canvas, (12, 40), (70, 14), 1, thickness=6)
    cv2.rectangle(canvas, (20, 50), (60, 58), 1, -1)
    return canvas > 0


SCREENTONE = "screentone"


def _background(kind: object, height: int = 72, width: int = 96) -> np.ndarray:
    if kind == SCREENTONE:  # dots on paper, the texture that defeats single-pixel partners
        image = np.full((height, width, 3), 245, np.uint8)
        image[::3, ::3] = 40
        return image
    image = art(height, width, seed=2)
    if kind is not None:
        image[:, : width // 2] = kind  # half the picture a dress of this colour
    return image


@pytest.mark.parametrize(
    "kind", [None, GREEN_ART["dress"], GREEN_ART["mint"], SCREENTONE], ids=["art", "dress", "mint", "tone"]
)
def test_pencil_paint_is_exactly_the_hole(kind):
    clean = _background(kind)
    mask = _stroke(*clean.shape[:2])
    found, report = masks.green_mask(paint(clean, mask))
    assert np.array_equal(found, mask), f"{np.count_nonzero(found & ~mask)} art px taken"
    assert report.fringe_pixels == 0


@pytest.mark.parametrize("sigma", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("kind", [None, GREEN_ART["dress"], SCREENTONE], ids=["art", "dress", "tone"])
def test_soft_brush_leaves_no_green(kind, sigma):
    clean = _background(kind)
    mask = _stroke(*clean.shape[:2])
    painted = _brush(clean, mask, sigma=sigma)
    found, report = masks.green_mask(painted)
    assert _clearly_green_left(painted, found, clean) <= 5
    # The soft edge is taken to its width, not beyond: nothing 3 sigma + 3 px past the paint.
    assert not (found & ~_grow(mask, int(3 * sigma) + 3)).any()
    assert report.fringe_pixels > 0


def test_soft_brush_then_jpeg_leaves_no_green():
    clean = _background(None)
    mask = _stroke(*clean.shape[:2])
    painted = jpeg_roundtrip(_brush(clean, mask, sigma=2.0), quality=85)
    found, _ = masks.green_mask(painted)
    assert _clearly_green_left(painted, found, jpeg_roundtrip(clean, quality=85)) <= 5


def test_flat_green_blend_art_next_to_pencil_is_not_an_edge():
    # Mint (152,251,152) is exactly 40% green over white; a 2 px mint outline along a pencil
    # bar looks like a soft edge one ring deep, but its profile does not decay: kept.
    image = np.full((48, 64, 3), 255, np.uint8)
    cv2.rectangle(image, (8, 8), (52, 36), GREEN_ART["mint"], -1)
    mask = bar_mask(48, 64, box=(14, 14, 30, 46))
    found, _ = masks.green_mask(paint(image, mask))
    assert np.array_equal(found, mask)


def test_green_left_next_to_a_hole_is_reported():
    # A pencil bar, then a faint green halo the user added by hand 3 px away: kept as art (the
    # bar's edge is hard), and the report line says green-ish pixels touch the hole.
    image = np.full((48, 64, 3), 255, np.uint8)
    mask = bar_mask(48, 64, box=(16, 16, 32, 48))
    painted = paint(image, mask)
    halo = _grow(mask, 2) & ~mask
    painted[halo] = (150, 255, 150)
    found, report = masks.green_mask(painted)
    assert report.leftover_pixels > 0
    assert "green-ish px touch the hole" in report.describe()
