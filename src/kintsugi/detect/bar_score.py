"""How much a bar candidate looks like a censor bar: a learned score of its evidence.

Each candidate that passed the hard tests (kintsugi.detect.bars: thickness, a flat inside,
a rectangle mostly of its colour) is described by FEATURES: how its long sides step away from
its colour and cross art, how uniform the art beside them is, how much of its colour spills
past its sides and ends, how flat it is inside. A censor bar is laid over the art: its sides
step sharply everywhere and cut across what is drawn, its colour stops at all four sides; a
drawn stripe (a stretch of outline, a leg, a pole) has fills running along it and runs on into
the rest of its shape. No single test separates them; a small perceptron over all the evidence
does better than thresholds on each (kintsugi.training.bar_score fits it on training art with
synthetic bars and drawn page structures; src/kintsugi/weights/MODEL.md has the measurements).

Translucent-bar candidates (kintsugi.detect.translucent: a blend fitted across the sides, the
frame placed where it explains the steps best) are scored the same way on TRANSLUCENT_FEATURES:
how well one blend explains the steps around the whole perimeter, how many it contradicts,
whether everything inside un-blends to some art, how many art edges run into it.

The weights live in ``weights/bar_score.json`` and ``weights/translucent_score.json`` (feature
means and scales, five perceptrons of one hidden layer of tanh units, the acceptance threshold),
read once per kind and evaluated with numpy.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

import numpy as np

# The more varied side first ("_v"), then the more uniform one ("_u").
FEATURES = (
    "share_v",  # share of the side (2 px out) at least 20 levels from the bar colour
    "share_u",
    "uniform_v",  # share of the side (2.5 px out) within 20 levels of the side's median
    "uniform_u",
    "crossings_v",  # art edges running into the side per 100 px (3 px out, jumps of 30 levels over 4 px)
    "crossings_u",
    "contrast_v",  # median distance from the bar colour 2 px out
    "contrast_u",
    "fill",  # share of the rectangle within 40 levels of the colour (bars.member_distance)
    "end_spill_lo",  # share of the ring beyond each end of the bar's colour (lower, higher)
    "end_spill_hi",
    "side_spill",  # the same beside the long sides
    "noise_q90",  # 90th percentile of the inside's distance from the colour (the same distance)
    "from_lines",  # 1: the candidate came from a pair of parallel edges, 0: from a flat region
    "interior_std",  # standard deviation of the inside samples
    "corner_spill",  # the bar colour beside a long side near an end (a box's side turns a corner)
    "spill_run",  # the longest run of the bar colour along a side, in thicknesses (a crossing arm)
    "thickness",  # px across (censor bars are 6-60 px; panel borders and outlines often thinner)
)

# The blend in = k*out + b fitted around the whole perimeter (kintsugi.detect.translucent.blend).
TRANSLUCENT_FEATURES = (
    "k",  # 1 - opacity
    "rms",  # trimmed residual of the fit (levels, max over channels)
    "relative_rms",  # rms / (k * spread): the residual against the variation the fit explains
    "spread",  # std of the outside samples: how well art that varies pins k down
    "step",  # mean visible step across the sides
    "explained",  # share of the perimeter's samples whose visible step the blend explains
    "contradicted",  # share whose clear step it contradicts
    "out_of_range",  # share of the pixels inside that do not un-blend to 0-255
    "crossings",  # sharp art edges running into the frame
    "crossings_per_100",  # the same per 100 px of perimeter
    "thickness",  # px across
    "grown",  # 1: the frame was grown from one straight edge, 0: from a pair of edges
    "sides_rms",  # residual of the blend fitted over the long sides alone
    "k_change",  # |k of the long sides' fit - k of the perimeter's|
    "in_range",  # 1: the perimeter's fit is in the accepted range (0.15 <= k <= 0.85, rms <= 20, spread >= 12)
)

FEATURES_OF = {"bar": FEATURES, "translucent": TRANSLUCENT_FEATURES}
_WEIGHTS_FILES = {"bar": "bar_score.json", "translucent": "translucent_score.json"}
CLIP = 4.0  # standardised features are clipped to this many standard deviations


@functools.cache
def _model(kind: str = "bar") -> dict[str, np.ndarray]:
    """The perceptrons of ``kind`` ("bar" or "translucent"): mean and scale (F,), w1 (K, H, F),
    b1 (K, H), w2 (K, H), b2 (K,), threshold."""
    name = _WEIGHTS_FILES[kind]
    data = json.loads((resources.files("kintsugi") / "weights" / name).read_text())
    if tuple(data["features"]) != FEATURES_OF[kind]:
        raise ValueError(f"{name} was fitted on other features: {data['features']}")
    return {k: np.asarray(data[k], np.float64) for k in ("mean", "scale", "w1", "b1", "w2", "b2", "threshold")}


def score(features: np.ndarray, *, kind: str = "bar") -> float:
    """The logit that the candidate with these features (F,: FEATURES_OF[kind]) is a censor bar
    of ``kind``: the mean of the ensemble's."""
    m = _model(kind)
    return float(ensemble_logits(m, standardise(features, m["mean"], m["scale"])[None])[0])


def ensemble_logits(nets: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """Mean logit (N,) of K perceptrons (w1 (K, H, F), b1 (K, H), w2 (K, H), b2 (K,)) on
    standardised features x (N, F): the detector's score and the fit's threshold alike."""
    hidden = np.tanh(np.einsum("khf,nf->knh", nets["w1"], x) + nets["b1"][:, None])  # (K, N, H)
    return np.mean(np.einsum("knh,kh->kn", hidden, nets["w2"]) + nets["b2"][:, None], axis=0)


def standardise(features: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """(features - mean) / scale, clipped to +-CLIP: a candidate far outside the training range
    (a bar across a whole wide page) is scored as the most extreme one seen, not extrapolated."""
    return np.clip((features - mean) / scale, -CLIP, CLIP)


def threshold(kind: str = "bar") -> float:
    """Candidates of ``kind`` scoring at least this are reported."""
    return float(_model(kind)["threshold"])
