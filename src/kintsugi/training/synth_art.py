"""Procedural anime/manga-like art: flat cel-shaded shapes with ink outlines, screentone and
hatching. The project generates these itself, so they carry no licence burden; they add the
hard edges, tone patterns and line work that the clip-art packages have too little of.

numpy + OpenCV only, so `scripts/make_examples.py` can use it without torch.
"""

from __future__ import annotations

import cv2
import numpy as np

_PALETTE_SKIN = [(255, 224, 200), (250, 210, 180), (236, 188, 160), (198, 144, 110)]


def _random_colour(rng: np.random.Generator, *, light: bool = False) -> tuple[int, int, int]:
    lo = 120 if light else 20
    return tuple(int(v) for v in rng.integers(lo, 256, size=3))


def _shade(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    return tuple(int(np.clip(c * factor, 0, 255)) for c in colour)


def screentone(shape: tuple[int, int], *, period: int, angle: float, radius: float) -> np.ndarray:
    """Halftone dot field, bool HxW (True = ink dot), as manga screentone."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    c, s = np.cos(angle), np.sin(angle)
    u = (xx * c + yy * s) % period - period / 2
    v = (-xx * s + yy * c) % period - period / 2
    return (u * u + v * v) < radius * radius


def hatching(shape: tuple[int, int], *, period: int, angle: float, width: int) -> np.ndarray:
    """Parallel ink lines, bool HxW."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u = xx * np.cos(angle) + yy * np.sin(angle)
    return (u % period) < width


def _background(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    h, w = shape
    kind = rng.integers(0, 4)
    if kind == 0:
        return np.full((h, w, 3), 255, np.uint8)
    if kind == 1:
        return np.full((h, w, 3), _random_colour(rng, light=True), np.uint8)
    if kind == 2:
        a = np.array(_random_colour(rng, light=True), np.float32)
        b = np.array(_random_colour(rng, light=True), np.float32)
        t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
        return np.ascontiguousarray(np.repeat((a * (1 - t) + b * t).astype(np.uint8), w, axis=1))
    img = np.full((h, w, 3), 255, np.uint8)
    dots = screentone(
        shape, period=int(rng.integers(4, 9)), angle=float(rng.uniform(0, np.pi)), radius=float(rng.uniform(0.8, 2.2))
    )
    img[dots] = int(rng.integers(0, 120))
    return img


def _blob_polygon(rng: np.random.Generator, *, centre: tuple[float, float], radius: float) -> np.ndarray:
    n = int(rng.integers(5, 12))
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = radius * rng.uniform(0.55, 1.0, n)
    pts = np.stack([centre[0] + radii * np.cos(angles), centre[1] + radii * np.sin(angles)], 1)
    # Chaikin smoothing twice: smooth, drawn-looking outlines instead of jagged polygons.
    for _ in range(2):
        nxt = np.roll(pts, -1, 0)
        pts = np.concatenate([0.75 * pts + 0.25 * nxt, 0.25 * pts + 0.75 * nxt], 1).reshape(-1, 2)
    return pts.astype(np.int32)


def _draw_shape(img: np.ndarray, rng: np.random.Generator, *, ink: tuple[int, int, int]) -> None:
    h, w = img.shape[:2]
    centre = (float(rng.uniform(0, w)), float(rng.uniform(0, h)))
    radius = float(rng.uniform(0.08, 0.4) * min(h, w))
    pts = _blob_polygon(rng, centre=centre, radius=radius)
    base = _random_colour(rng)
    region = np.zeros((h, w), np.uint8)
    cv2.fillPoly(region, [pts], 1)
    img[region > 0] = base
    fill = rng.integers(0, 4)
    if fill == 1:  # cel shadow: a darker, offset copy clipped to the shape
        shift = (rng.uniform(-0.3, 0.3, 2) * radius).astype(np.int32)
        shadow = np.zeros_like(region)
        cv2.fillPoly(shadow, [pts + shift], 1)
        img[(region > 0) & (shadow == 0)] = _shade(base, 0.7)
    elif fill == 2:
        tone = screentone(
            (h, w),
            period=int(rng.integers(4, 10)),
            angle=float(rng.uniform(0, np.pi)),
            radius=float(rng.uniform(0.8, 2.5)),
        )
        img[(region > 0) & tone] = _shade(base, 0.5)
    elif fill == 3:
        hatch = hatching(
            (h, w), period=int(rng.integers(4, 10)), angle=float(rng.uniform(0, np.pi)), width=int(rng.integers(1, 3))
        )
        img[(region > 0) & hatch] = ink
    thickness = int(rng.integers(1, 5))
    cv2.polylines(img, [pts], True, ink, thickness, lineType=cv2.LINE_AA)


def _draw_hair_strands(img: np.ndarray, rng: np.random.Generator, *, ink: tuple[int, int, int]) -> None:
    h, w = img.shape[:2]
    colour = _random_colour(rng)
    x0, y0 = rng.uniform(0, w), rng.uniform(0, h * 0.5)
    for _ in range(int(rng.integers(3, 9))):
        t = np.linspace(0, 1, 24)
        dx, dy = rng.uniform(-0.5, 0.5) * w, rng.uniform(0.2, 0.8) * h
        bend = rng.uniform(-0.3, 0.3) * w
        xs = x0 + dx * t + bend * np.sin(np.pi * t) + rng.uniform(-20, 20)
        ys = y0 + dy * t
        width = rng.uniform(4, 18)
        left = np.stack([xs - width * (1 - t), ys], 1)
        right = np.stack([xs + width * (1 - t), ys], 1)[::-1]
        poly = np.concatenate([left, right]).astype(np.int32)
        cv2.fillPoly(img, [poly], colour, lineType=cv2.LINE_AA)
        cv2.polylines(img, [poly], True, ink, int(rng.integers(1, 3)), lineType=cv2.LINE_AA)


def _draw_face(img: np.ndarray, rng: np.random.Generator, *, ink: tuple[int, int, int]) -> None:
    h, w = img.shape[:2]
    r = int(rng.uniform(0.15, 0.3) * min(h, w))
    cx, cy = int(rng.uniform(r, w - r)), int(rng.uniform(r, h - r))
    skin = _PALETTE_SKIN[int(rng.integers(len(_PALETTE_SKIN)))]
    cv2.ellipse(img, (cx, cy), (r, int(r * 1.15)), 0, 0, 360, skin, -1, cv2.LINE_AA)
    cv2.ellipse(img, (cx, cy), (r, int(r * 1.15)), 0, 0, 360, ink, 2, cv2.LINE_AA)
    eye = _random_colour(rng)
    for side in (-1, 1):
        ex, ey = cx + side * r // 2, cy
        cv2.ellipse(img, (ex, ey), (r // 6, r // 4), 0, 0, 360, (255, 255, 255), -1, cv2.LINE_AA)
        cv2.ellipse(img, (ex, ey + r // 20), (r // 8, r // 5), 0, 0, 360, eye, -1, cv2.LINE_AA)
        cv2.circle(img, (ex - r // 20, ey - r // 12), max(1, r // 20), (255, 255, 255), -1, cv2.LINE_AA)
        cv2.ellipse(img, (ex, ey), (r // 6, r // 4), 0, 180, 360, ink, 2, cv2.LINE_AA)
    cv2.ellipse(img, (cx, cy + r // 2), (r // 6, r // 12), 0, 0, 180, ink, 2, cv2.LINE_AA)


def generate(rng: np.random.Generator, *, size: tuple[int, int] = (256, 256)) -> np.ndarray:
    """One synthetic illustration, RGB uint8 HxWx3."""
    img = _background(rng, size)
    ink = (int(rng.integers(0, 50)),) * 3
    for _ in range(int(rng.integers(3, 9))):
        _draw_shape(img, rng, ink=ink)
    if rng.random() < 0.5:
        _draw_hair_strands(img, rng, ink=ink)
    if rng.random() < 0.5:
        _draw_face(img, rng, ink=ink)
    return img


MANGA_KINDS = ("dots", "lines", "grey")


def halftone(grey: np.ndarray, *, period: float, angle: float, kind: str = "dots", soft: float = 0.0) -> np.ndarray:
    """Screen a grey image as a manga page is printed: uint8 HxW in, uint8 HxW out.

    "dots": an amplitude-modulated dot screen (dot area grows with darkness, so black line art
    stays black and white paper stays white); "lines": a line screen; "grey": no screen.
    ``soft`` (pixels) is the width of the dots' anti-aliased edge; 0 gives a bitonal page.
    """
    if kind == "grey":
        return grey.copy()
    h, w = grey.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    c, s = np.cos(angle), np.sin(angle)
    u = (xx * c + yy * s) % period - period / 2
    v = (-xx * s + yy * c) % period - period / 2
    if kind == "dots":
        t = np.sqrt(u * u + v * v)  # distance to the nearest dot centre
    elif kind == "lines":
        t = np.abs(u)
    else:
        raise ValueError(f"unknown screen kind {kind!r}; expected one of {MANGA_KINDS}")
    # Rank the spot function into its area fraction, so that a pixel's ink coverage equals its
    # darkness (a circle's area grows with r^2, and dots merge past half cover).
    q = np.empty(t.size, np.float32)
    q[np.argsort(t, axis=None, kind="stable")] = np.linspace(0.0, 1.0, t.size, dtype=np.float32)
    q = q.reshape(h, w)
    dark = 1.0 - grey.astype(np.float32) / 255.0
    d = (q - dark) * (period / 2)  # roughly: pixels outside the ink edge
    ink = (d < 0).astype(np.float32) if soft <= 0 else np.clip(0.5 - d / soft, 0.0, 1.0)
    return (255.0 * (1.0 - ink) + 0.5).astype(np.uint8)


def manga_page(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A black-and-white version of RGB uint8 art (HxWx3 → HxWx3 with R=G=B): its luma, screened
    with dots (pitch 4-12 px, any angle) or lines, or left as plain grey; bitonal half the time."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    kind = str(rng.choice(MANGA_KINDS, p=[0.55, 0.2, 0.25]))
    page = halftone(
        grey,
        period=float(rng.uniform(4, 12)),
        angle=float(rng.uniform(0, np.pi)),
        kind=kind,
        soft=0.0 if rng.random() < 0.5 else float(rng.uniform(0.5, 1.5)),
    )
    return np.repeat(page[..., None], 3, axis=2)
