"""Censor bars: solid and translucent bars found, drawn shapes left alone, un-blending, --kinds."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from synthetic import jpeg_roundtrip, load, save

from kintsugi import cli, repair
from kintsugi.detect import KINDS, check_kinds, detect_censors, find_solid_bars, find_translucent_bars
from kintsugi.detect.bars import member_distance, polygon_mask


def busy_art(height: int = 160, width: int = 220, *, seed: int = 0) -> np.ndarray:
    """Art that varies everywhere (RGB uint8 HxWx3): colour waves crossed by ink strokes, the
    kind of content a censor covers."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    chans = [
        120 + 60 * np.sin(xx / rng.uniform(9, 15) + yy / rng.uniform(11, 19) + rng.uniform(0, 6)) for _ in range(3)
    ]
    image = np.clip(np.stack(chans, axis=-1), 0, 255).astype(np.uint8)
    for _ in range(14):
        p0 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        p1 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.line(image, p0, p1, (20, 20, 30), 2)
    return image


def bar(centre: tuple[float, float], size: tuple[float, float], angle: float) -> np.ndarray:
    return cv2.boxPoints((centre, size, angle)).astype(np.float64)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return np.count_nonzero(a & b) / max(np.count_nonzero(a | b), 1)


@pytest.mark.parametrize("colour", [(0, 0, 0), (255, 255, 255), (200, 40, 160)], ids=["black", "white", "magenta"])
@pytest.mark.parametrize("angle", [0.0, 27.0])
def test_solid_bar_is_found(colour, angle):
    image = busy_art()
    corners = bar((110, 80), (120, 22), angle)
    truth = polygon_mask(corners, image.shape[:2])
    image[truth] = colour
    found = find_solid_bars(image)
    assert len(found) == 1 and found[0].kind == "bar"
    assert iou(found[0].mask(image.shape[:2]), truth) >= 0.9


def test_translucent_bar_is_found_and_unblended():
    art = busy_art(seed=1)
    corners = bar((110, 80), (130, 26), 12.0)
    truth = polygon_mask(corners, art.shape[:2])
    image = art.copy()
    image[truth] = np.rint(0.6 * np.array([10, 10, 10]) + 0.4 * art[truth]).astype(np.uint8)
    found = detect_censors(image, kinds=("translucent",))
    assert [c.kind for c in found.censors] == ["translucent"]
    censor = found.censors[0]
    assert abs(censor.opacity - 0.6) < 0.05
    assert iou(found.mask(), truth) >= 0.9
    result = repair.repair_censors(image, found)
    error = np.abs(result[truth].astype(int) - art[truth]).mean()
    assert error < 6, f"mean error {error:.1f} levels inside the bar"
    outside = ~found.mask()
    assert np.array_equal(result[outside], image[outside])  # bit-identical outside


NEGATIVES = ["outlined-rectangle", "speech-bubble", "letterbox", "bold-letter", "flat-fill"]


@pytest.mark.parametrize("kind", NEGATIVES)
def test_drawn_shapes_are_not_bars(kind):
    image = np.full((160, 220, 3), 250, np.uint8)
    if kind == "outlined-rectangle":  # a sign: flat fill inside one ink outline
        cv2.rectangle(image, (40, 60), (180, 90), (230, 200, 80), -1)
        cv2.rectangle(image, (40, 60), (180, 90), (20, 20, 30), 2)
    elif kind == "speech-bubble":
        image = busy_art(seed=2)
        cv2.ellipse(image, (110, 80), (70, 28), 0, 0, 360, (255, 255, 255), -1)
        cv2.ellipse(image, (110, 80), (70, 28), 0, 0, 360, (0, 0, 0), 2)
    elif kind == "letterbox":  # black borders over busy art, edge to edge
        image = busy_art(seed=3)
        image[:20] = 0
        image[-20:] = 0
    elif kind == "bold-letter":
        for x in range(30, 200, 30):
            image[40:120, x : x + 9] = 0
    elif kind == "flat-fill":  # anime-style fills: shapes of flat colour with ink lines
        cv2.ellipse(image, (80, 80), (60, 40), 20, 0, 360, (250, 214, 190), -1)
        cv2.ellipse(image, (80, 80), (60, 40), 20, 0, 360, (20, 20, 30), 2)
        cv2.rectangle(image, (140, 30), (200, 140), (40, 40, 50), -1)  # black hair block
    found = detect_censors(image, kinds=KINDS)
    assert found.censors == []


def test_kinds_default_and_validation():
    assert check_kinds(None) == ("mosaic",)
    assert check_kinds(["bar", "bar", "mosaic"]) == ("bar", "mosaic")
    with pytest.raises(ValueError, match="unknown censor kind"):
        check_kinds(["stripes"])


def test_solid_bar_not_found_unless_asked():
    image = busy_art()
    image[polygon_mask(bar((110, 80), (120, 22), 0.0), image.shape[:2])] = 0
    assert detect_censors(image).censors == []  # default kinds: mosaics only
    assert [c.kind for c in detect_censors(image, kinds=("bar",)).censors] == ["bar"]
    assert find_translucent_bars(image) == []  # a solid bar is no translucent one


def test_cli_detect_kinds(tmp_path, capsys):
    image = busy_art()
    truth = polygon_mask(bar((110, 80), (120, 22), 0.0), image.shape[:2])
    image[truth] = 0
    save(tmp_path / "in" / "b.png", image)
    assert cli.main(["detect", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--kinds", "bar", "--masks"]) == 0
    assert "1 bar" in capsys.readouterr().out
    assert cli.main(["inpaint", str(tmp_path / "in"), "-o", str(tmp_path / "o2"), "--kinds", "bar"]) == 2
    with pytest.raises(SystemExit):
        cli.main(["detect", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--kinds", "stripes"])


def test_cli_inpaint_auto_repairs_bars_and_keeps_the_rest(tmp_path):
    image = busy_art()
    truth = polygon_mask(bar((110, 80), (120, 22), 0.0), image.shape[:2])
    art = image.copy()
    image[truth] = 0
    save(tmp_path / "in" / "b.png", image)
    argv = ["inpaint", "--auto", "--kinds", "mosaic,bar", str(tmp_path / "in"), "-o", str(tmp_path / "out")]
    assert cli.main(argv) == 0
    out = load(tmp_path / "out" / "b.png")[..., :3]
    found = detect_censors(image, kinds=("bar",)).mask()
    assert np.array_equal(out[~found], image[~found])  # bit-identical outside what was found
    before = np.abs(image[truth].astype(int) - art[truth]).mean()
    after = np.abs(out[truth].astype(int) - art[truth]).mean()
    assert after < before / 2


@pytest.mark.parametrize("shape", [(1, 1), (2, 3), (7, 40), (40, 7), (3, 200)])
def test_tiny_images_find_nothing_and_do_not_crash(shape):
    image = np.random.default_rng(0).integers(0, 256, (*shape, 3), dtype=np.uint8)
    found = detect_censors(image, kinds=KINDS)
    assert found.censors == []
    assert np.array_equal(repair.repair_censors(image, found), image)


def test_bar_merged_with_strokes_of_its_colour_is_found_mostly():
    # The bar is the colour of the ink strokes it crosses: one flat region with them, cut
    # apart by the opening (strokes are 2 px, the bar 14). Not always: strokes of its colour
    # meeting its sides are what a drawn shape's own outline looks like, and the learned score
    # (kintsugi.detect.bar_score) weighs them against it: 11 of these 30 cases are found with
    # IoU >= 0.9 (22 under session 8's hand-set rules, which found 0.51 of the validation
    # split's bars against the score's 0.74; MODEL.md). The floor keeps today's.
    found_well = 0
    for seed in range(10):
        for angle in (10.0, 33.0, 60.0):
            image = busy_art(seed=seed)
            truth = polygon_mask(bar((110, 80), (110, 14), angle), image.shape[:2])
            image[truth] = (20, 20, 30)
            found = detect_censors(image, kinds=("bar",))
            assert {c.kind for c in found.censors} <= {"bar"}
            found_well += bool(found.censors) and iou(found.mask(), truth) >= 0.9
    assert found_well >= 11


@pytest.mark.parametrize("colour", [(50, 190, 10), (250, 20, 90), (15, 15, 205)], ids=["green", "red", "blue"])
@pytest.mark.parametrize("angle", [0.0, 27.0])
def test_saturated_bar_after_jpeg_is_found(colour, angle):
    # JPEG's half-resolution chroma bleeds a saturated bar's rim by 40-60 levels in one channel;
    # its luma holds, and so does the bar.
    image = busy_art(seed=3)
    corners = bar((110, 80), (110, 18), angle)
    truth = polygon_mask(corners, image.shape[:2])
    image[truth] = colour
    found = find_solid_bars(jpeg_roundtrip(image, quality=85))
    assert len(found) == 1
    assert iou(found[0].mask(image.shape[:2]), truth) >= 0.9


def test_white_bar_ends_at_a_pale_tint_in_lossless_art():
    # Pale yellow differs from white in one channel (35 levels), as JPEG's chroma error does;
    # in lossless art the bar must still stop where the tint begins.
    image = busy_art(seed=4)
    image[40:120, 150:210] = (255, 255, 220)
    truth = np.zeros(image.shape[:2], bool)
    truth[70:86, 40:150] = True
    image[truth] = 255
    found = find_solid_bars(image)
    assert len(found) == 1
    assert iou(found[0].mask(image.shape[:2]), truth) >= 0.95


def test_axis_aligned_bar_is_found_to_the_pixel():
    # Sides snapped on the true edge and corners on the outermost pixels: not a pixel off.
    image = busy_art(seed=5)
    image[60:71, 40:150] = (240, 200, 20)
    truth = np.zeros(image.shape[:2], bool)
    truth[60:71, 40:150] = True
    found = detect_censors(image, kinds=("bar",))
    assert np.array_equal(found.mask(), truth)


def test_long_bar_on_a_wide_image():
    # More than 32767 points sampled along one bar at once (remap's limit on a map's width).
    image = np.concatenate([busy_art(160, 220, seed=s) for s in range(6)], axis=1)
    truth = np.zeros(image.shape[:2], bool)
    truth[70:90, 30:1290] = True
    image[truth] = 0
    found = detect_censors(image, kinds=("bar",))
    assert iou(found.mask(), truth) >= 0.9


MANGA_NEGATIVES = ["panel-gutter", "thick-outline", "screentone", "plus-sign"]


@pytest.mark.parametrize("kind", MANGA_NEGATIVES)
def test_page_structure_is_not_a_bar(kind):
    image = np.full((200, 260, 3), 255, np.uint8)
    if kind == "panel-gutter":  # two panels of art with ink borders, a white gutter between
        for x0, x1 in ((10, 120), (134, 250)):
            image[10:190, x0:x1] = busy_art(180, x1 - x0, seed=x0)
            cv2.rectangle(image, (x0, 10), (x1 - 1, 189), (0, 0, 0), 3)
    elif kind == "thick-outline":  # a shape's 8 px outline runs on round its corners
        image[30:170, 40:220] = busy_art(140, 180, seed=6)
        cv2.rectangle(image, (40, 30), (219, 169), (30, 60, 20), 8)
    elif kind == "screentone":  # a dot screen beside flat paper
        yy, xx = np.mgrid[0:200, 0:260]
        dots = ((yy % 6) < 2) & ((xx % 6) < 2) & (xx > 60) & (xx < 200)
        image[dots] = 40
    elif kind == "plus-sign":  # two strokes crossing on flat paper
        image[60:140, 124:136] = (20, 20, 20)
        image[94:106, 90:170] = (20, 20, 20)
    found = detect_censors(image, kinds=KINDS)
    assert found.censors == []


def test_parallel_pairs_pairs_parallel_lines_only():
    from kintsugi.detect.rects import parallel_pairs

    # Two pieces of one edge (collinear, joined), a parallel edge 20 px away, a crossing line.
    segs = np.array([[10, 50, 60, 50], [64, 50.5, 120, 50.5], [12, 70, 118, 70], [60, 0, 60, 100]], float)
    frames = parallel_pairs(segs)
    assert len(frames) == 1
    frame = frames[0]
    assert abs(2 * frame.half_width - 19.75) < 0.5 and 2 * frame.half_length > 100
    assert abs(frame.centre[1] - 60.1) < 0.5


@pytest.mark.parametrize("seed", range(40))
def test_hull_points_give_the_minimum_area_rectangle_of_all_pixels(seed):
    from kintsugi.detect.flats import hull_points

    rng = np.random.default_rng(seed)
    mask = np.zeros((90, 120), np.uint8)
    for _ in range(int(rng.integers(1, 4))):  # rotated bars, blobs and single rows or columns
        centre = (float(rng.uniform(10, 110)), float(rng.uniform(10, 80)))
        size = (float(rng.uniform(1, 60)), float(rng.uniform(1, 20)))
        box = cv2.boxPoints((centre, size, float(rng.uniform(0, 180))))
        cv2.fillConvexPoly(mask, np.rint(box).astype(np.int32), 1)
        cv2.circle(mask, (int(rng.integers(0, 120)), int(rng.integers(0, 90))), int(rng.integers(0, 9)), 1, -1)
    mask[rng.integers(0, 90), rng.integers(0, 60) :][: int(rng.integers(1, 40))] = 1
    every = np.column_stack(np.nonzero(mask)[::-1]).astype(np.float32)
    assert cv2.minAreaRect(hull_points(mask > 0)) == cv2.minAreaRect(every)


def _merge_collinear_one_by_one(segs: np.ndarray):
    """rects._merge_collinear as first written: each piece, longest first, against the lines so far."""
    d = segs[:, 2:] - segs[:, :2]
    length = np.hypot(d[:, 0], d[:, 1])
    segs, d, length = segs[length > 0], d[length > 0], length[length > 0]
    u_all = d / length[:, None]
    flip = (u_all[:, 0] < 0) | ((u_all[:, 0] == 0) & (u_all[:, 1] < 0))
    u_all[flip] = -u_all[flip]
    us, rhos, extent = [], [], []
    for i in np.argsort(-length):
        u, ends = u_all[i], segs[i].reshape(2, 2)
        if us:
            lu = np.array(us)
            lv = np.stack([-lu[:, 1], lu[:, 0]], axis=1)
            near = (np.abs(lv @ u) < np.sin(np.deg2rad(1.5))) & (np.abs(ends @ lv.T - np.array(rhos)).max(axis=0) < 2.0)
            if near.any():
                j = int(np.flatnonzero(near)[0])
                t = ends @ lu[j]
                extent[j] = (min(extent[j][0], t.min()), max(extent[j][1], t.max()))
                continue
        t = ends @ u
        us.append(u)
        rhos.append(float(ends.mean(axis=0) @ np.array([-u[1], u[0]])))
        extent.append((t.min(), t.max()))
    return np.array(us).reshape(-1, 2), np.array(rhos), np.array(extent).reshape(-1, 2)


@pytest.mark.parametrize("seed", range(30))
def test_merge_collinear_matches_merging_one_piece_at_a_time(seed):
    from kintsugi.detect.rects import _merge_collinear

    rng = np.random.default_rng(seed)
    lines = rng.uniform(0, 300, (int(rng.integers(1, 40)), 4))
    # Pieces of those lines (collinear, a little off), some on whole pixels as Hough gives them.
    pick = lines[rng.integers(0, len(lines), 60)]
    start, along, t = pick[:, :2], pick[:, 2:] - pick[:, :2], rng.uniform(0, 1, (60, 2))
    pieces = np.concatenate([start + along * t[:, :1], start + along * t[:, 1:]], axis=1)
    segs = np.concatenate([lines, pieces + rng.normal(0, 0.7, pieces.shape)])
    whole = rng.random(len(segs)) < 0.5
    segs[whole] = np.rint(segs[whole])
    got, expected = _merge_collinear(segs), _merge_collinear_one_by_one(segs)
    assert len(got[0]) < len(segs)  # some pieces did join
    for a, b in zip(got, expected):
        assert a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("seed", range(20))
def test_polygon_pixels_are_the_pixels_under_the_polygon_mask(seed):
    from kintsugi.detect.rects import Frame, polygon_pixels

    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (60, 80, 3)).astype(np.uint8)
    angle = rng.uniform(0, np.pi)
    u, v = np.array([np.cos(angle), np.sin(angle)]), np.array([-np.sin(angle), np.cos(angle)])
    # Partly outside the image now and then.
    frame = Frame(rng.uniform(-10, 90, 2), u, v, rng.uniform(0.5, 40), rng.uniform(0.5, 12))
    expected = image[polygon_mask(frame.corners(), image.shape[:2])]
    assert polygon_pixels(image, frame.corners()).tobytes() == expected.tobytes()


def test_member_distance_lossless_is_rgb_and_lossy_forgives_chroma():
    colour = np.array([50.0, 190.0, 10.0], np.float32)
    values = np.array([[60, 200, 20], [50, 190, 63], [90, 150, 10]], np.float32)
    assert np.allclose(member_distance(values, colour, lossy=False), [10, 53, 40])
    lossy = member_distance(values, colour, lossy=True)
    assert abs(lossy[0] - 10) < 0.01  # a grey shift is a luma shift of its size
    assert lossy[1] < 20  # JPEG's chroma bleed into one channel (53 levels of blue)
    assert lossy[2] > 20  # a different colour of about the same luma stays apart
    image = np.array([[[60, 200, 20], [50, 190, 63]]], np.uint8)
    assert np.array_equal(member_distance(image, colour, lossy=False), [[10, 53]])
