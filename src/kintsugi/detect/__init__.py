"""Censor detection without painting: mosaics, solid bars and translucent bars.

Modules, each with one job:
  grid      cutting arrays into grid cells (shared with restoration and synthesis) and
            estimate_grid, the grid of a known mosaic area
  corners   block corners and the grids through them (detect_mosaic steps 1-2)
  cells     the cell test on one grid and the regions it supports (step 3)
  islands   mosaics over paper grain or screentone (step 4)
  mosaic    detect_mosaic: the steps together
  rects     rotated rectangles: sampling along their sides, pairs of parallel edges
  flats     solid-bar candidates from flat regions
  bars      solid bars: flat bar-shaped candidates and their evidence
  bar_score the learned score that decides which candidates are censor bars
  barnet    the bar segmentation network's blobs, placed as bars on the picture (used
            when weights/barnet.onnx is installed; none ships yet)
  translucent  translucent bars (a flat colour at constant opacity): a package, blend (the
            relation across an edge) and grow (frames grown from one straight side)
  censors   detect_censors: every kind at once, each region named by kind
  stats     numpy's quantiles, medians and channel maxima without its per-call overhead

Boxes are kintsugi.regions.Box (y0, x0, y1, x1, half-open) everywhere.
"""

from kintsugi.detect.bars import find_solid_bars
from kintsugi.detect.censors import DEFAULT_KINDS, KINDS, Censor, Censors, check_kinds, detect_censors
from kintsugi.detect.grid import Grid, cell_padding, estimate_grid
from kintsugi.detect.mosaic import Detection, Region, detect_mosaic
from kintsugi.detect.rects import Bar
from kintsugi.detect.translucent import find_translucent_bars

__all__ = [
    "DEFAULT_KINDS",
    "KINDS",
    "Bar",
    "Censor",
    "Censors",
    "Detection",
    "Grid",
    "Region",
    "cell_padding",
    "check_kinds",
    "detect_censors",
    "detect_mosaic",
    "estimate_grid",
    "find_solid_bars",
    "find_translucent_bars",
]
