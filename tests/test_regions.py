from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kintsugi import regions


def _overlap(a: regions.Box, b: regions.Box) -> bool:
    return a.y0 < b.y1 and b.y0 < a.y1 and a.x0 < b.x1 and b.x0 < a.x1


def _check_cover(mask: np.ndarray, boxes: list[regions.Box]) -> None:
    covered = np.zeros(mask.shape, np.int32)
    for box in boxes:
        assert 0 <= box.y0 < box.y1 <= mask.shape[0] and 0 <= box.x0 < box.x1 <= mask.shape[1]
        covered[box.slices] += 1
    assert (covered[mask] == 1).all(), "every hole pixel lies in exactly one box"
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not _overlap(a, b)


def test_far_regions_get_separate_boxes_with_margin():
    mask = np.zeros((100, 200), bool)
    mask[10:20, 10:20] = True
    mask[70:80, 150:190] = True
    boxes = regions.hole_boxes(mask, margin=5)
    assert boxes == [regions.Box(5, 5, 25, 25), regions.Box(65, 145, 85, 195)]


@pytest.mark.parametrize("gap", [1, 9])
def test_overlapping_boxes_merge(gap):
    mask = np.zeros((60, 100), bool)
    mask[10:20, 10:30] = True
    mask[10:20, 30 + gap : 50] = True  # boxes with margin 5 overlap when the gap < 10
    assert regions.hole_boxes(mask, margin=5) == [regions.Box(5, 5, 25, 55)]


def test_chain_of_merges_is_followed():
    # A and C only overlap through the merged box of A+B.
    mask = np.zeros((100, 100), bool)
    mask[10:12, 10:12] = True  # A
    mask[10:40, 18:20] = True  # B, overlaps A's box
    mask[45:47, 5:7] = True  # C, overlaps the A+B box but neither alone
    boxes = regions.hole_boxes(mask, margin=4)
    _check_cover(mask, boxes)
    assert len(boxes) == 1


@pytest.mark.parametrize(
    "cut",
    [(slice(None), slice(None)), (slice(0, 3), slice(None)), (slice(None), slice(-2, None))],
    ids=["all", "top", "right"],
)
def test_border_and_whole_image_masks_are_clipped(cut):
    mask = np.zeros((30, 40), bool)
    mask[cut] = True
    boxes = regions.hole_boxes(mask, margin=8)
    _check_cover(mask, boxes)
    assert len(boxes) == 1


def test_large_page_uses_coarse_merging_and_stays_exact(monkeypatch):
    # A big page merges on a coarse canvas (here 16 px cells, as a 4000x6000 page would get
    # with the real canvas size); the boxes must still come back at exact pixel coordinates.
    monkeypatch.setattr(regions, "_MERGE_CANVAS_CELLS", 64)
    mask = np.zeros((100, 150), bool)
    mask[20:24, 20:50] = True
    mask[70:73, 100:140] = True
    boxes = regions.hole_boxes(mask, margin=3)
    assert boxes == [regions.Box(17, 17, 27, 53), regions.Box(67, 97, 76, 143)]


def test_empty_mask_has_no_boxes():
    assert regions.hole_boxes(np.zeros((5, 5), bool), margin=3) == []
    assert regions.count_regions(np.zeros((5, 5), bool)) == 0


def test_paste_holes_touches_only_the_hole():
    target = np.zeros((10, 10, 3), np.uint8)
    filled = np.full((4, 4, 3), 200, np.uint8)
    hole = np.zeros((4, 4), bool)
    hole[1, 2] = True
    regions.paste_holes(target, filled, mask=hole, box=regions.Box(3, 3, 7, 7))
    assert target[4, 5].tolist() == [200, 200, 200]
    assert target.sum() == 600


@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 1), bool)])
def test_hole_boxes_rejects_non_bool_masks(bad):
    with pytest.raises(ValueError, match="bool HxW"):
        regions.hole_boxes(bad, margin=1)


@given(mask=arrays(np.bool_, st.tuples(st.integers(1, 40), st.integers(1, 40))), margin=st.integers(0, 12))
def test_random_masks_give_disjoint_covering_boxes(mask, margin):
    boxes = regions.hole_boxes(mask, margin=margin)
    _check_cover(mask, boxes)
    assert regions.count_regions(mask) >= len(boxes)
