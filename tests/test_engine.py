from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from synthetic import GREEN, art, bar_mask, paint

import kintsugi
from kintsugi import engine, methods
from kintsugi.errors import InvalidInput, MethodError


@pytest.mark.parametrize("method", ["telea", "ns", None])
def test_inpaint_changes_only_the_hole(method):
    clean = art(48, 64)
    mask = bar_mask(48, 64, box=(10, 12, 22, 40))
    painted = paint(clean, mask)
    result = kintsugi.inpaint(painted, mask, method=method)
    assert result.dtype == np.uint8 and result.shape == painted.shape
    assert np.array_equal(result[~mask], painted[~mask])
    assert not (result[mask] == GREEN).all(axis=1).any(), "green left in the hole"
    # A flat-ish surrounding gives a plausible fill: close to the clean art on average.
    assert np.abs(result[mask].astype(int) - clean[mask]).mean() < 40
    assert (painted[mask] == GREEN).all(), "the input array was modified"


def test_integer_masks_are_accepted():
    painted = paint(art(), bar_mask(48, 64, box=(5, 5, 9, 9)))
    as_bool = kintsugi.inpaint(painted, bar_mask(48, 64, box=(5, 5, 9, 9)))
    as_uint8 = kintsugi.inpaint(painted, bar_mask(48, 64, box=(5, 5, 9, 9)).astype(np.uint8) * 255)
    assert np.array_equal(as_bool, as_uint8)


def test_empty_mask_returns_a_copy():
    image = art()
    result = kintsugi.inpaint(image, np.zeros((48, 64), bool))
    assert np.array_equal(result, image) and result is not image


@pytest.mark.parametrize("box", [(0, 0, 48, 64), (0, 0, 48, 3), (45, 0, 48, 64)], ids=["whole", "left", "bottom"])
def test_masks_covering_everything_or_touching_borders(box):
    mask = bar_mask(48, 64, box=box)
    painted = paint(art(), mask)
    result = kintsugi.inpaint(painted, mask, method="telea")
    assert np.array_equal(result[~mask], painted[~mask])
    assert not (result[mask] == GREEN).all(axis=1).any()
    if not (~mask).any():  # nothing to propagate: telea's documented flat mid-grey
        assert (result == 128).all()


@pytest.mark.parametrize(
    ("image", "mask", "message"),
    [
        (np.zeros((8, 8, 4), np.uint8), np.zeros((8, 8), bool), "alpha"),
        (np.zeros((8, 8, 3), np.float32), np.zeros((8, 8), bool), "uint8"),
        (np.zeros((8, 8), np.uint8), np.zeros((8, 8), bool), "HxWx3"),
        (np.zeros((8, 8, 3), np.uint8), np.zeros((8, 9), bool), "does not match"),
        (np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8), np.float32), "bool"),
        ([[0]], np.zeros((8, 8), bool), "numpy array"),
    ],
)
def test_contract_violations_are_explained(image, mask, message):
    with pytest.raises(InvalidInput, match=message):
        kintsugi.inpaint(image, mask)


def test_wrong_kind_of_method_is_refused(mosaic_test_method):
    with pytest.raises(MethodError, match="is for mosaic restoration, not inpainting"):
        kintsugi.inpaint(art(), bar_mask(48, 64, box=(1, 1, 5, 5)), method=mosaic_test_method)
    with pytest.raises(MethodError, match="is for inpainting, not mosaic restoration"):
        kintsugi.restore_mosaic(art(), bar_mask(48, 64, box=(1, 1, 5, 5)), method="telea")


def test_restore_mosaic_uses_the_original_pixels(mosaic_test_method):
    original = art()
    mask = bar_mask(48, 64, box=(10, 10, 20, 20))
    result = kintsugi.restore_mosaic(original, mask, method=mosaic_test_method)
    assert np.array_equal(result[~mask], original[~mask])
    assert not np.array_equal(result[mask], original[mask])


def test_large_crops_are_downscaled_and_only_the_hole_is_pasted():
    seen = []

    def flat_fill(image, mask):
        seen.append(image.shape)
        out = image.copy()
        out[mask] = 77
        return out

    methods.register("small-test", kind="inpaint", description="t", factory=lambda: flat_fill, max_side=16, margin=4)
    try:
        image = art(80, 120)
        mask = bar_mask(80, 120, box=(10, 10, 60, 100))
        result = kintsugi.inpaint(image, mask, method="small-test")
    finally:
        methods._registry.pop("small-test")
    assert max(seen[0][:2]) == 16
    assert np.array_equal(result[~mask], image[~mask])
    assert np.abs(result[mask].astype(int) - 77).max() <= 1  # cubic upscaling of a flat fill


@pytest.mark.parametrize(
    "bad_result",
    [lambda im: im[:-1], lambda im: im.astype(np.float32), lambda im: None],
    ids=["shape", "dtype", "none"],
)
def test_a_method_returning_garbage_is_reported(bad_result):
    methods.register("bad-test", kind="inpaint", description="t", factory=lambda: lambda im, m: bad_result(im))
    try:
        with pytest.raises(MethodError, match="'bad-test' returned"):
            kintsugi.inpaint(art(), bar_mask(48, 64, box=(1, 1, 5, 5)), method="bad-test")
    finally:
        methods._registry.pop("bad-test")


def test_a_method_writing_into_its_input_cannot_touch_the_caller():
    def vandal(image, mask):
        image[:] = 0
        return image

    methods.register("vandal-test", kind="inpaint", description="t", factory=lambda: vandal)
    try:
        image = art()
        before = image.copy()
        result = kintsugi.inpaint(image, bar_mask(48, 64, box=(1, 1, 5, 5)), method="vandal-test")
    finally:
        methods._registry.pop("vandal-test")
    assert np.array_equal(image, before)
    mask = bar_mask(48, 64, box=(1, 1, 5, 5))
    assert np.array_equal(result[~mask], before[~mask])


@given(
    image=arrays(np.uint8, st.tuples(st.integers(1, 32), st.integers(1, 32), st.just(3))),
    data=st.data(),
)
def test_outside_hole_never_changes(image, data):
    mask = data.draw(arrays(np.bool_, image.shape[:2]))
    result = engine.fill_holes(image, mask, method="telea")
    assert result.shape == image.shape and result.dtype == np.uint8
    assert np.array_equal(result[~mask], image[~mask])


@pytest.mark.parametrize("quality", [95, 75])
def test_jpeg_painted_image_leaves_no_green_tint(quality):
    from synthetic import jpeg_roundtrip

    from kintsugi.masks import green_mask

    clean = art(64, 96, seed=3)
    painted = jpeg_roundtrip(paint(clean, bar_mask(64, 96, box=(16, 20, 40, 70))), quality=quality)
    mask, _ = green_mask(painted)
    result = kintsugi.inpaint(painted, mask).astype(int)
    excess = result[..., 1] - np.maximum(result[..., 0], result[..., 2])
    clean_excess = clean[..., 1].astype(int) - np.maximum(clean[..., 0], clean[..., 2])
    assert excess[mask].mean() < clean_excess[mask].mean() + 10, "chroma bleed was propagated into the fill"
