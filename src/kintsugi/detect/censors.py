"""detect_censors: every kind of censor at once, each region named by its kind.

Kinds: "mosaic" (detect_mosaic), "bar" (solid bars of any flat colour) and "translucent" (a flat
colour at constant opacity over the art). Where a bar and a mosaic claim the same pixels the
mosaic wins (its grid is the stronger evidence: a mosaic block is a small flat rectangle too).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from kintsugi.detect import barnet
from kintsugi.detect.bars import find_solid_bars
from kintsugi.detect.grid import check_image
from kintsugi.detect.mosaic import detect_mosaic
from kintsugi.detect.rects import Bar, line_frames, straight_lines
from kintsugi.detect.translucent import find_translucent_bars
from kintsugi.regions import Box

KINDS = ("mosaic", "bar", "translucent")
# What is found when no kinds are asked for. Bars are opt-in (--kinds) until they measure well:
# on the validation split (benchmarks/censors.py) all kinds flag drawn shapes (a sign's slash,
# a cage's bars, a chart's bars; drop shadows and bevels for translucent bars) on 2.0% of the
# clean images (4.1% after JPEG q85), and solid bars reach IoU >= 0.9 on 62% of the images with
# bars (47% at q85), translucent bars on 35% (23%); `inpaint --auto` would paint over what they flag.
DEFAULT_KINDS = ("mosaic",)


@dataclass(frozen=True)
class Censor:
    """One censored region. ``mask`` is bool over ``box`` (box.height x box.width). Mosaics
    carry their block size and phase; translucent bars their colour (RGB) and opacity."""

    kind: str
    box: Box
    mask: np.ndarray
    block: int | None = None
    phase: tuple[int, int] | None = None
    colour: tuple[float, float, float] | None = None
    opacity: float | None = None

    def describe(self) -> str:
        if self.kind == "mosaic":
            return f"mosaic {self.block}px at {self.box.x0},{self.box.y0}"
        if self.kind == "translucent":
            return f"translucent bar ({self.opacity:.0%} opaque) at {self.box.x0},{self.box.y0}"
        return f"bar at {self.box.x0},{self.box.y0}"


@dataclass
class Censors:
    """All censors of one image: ``censors`` in reading order; ``mask(kind)`` their pixels."""

    shape: tuple[int, int]
    censors: list[Censor] = field(default_factory=list)

    def mask(self, kind: str | None = None) -> np.ndarray:
        """bool HxW of the censors of ``kind`` (all kinds when None)."""
        out = np.zeros(self.shape, bool)
        for c in self.censors:
            if kind is None or c.kind == kind:
                out[c.box.slices] |= c.mask
        return out

    def describe(self) -> str:
        if not self.censors:
            return "no censor found"
        parts = []
        for kind in KINDS:
            n = sum(c.kind == kind for c in self.censors)
            if n:
                parts.append(f"{n} {_NOUNS[kind][n > 1]}")
        text = ", ".join(parts)
        blocks = sorted({c.block for c in self.censors if c.kind == "mosaic"})
        if blocks:
            text += f" (mosaic blocks {', '.join(f'{b}px' for b in blocks)})"
        opacities = [c.opacity for c in self.censors if c.kind == "translucent"]
        if opacities:
            text += f" (opacity {', '.join(f'{o:.0%}' for o in opacities)})"
        return text


_NOUNS = {
    "mosaic": ("mosaic", "mosaics"),
    "bar": ("bar", "bars"),
    "translucent": ("translucent bar", "translucent bars"),
}


def check_kinds(kinds: Iterable[str] | None) -> tuple[str, ...]:
    """The kinds asked for, validated; None means DEFAULT_KINDS."""
    if kinds is None:
        return DEFAULT_KINDS
    chosen = tuple(dict.fromkeys(kinds))
    unknown = [k for k in chosen if k not in KINDS]
    if unknown or not chosen:
        raise ValueError(f"unknown censor kind(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(KINDS)}")
    return chosen


def find_bars(image: np.ndarray, *, kinds: Iterable[str]) -> list[Bar]:
    """Solid and translucent bars of ``kinds``: where the bar network (kintsugi.detect.barnet)
    sees them, placed on the picture; without its weights, the signal-processing detectors
    (kintsugi.detect.bars, kintsugi.detect.translucent)."""
    chosen = set(kinds)
    if barnet.is_available():
        return [bar for bar in barnet.network_bars(image) if bar.kind in chosen]
    # Both kinds of bar start from the same straight edges: found once.
    lines = straight_lines(image)
    frames = line_frames(image, lines)
    bars = find_solid_bars(image, frames) if "bar" in chosen else []
    if "translucent" in chosen:
        bars += find_translucent_bars(image, frames, lines=lines)
    return bars


def detect_censors(image: np.ndarray, *, kinds: Iterable[str] | None = None) -> Censors:
    """Find censors of the given ``kinds`` (default: DEFAULT_KINDS) in ``image`` (RGB uint8 HxWx3)."""
    check_image(image)
    chosen = check_kinds(kinds)
    shape = image.shape[:2]
    found = Censors(shape=shape)
    taken = np.zeros(shape, bool)
    if "mosaic" in chosen:
        detection = detect_mosaic(image)
        for region in detection.regions:
            crop = detection.mask[region.box.slices]
            found.censors.append(Censor("mosaic", region.box, crop.copy(), block=region.block, phase=region.phase))
        taken |= detection.mask
    bars = find_bars(image, kinds=chosen) if {"bar", "translucent"} & set(chosen) else []
    for bar in bars:
        mask = bar.mask(shape)
        if np.count_nonzero(mask & taken) > 0.3 * np.count_nonzero(mask):
            continue  # a mosaic or an earlier bar holds it
        taken |= mask
        crop = mask[bar.box.slices]
        opacity = None if bar.kind == "bar" else bar.opacity
        colour = None if bar.kind == "bar" else bar.colour
        found.censors.append(Censor(bar.kind, bar.box, crop, colour=colour, opacity=opacity))
    found.censors.sort(key=lambda c: (c.box.y0, c.box.x0))
    return found
