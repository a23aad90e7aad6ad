"""Generate examples/: procedural anime-style pictures painted green, a mosaic pair, and the
README's before/after picture (made by kintsugi itself).

Everything is drawn here with numpy + OpenCV (flat colours, ink outlines, hair curves, a face,
screentone dots), so the examples carry no third-party licence: the project releases them as
CC0 (see examples/LICENSE). Deterministic: the same files on every run.

    python scripts/make_examples.py [--out examples]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

INK = (35, 28, 40)
GREEN = (0, 255, 0)
SIZE = 320  # examples stay small: the repository carries them


def screentone(shape: tuple[int, int], *, period: int, radius: float) -> np.ndarray:
    """Manga halftone: a 45-degree grid of round dots, bool HxW."""
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    u, v = (xs + ys) / np.sqrt(2), (xs - ys) / np.sqrt(2)
    du = (u % period) - period / 2
    dv = (v % period) - period / 2
    return du * du + dv * dv <= radius * radius


def background(rng: np.random.Generator) -> np.ndarray:
    top, bottom = np.array([150, 200, 250], np.float32), np.array([250, 235, 245], np.float32)
    t = np.linspace(0, 1, SIZE, dtype=np.float32)[:, None, None]
    image = np.broadcast_to(top * (1 - t) + bottom * t, (SIZE, SIZE, 3)).astype(np.uint8).copy()
    for _ in range(3):  # a few flat clouds
        cx, cy = int(rng.integers(0, SIZE)), int(rng.integers(10, SIZE // 3))
        cv2.ellipse(image, (cx, cy), (int(rng.integers(25, 50)), 12), 0, 0, 360, (255, 255, 255), -1, cv2.LINE_AA)
    tone = screentone((SIZE, SIZE), period=6, radius=1.4)
    tone[: SIZE * 2 // 3] = False
    image[tone] = (200, 185, 215)
    return image


def leaves(image: np.ndarray, rng: np.random.Generator) -> None:
    """Green art on purpose: the green detector must leave it alone."""
    for _ in range(9):
        cx, cy = int(rng.integers(0, 70)), int(rng.integers(SIZE - 120, SIZE))
        angle = float(rng.uniform(0, 180))
        colour = (40, 160, 60) if rng.random() < 0.5 else (34, 139, 34)
        cv2.ellipse(image, (cx, cy), (26, 10), angle, 0, 360, colour, -1, cv2.LINE_AA)
        cv2.ellipse(image, (cx, cy), (26, 10), angle, 0, 360, INK, 1, cv2.LINE_AA)


def character(image: np.ndarray, rng: np.random.Generator, *, hair: tuple[int, int, int]) -> None:
    cx, cy = SIZE // 2 + int(rng.integers(-20, 20)), SIZE // 2 - 10
    shirt = tuple(int(c) for c in rng.integers(60, 220, 3))
    # Body and shirt, collar lines.
    body = np.array([[cx - 90, SIZE], [cx - 70, cy + 95], [cx + 70, cy + 95], [cx + 90, SIZE]], np.int32)
    cv2.fillPoly(image, [body], shirt, cv2.LINE_AA)
    cv2.polylines(image, [body], False, INK, 2, cv2.LINE_AA)
    cv2.line(image, (cx - 25, cy + 95), (cx, cy + 130), INK, 2, cv2.LINE_AA)
    cv2.line(image, (cx + 25, cy + 95), (cx, cy + 130), INK, 2, cv2.LINE_AA)
    # Neck and face.
    cv2.rectangle(image, (cx - 16, cy + 50), (cx + 16, cy + 98), (250, 214, 190), -1)
    cv2.ellipse(image, (cx, cy), (62, 75), 0, 0, 360, (252, 222, 200), -1, cv2.LINE_AA)
    cv2.ellipse(image, (cx, cy), (62, 75), 0, 0, 360, INK, 2, cv2.LINE_AA)
    # Hair: a cap plus strands drawn as curves.
    cv2.ellipse(image, (cx, cy - 20), (70, 62), 0, 180, 360, hair, -1, cv2.LINE_AA)
    for offset in range(-60, 61, 20):
        start = np.array([cx + offset, cy - 60], np.float32)
        control = start + np.array([offset * 0.4, 40], np.float32)
        end = start + np.array([offset * 0.2 + float(rng.uniform(-6, 6)), 70], np.float32)
        t = np.linspace(0, 1, 24, dtype=np.float32)[:, None]
        curve = ((1 - t) ** 2 * start + 2 * (1 - t) * t * control + t**2 * end).astype(np.int32)
        cv2.polylines(image, [curve], False, hair, 9, cv2.LINE_AA)
        cv2.polylines(image, [curve], False, INK, 1, cv2.LINE_AA)
    cv2.ellipse(image, (cx, cy - 20), (70, 62), 0, 180, 360, INK, 2, cv2.LINE_AA)
    # Eyes: white, iris, pupil, highlight; lashes.
    iris = tuple(int(c) for c in rng.integers(40, 200, 3))
    for side in (-1, 1):
        ex, ey = cx + side * 26, cy + 8
        cv2.ellipse(image, (ex, ey), (14, 18), 0, 0, 360, (255, 255, 255), -1, cv2.LINE_AA)
        cv2.ellipse(image, (ex, ey + 2), (10, 14), 0, 0, 360, iris, -1, cv2.LINE_AA)
        cv2.ellipse(image, (ex, ey + 4), (5, 7), 0, 0, 360, INK, -1, cv2.LINE_AA)
        cv2.circle(image, (ex - 4, ey - 4), 3, (255, 255, 255), -1, cv2.LINE_AA)
        cv2.ellipse(image, (ex, ey), (15, 19), 0, 190, 350, INK, 3, cv2.LINE_AA)
    # Nose, mouth, blush.
    cv2.line(image, (cx, cy + 28), (cx - 3, cy + 34), INK, 1, cv2.LINE_AA)
    cv2.ellipse(image, (cx, cy + 48), (10, 5), 0, 10, 170, INK, 2, cv2.LINE_AA)
    for side in (-1, 1):
        cv2.ellipse(image, (cx + side * 38, cy + 32), (9, 4), 0, 0, 360, (250, 180, 180), -1, cv2.LINE_AA)


def draw(seed: int, *, hair: tuple[int, int, int]) -> np.ndarray:
    """One picture, RGB uint8 SIZExSIZEx3."""
    rng = np.random.default_rng(seed)
    image = background(rng)
    leaves(image, rng)
    character(image, rng, hair=hair)
    return image


def paint_bars(image: np.ndarray, bars: list[tuple[int, int, int, int]]) -> np.ndarray:
    """Hard-edged pure green rectangles (x0, y0, x1, y1), like a careful DeepCreamPy user."""
    painted = image.copy()
    for x0, y0, x1, y1 in bars:
        cv2.rectangle(painted, (x0, y0), (x1, y1), GREEN, -1)
    return painted


def paint_brush(image: np.ndarray, strokes: list[list[tuple[int, int]]], *, width: int) -> np.ndarray:
    """A soft, anti-aliased brush: the edge pixels are blends of green and the art."""
    painted = image.copy()
    for stroke in strokes:
        cv2.polylines(painted, [np.array(stroke, np.int32)], False, GREEN, width, cv2.LINE_AA)
    return painted


def pixelate(image: np.ndarray, box: tuple[int, int, int, int], *, block: int) -> np.ndarray:
    """A mosaic over box (x0, y0, x1, y1): each block becomes its mean colour."""
    x0, y0, x1, y1 = box
    result = image.copy()
    region = result[y0:y1, x0:x1]
    small = cv2.resize(region, ((x1 - x0) // block, (y1 - y0) // block), interpolation=cv2.INTER_AREA)
    result[y0:y1, x0:x1] = cv2.resize(small, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)
    return result


def side_by_side(*images: np.ndarray, gap: int = 8) -> np.ndarray:
    height = max(i.shape[0] for i in images)
    parts = []
    for image in images:
        parts += [image, np.full((height, gap, 3), 255, np.uint8)]
    return np.concatenate(parts[:-1], axis=1)


def save_png(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "examples")
    out = parser.parse_args().out

    girl = draw(1, hair=(120, 70, 160))
    bars = paint_bars(girl, [(120, 150, 215, 166), (150, 230, 190, 300)])
    save_png(out / "painted" / "bars.png", bars)

    boy = draw(2, hair=(240, 200, 90))
    brushed = paint_brush(boy, [[(100, 160), (140, 175), (200, 170)], [(150, 250), (170, 290)]], width=13)
    save_png(out / "painted" / "brush.png", brushed)

    third = draw(3, hair=(60, 60, 70))
    painted = paint_bars(third, [(130, 240, 200, 262)])
    Image.fromarray(painted).save(out / "painted" / "jpeg.jpg", quality=85)  # JPEG drift on purpose

    # Mosaic pair: the original as distributed (pixelated), and the same picture painted green.
    fourth = draw(4, hair=(200, 90, 70))
    box = (120, 228, 200, 300)
    mosaic = pixelate(fourth, box, block=8)
    save_png(out / "mosaic" / "original" / "mermaid.png", mosaic)
    save_png(out / "mosaic" / "painted" / "mermaid.png", paint_bars(mosaic, [(box[0], box[1], box[2] - 1, box[3] - 1)]))

    # The README picture, made by the tool itself.
    import kintsugi
    from kintsugi.masks import green_mask
    from kintsugi.training.synth_art import halftone

    mask, _ = green_mask(brushed)
    colour_row = side_by_side(brushed, kintsugi.inpaint(brushed, mask))
    # A black-and-white manga version (dot screen, bitonal) with a bar and a stroke over it.
    grey = np.asarray(Image.fromarray(draw(5, hair=(90, 90, 90))).convert("L"))
    page = np.repeat(halftone(grey, period=6.0, angle=0.6, kind="dots")[..., None], 3, axis=2)
    manga = paint_brush(paint_bars(page, [(110, 150, 220, 170)]), [[(60, 250), (120, 280), (160, 330)]], width=11)
    manga_mask, _ = green_mask(manga)
    manga_row = side_by_side(manga, kintsugi.inpaint(manga, manga_mask))
    gap = np.full((8, colour_row.shape[1], 3), 255, np.uint8)
    save_png(out / "before_after.png", np.concatenate([colour_row, gap, manga_row], 0))
    print(f"wrote examples to {out}")


if __name__ == "__main__":
    main()
