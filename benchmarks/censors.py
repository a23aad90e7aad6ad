"""Censors on the validation split: green paint, bars, translucent bars, mosaics (issue 14).

    python benchmarks/censors.py [--val data/val] [--n 0] [--offset 0] [--seed 0] [--only paint,bars,...]
                                 [--translucent-only]

Every validation image gets synthetic censors from fixed seeds (the same cases on every run).

Tables
  paint        green paint as users paint. pencil: exact #00FF00 over two rotated bars and one
               brush stroke, 3-20 px; "art px changed" counts hole pixels outside the paint (the
               output is bit-identical outside the hole, so those are the only art pixels a
               repair can change). soft sigma s: the same shapes with a Gaussian edge of sigma s
               (alpha = blurred mask, paint = a*green + (1-a)*art), also sigma 2 then JPEG q85;
               "green left" counts pixels outside the hole that are clearly green (G - max(R, B)
               >= 32) and greener than the art there by >= 32 levels (the art JPEG'd alike).
               Counted outside the hole: what any fill leaves untouched.
  bars         detect on images with 1-5 solid bars (black, white, any flat colour, rotated,
               6-60 px thick) or translucent bars, PNG and JPEG q85: mean IoU with the truth;
               with its visible part; and with the bars whose long sides can both be seen
               (hidden_bars: a bar along art of its own colour is don't-care as a whole), for
               translucent bars those over art that varies along their sides (flat_sided_bars).
  false alarms share of clean validation images (PNG and JPEG q85) with any detected region:
               default kinds, solid bars alone, translucent bars alone, all kinds; and of the
               same images with drawn page structures (panel borders, outlined boxes, plus
               signs, letter stems: training.synth_bars.page_structures, other seeds than
               training's), solid bars alone and all kinds.
  translucent  PSNR inside translucent bars after `inpaint --auto`, by opacity.
Seconds per image on every row.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

from metrics import psnr  # noqa: E402
from mosaic import case_rng, detection_case, flat_beside, iou_ignoring, make_region  # noqa: E402

from kintsugi import engine, masks, repair  # noqa: E402
from kintsugi.detect import DEFAULT_KINDS, KINDS, detect_censors  # noqa: E402
from kintsugi.detect.rects import Frame, sample  # noqa: E402
from kintsugi.training.synth_bars import draw_bars, page_structures  # noqa: E402
from kintsugi.training.synth_mosaic import apply_mosaic, jpeg_roundtrip  # noqa: E402

GREEN = np.array([0.0, 255.0, 0.0], np.float32)
SIGMAS = (1.0, 2.0, 3.0)
GREEN_LEFT_EXCESS = 32


# --- cases -----------------------------------------------------------------------------------


def paint_shapes(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """bool HxW: two rotated bars and one brush stroke, thickness 3-20 px, as users paint."""
    height, width = shape
    canvas = np.zeros(shape, np.uint8)
    for _ in range(2):
        cx, cy = rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height
        length = rng.uniform(0.15, 0.4) * min(height, width)
        thick = rng.uniform(3, 20)
        box = cv2.boxPoints(((cx, cy), (length, thick), rng.uniform(0, 180)))
        cv2.fillPoly(canvas, [np.rint(box).astype(np.int32)], 1)
    points = np.stack([rng.uniform(0.1, 0.9, 4) * width, rng.uniform(0.1, 0.9, 4) * height], axis=1)
    cv2.polylines(canvas, [np.rint(points).astype(np.int32)], False, 1, thickness=int(rng.integers(3, 12)))
    return canvas > 0


def paint_soft(image: np.ndarray, mask: np.ndarray, *, sigma: float) -> np.ndarray:
    """A soft brush: opaque green over ``mask``, fading outside it as exp(-d^2 / 2 sigma^2) with
    the distance d from the mask (a brush's hardness falloff; its tail is longer than that of a
    blurred step: at sigma 3 the paint is still a >= 0.13 six pixels out)."""
    distance = cv2.distanceTransform((~mask).view(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    alpha = np.exp(-(distance**2) / (2 * sigma**2)).astype(np.float32)
    mixed = image.astype(np.float32) * (1 - alpha[..., None]) + GREEN * alpha[..., None]
    return np.rint(mixed).astype(np.uint8)


def green_excess(image: np.ndarray) -> np.ndarray:
    channels = image.astype(np.int16)
    return channels[..., 1] - np.maximum(channels[..., 0], channels[..., 2])


def green_left(painted: np.ndarray, hole: np.ndarray, *, art: np.ndarray) -> int:
    excess, art_excess = green_excess(painted), green_excess(art)
    left = ~hole & (excess >= GREEN_LEFT_EXCESS) & (excess - art_excess >= GREEN_LEFT_EXCESS)
    return int(np.count_nonzero(left))


def drawn_bars(truth: np.ndarray) -> Iterator[tuple[np.ndarray, Frame]]:
    """(bool HxW, Frame) for each drawn bar of ``truth``: bars are apart (draw_bars keeps 4 px
    between them), so each is one connected component; the frame spans its pixels' edges."""
    count, labels = cv2.connectedComponents(truth.view(np.uint8), connectivity=8)
    for k in range(1, count):
        bar = labels == k
        points = np.column_stack(np.nonzero(bar)[::-1]).astype(np.float32)
        frame = Frame.from_rect(cv2.minAreaRect(points))
        yield bar, Frame(frame.centre, frame.u, frame.v, frame.half_length + 0.5, frame.half_width + 0.5)


def hidden_bars(art: np.ndarray, image: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, int]:
    """(bool HxW, count): the drawn bars with a long side that cannot be seen, because over
    more than half of its length the art just outside it (1.5 px) is within 8 levels of the
    bar's colour (a white bar along white paper: the bar and the paper make one white shape,
    and nothing in the image says where the bar's side is)."""
    hidden = np.zeros(truth.shape, bool)
    n = 0
    for bar, frame in drawn_bars(truth):
        colour = np.median(image[bar], axis=0)
        seen = [
            np.mean(np.abs(sample(art, *frame.side_points(1.5, side=side)) - colour).max(axis=-1) >= 8)
            for side in (-1, 1)
        ]
        if min(seen) < 0.5:
            hidden |= bar
            n += 1
    return hidden, n


def flat_sided_bars(art: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, int]:
    """(bool HxW, count): the drawn translucent bars along whose long sides the art does not
    vary (the art 1.5 px outside both sides: std under 12 levels, max over channels). Over flat
    art a blend in = k*out + b is one colour for any opacity: k is not pinned down, and the bar
    is a flat rectangle of another colour, which a drawn one is too."""
    flat = np.zeros(truth.shape, bool)
    n = 0
    for bar, frame in drawn_bars(truth):
        outside = np.concatenate([sample(art, *frame.side_points(1.5, side=side)) for side in (-1, 1)])
        if outside.std(axis=0).max() < 12:
            flat |= bar
            n += 1
    return flat, n


def iou(found: np.ndarray, truth: np.ndarray) -> float:
    union = np.count_nonzero(found | truth)
    return 1.0 if union == 0 else np.count_nonzero(found & truth) / union


# --- tables ----------------------------------------------------------------------------------


def paint_table(images: list[np.ndarray], *, seed: int, first: int = 0) -> list[tuple[str, str, str, str, str]]:
    rows = []
    stats: dict[str, list[float]] = defaultdict(list)
    seconds: dict[str, float] = defaultdict(float)
    for index, art in enumerate(images, start=first):
        rng = np.random.default_rng([seed, index])
        mask = paint_shapes(art.shape[:2], rng)
        painted = art.copy()
        painted[mask] = (0, 255, 0)
        start = time.perf_counter()
        hole, _ = masks.green_mask(painted)
        seconds["pencil"] += time.perf_counter() - start
        # Art that itself holds paint-green (G >= 220, R, B <= 70: clip-art lime) is a hole by
        # the tool's contract; those images are counted apart.
        art_core = cv2.inRange(art, (0, 220, 0), (70, 255, 70)) > 0
        changed = int(np.count_nonzero(hole & ~mask & ~art_core))
        stats["pencil" if not art_core.any() else "pencil own green"].append(changed)
        cases = [(f"soft sigma {s:g}", s, None) for s in SIGMAS] + [("soft sigma 2 + q85", 2.0, 85)]
        for name, sigma, quality in cases:
            soft = paint_soft(art, mask, sigma=sigma)
            reference = art
            if quality is not None:
                soft, reference = jpeg_roundtrip(soft, quality), jpeg_roundtrip(art, quality)
            start = time.perf_counter()
            hole, _ = masks.green_mask(soft)
            seconds[name] += time.perf_counter() - start
            stats[name].append(green_left(soft, hole, art=reference))
            # How much art a soft hole takes beyond the visible paint (a >= 0.05 is painted).
            stats[name + " extra"].append(
                int(np.count_nonzero(hole & (green_excess(soft) - green_excess(reference) < 12)))
            )
    n = len(images)
    pencil, own = np.array(stats["pencil"]), np.array(stats["pencil own green"], dtype=np.int64)
    rows.append(
        (
            "pencil #00FF00",
            f"art px changed: mean {pencil.mean():.1f}, max {pencil.max()}, images > 0: "
            f"{np.count_nonzero(pencil)}/{pencil.size}",
            f"(art holding paint-green itself, {own.size} images: its own green is a hole by contract; "
            f"other px changed: images > 0: {np.count_nonzero(own)}, max {own.max(initial=0)})",
            "",
            f"{seconds['pencil'] / n:.3f}",
        )
    )
    for name in [f"soft sigma {s:g}" for s in SIGMAS] + ["soft sigma 2 + q85"]:
        left = np.array(stats[name])
        extra = np.array(stats[name + " extra"])
        rows.append(
            (
                name,
                f"green left: mean {left.mean():.1f}, max {left.max()}, images > 50: {np.count_nonzero(left > 50)}/{n}",
                f"unpainted-looking px in hole: mean {extra.mean():.0f}",
                "",
                f"{seconds[name] / n:.3f}",
            )
        )
    return rows


def bars_table(
    images: list[np.ndarray], *, seed: int, first: int = 0, translucent_only: bool = False
) -> list[tuple[str, ...]]:
    """detect_censors (all kinds) on images with 1-5 solid or translucent bars, PNG and q85: IoU
    with the true bars, and with their visible part (bar pixels over art of the bar's colour,
    unchanged by it, don't-care). ``translucent_only``: the translucent rows only."""
    rows = []
    for translucent in (True,) if translucent_only else (False, True):
        for quality in (None, 85):
            ious, ious_dc, ious_seen, found_kind, seconds = [], [], [], [], 0.0
            hidden_count = bar_count = 0
            for index, art in enumerate(images, start=first):
                rng = np.random.default_rng([seed, index, 7 + translucent])
                image, truth, _ = draw_bars(art, rng, translucent=translucent)
                if not truth.any():
                    continue
                # Bar pixels over art of the bar's own colour are invisible (the bar left them
                # as they were): don't-care, as for mosaic blocks over flat paint.
                visible = truth & (np.abs(image.astype(np.int16) - art).max(axis=-1) >= 8)
                # (A translucent bar has no one colour to compare the art beside it with; one
                # over flat art cannot be told from a drawn rectangle instead.)
                hidden, n_hidden = flat_sided_bars(art, truth) if translucent else hidden_bars(art, image, truth)
                hidden_count += n_hidden
                bar_count += cv2.connectedComponents(truth.view(np.uint8), connectivity=8)[0] - 1
                if quality:
                    image = jpeg_roundtrip(image, quality)
                start = time.perf_counter()
                found = detect_censors(image, kinds=KINDS)
                seconds += time.perf_counter() - start
                ious.append(iou(found.mask(), truth))
                ious_dc.append(iou_ignoring(found.mask(), visible, ignore=truth & ~visible))
                if not (truth & ~hidden).any():
                    continue  # every bar hidden: nothing to score
                # Hidden bars don't-care as a whole (what is found on them is not counted
                # either way), the other bars' invisible pixels as above.
                seen = truth & ~hidden
                ious_seen.append(iou_ignoring(found.mask(), seen & visible, ignore=hidden | (seen & ~visible)))
                kind = "translucent" if translucent else "bar"
                found_kind.append(any(c.kind == kind for c in found.censors))
            r, dc, sn = np.array(ious), np.array(ious_dc), np.array(ious_seen)
            name = ("translucent bars" if translucent else "solid bars") + (f" q{quality}" if quality else " PNG")
            rows.append(
                (
                    name,
                    f"n {r.size}",
                    f"IoU mean {r.mean():.3f}, >= 0.9: {np.mean(r >= 0.9):.0%}; "
                    f"visible-part IoU mean {dc.mean():.3f}, >= 0.9: {np.mean(dc >= 0.9):.0%}"
                    + (
                        f"; bars with both long sides seen (n {sn.size}; {hidden_count} of {bar_count} bars hidden "
                        f"along a side): IoU mean {sn.mean():.3f}, >= 0.9: {np.mean(sn >= 0.9):.0%}"
                        if not translucent
                        else f"; bars over art that varies along their sides (n {sn.size}; {hidden_count} of "
                        f"{bar_count} bars over flat art): IoU mean {sn.mean():.3f}, >= 0.9: {np.mean(sn >= 0.9):.0%}"
                    ),
                    f"named {('translucent' if translucent else 'bar')}: {np.mean(found_kind):.0%}",
                    f"{seconds / max(r.size, 1):.3f} s",
                )
            )
    return rows


def translucent_repair_table(images: list[np.ndarray], *, seed: int, first: int = 0) -> list[tuple[str, ...]]:
    """PSNR inside translucent bars after `inpaint --auto` (detect_censors + repair_censors),
    PNG, by the bars' opacity; images whose bars were not all found score what was left."""
    by_opacity: dict[str, list[float]] = defaultdict(list)
    oracle: dict[str, list[float]] = defaultdict(list)
    seconds, n = 0.0, 0
    for index, art in enumerate(images, start=first):
        rng = np.random.default_rng([seed, index, 8])
        image, truth, opacities = draw_bars(art, rng, translucent=True)
        if not truth.any():
            continue
        start = time.perf_counter()
        found = detect_censors(image, kinds=("translucent",))
        result = repair.repair_censors(image, found)
        seconds += time.perf_counter() - start
        n += 1
        bucket = f"opacity <= {0.5 if max(opacities) <= 0.5 else 0.8}"
        by_opacity[bucket].append(psnr(result, art, truth))
        by_opacity["all"].append(psnr(result, art, truth))
        if iou(found.mask(), truth) >= 0.9:  # how well un-blending does where the bars were found
            by_opacity["all, bars found (IoU >= 0.9)"].append(psnr(result, art, truth))
        oracle["all"].append(psnr(image, art, truth))  # left as it is
    rows = []
    for bucket, values in sorted(by_opacity.items()):
        v = np.array(values)
        rows.append(
            (
                f"translucent {bucket}",
                f"n {v.size}",
                f"PSNR in bar: mean {v.mean():.2f} dB, median {np.median(v):.2f}, >= 35 dB: {np.mean(v >= 35):.0%}",
                f"(bar left as is: {np.mean(oracle['all']):.2f} dB)" if bucket == "all" else "",
                f"{seconds / max(n, 1):.3f} s",
            )
        )
    return rows


MOSAIC_BLOCKS = (6, 8, 12, 16, 24)


def mosaic_table(images: list[np.ndarray], *, seed: int, first: int = 0, e2e: int) -> list[tuple[str, ...]]:
    """detect_censors on benchmarks/mosaic.py's regions (same seeds): IoU with the visible part,
    invisible blocks (over flat paint: the mosaic left them identical) don't-care; the same with
    the flat blocks just outside the region don't-care as well (flat_beside: a mosaic would have
    left them identical too, so no image says where over the paint the region ends); and for the
    first ``e2e`` images `--auto` vs `--originals` with the true mask: PSNR inside the region."""
    rows = []
    for quality in (None, 85):
        for block in MOSAIC_BLOCKS:
            scores, both_sides, seconds, e2e_auto, e2e_true = [], [], 0.0, [], []
            for index, art in enumerate(images, start=first):
                if min(art.shape[:2]) < 6 * block:
                    continue
                rng = case_rng(seed, index, block)
                region, clean, visible, phase = detection_case(rng, art, block)
                image = jpeg_roundtrip(clean, quality) if quality else clean
                start = time.perf_counter()
                found = detect_censors(image)
                seconds += time.perf_counter() - start
                unseen = region & ~visible
                scores.append(iou_ignoring(found.mask("mosaic"), visible, ignore=unseen))
                beside = flat_beside(art, region, block=block, phase=phase)
                both_sides.append(iou_ignoring(found.mask("mosaic"), visible, ignore=unseen | beside))
                if quality is None and len(e2e_auto) < e2e:
                    auto = repair.repair_censors(image, found)
                    true = engine.fill_holes(image, region, kind="mosaic")
                    e2e_auto.append(psnr(auto, art, region))
                    e2e_true.append(psnr(true, art, region))
            r, rb = np.array(scores), np.array(both_sides)
            e2e_text = ""
            if e2e_auto:
                gap = np.array(e2e_true) - np.array(e2e_auto)
                e2e_text = (
                    f"--auto {np.mean(e2e_auto):.2f} dB vs --originals {np.mean(e2e_true):.2f} dB "
                    f"(n {len(e2e_auto)}, gap mean {gap.mean():.2f}, max {gap.max():.2f})"
                )
            rows.append(
                (
                    f"mosaic {block}px {'q' + str(quality) if quality else 'PNG'}",
                    f"n {r.size}",
                    f"visible-part IoU mean {r.mean():.3f}, >= 0.9: {np.mean(r >= 0.9):.0%}; "
                    f"flat blocks beside it don't-care too: {rb.mean():.3f}, >= 0.9: {np.mean(rb >= 0.9):.0%}",
                    e2e_text,
                    f"{seconds / max(r.size, 1):.3f} s",
                )
            )
    return rows


def false_alarm_table(images: list[np.ndarray], *, seed: int, first: int = 0) -> list[tuple[str, ...]]:
    """Clean images with any region, for the default kinds, for each kind of bar alone and for
    all kinds; then the same images with drawn page structures that look like bars and are not
    (panel borders, outlined boxes, plus signs, letter stems: synth_bars.page_structures)."""
    structured = [
        page_structures(art, np.random.default_rng([seed, index, 11])) for index, art in enumerate(images, start=first)
    ]
    cases = [
        ("clean", images, kinds, quality)
        for kinds in (DEFAULT_KINDS, ("bar",), ("translucent",), KINDS)
        for quality in (None, 85)
    ]
    cases += [("page structures", structured, kinds, None) for kinds in (("bar",), KINDS)]
    rows = []
    for name, pictures, kinds, quality in cases:
        flagged: dict[str, int] = defaultdict(int)
        any_flag, seconds = 0, 0.0
        for art in pictures:
            image = jpeg_roundtrip(art, quality) if quality else art
            start = time.perf_counter()
            found = detect_censors(image, kinds=kinds)
            seconds += time.perf_counter() - start
            any_flag += bool(found.censors)
            for kind in {c.kind for c in found.censors}:
                flagged[kind] += 1
        n = len(pictures)
        per_kind = ", ".join(f"{k} {v}" for k, v in sorted(flagged.items())) or "none"
        rows.append(
            (
                f"{name} {'q' + str(quality) if quality else 'PNG'}, kinds {','.join(kinds)}",
                f"n {n}",
                f"images with any region: {any_flag} ({any_flag / n:.1%}); by kind: {per_kind}",
                "",
                f"{seconds / n:.3f} s",
            )
        )
    return rows


def speed_table(images: list[np.ndarray], *, seed: int, first: int = 0) -> list[tuple[str, ...]]:
    """Seconds per 1280x720 image (validation art resized), detect and inpaint --auto, with the
    threads cv2 is given (main sets 2), bars and a mosaic drawn on each; default and all kinds."""
    rows = []
    for kinds in (DEFAULT_KINDS, KINDS):
        detect_s, auto_s = [], []
        for index, art in enumerate(images[:12], start=first):
            big = cv2.resize(art, (1280, 720), interpolation=cv2.INTER_CUBIC)
            rng = np.random.default_rng([seed, index, 9])
            image, _, _ = draw_bars(big, rng, translucent=bool(index % 2))
            mask = make_region(case_rng(seed, index, 12), image, 12)
            image = apply_mosaic(image, mask, block=12, phase=(0, 0))
            start = time.perf_counter()
            found = detect_censors(image, kinds=kinds)
            detect_s.append(time.perf_counter() - start)
            start = time.perf_counter()
            found = detect_censors(image, kinds=kinds)
            repair.repair_censors(image, found)
            auto_s.append(time.perf_counter() - start)
        rows.append(
            (
                f"1280x720, kinds {','.join(kinds)}",
                f"n {len(detect_s)}",
                f"detect {np.mean(detect_s):.3f} s (max {np.max(detect_s):.3f}); "
                f"inpaint --auto {np.mean(auto_s):.3f} s (max {np.max(auto_s):.3f})",
                "",
                "",
            )
        )
    return rows


def print_rows(title: str, rows: list[tuple[str, ...]]) -> None:
    print(f"\n## {title}")
    for row in rows:
        print(" | ".join(part for part in row if part))


def load_images(folder: Path, *, limit: int, offset: int = 0) -> list[np.ndarray]:
    files = sorted(folder.glob("*.png"))[offset:]
    if limit:
        files = files[:limit]
    return [np.asarray(Image.open(f).convert("RGB")) for f in files]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--val", type=Path, default=Path("data/val"))
    parser.add_argument("--n", type=int, default=0, help="first N images only (0 = all)")
    parser.add_argument(
        "--offset", type=int, default=0, help="skip the first OFFSET images (check on images a tuning run never saw)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="paint,bars,translucent,mosaic,false,speed", help="comma-separated tables")
    parser.add_argument("--e2e", type=int, default=40, help="images for the --auto vs --originals rows")
    parser.add_argument(
        "--translucent-only", action="store_true", help="bars table: the translucent rows only (skip solid bars)"
    )
    args = parser.parse_args()
    cv2.setNumThreads(2)
    images = load_images(args.val, limit=args.n, offset=args.offset)
    print(f"{len(images)} validation images from {args.val} (from image {args.offset})")
    only = set(args.only.split(","))
    if "paint" in only:
        print_rows("paint (per image)", paint_table(images, seed=args.seed, first=args.offset))
    if "bars" in only:
        rows = bars_table(images, seed=args.seed, first=args.offset, translucent_only=args.translucent_only)
        print_rows("bars: detect (all kinds) vs the true bars", rows)
    if "translucent" in only:
        rows = translucent_repair_table(images, seed=args.seed, first=args.offset)
        print_rows("translucent bars: inpaint --auto", rows)
    if "mosaic" in only:
        rows = mosaic_table(images, seed=args.seed, e2e=args.e2e, first=args.offset)
        print_rows("mosaics: detect and inpaint --auto", rows)
    if "false" in only:
        print_rows(
            "false alarms on clean validation images", false_alarm_table(images, seed=args.seed, first=args.offset)
        )
    if "speed" in only:
        print_rows("speed", speed_table(images, seed=args.seed, first=args.offset))


if __name__ == "__main__":
    main()
