"""How much a solid-bar candidate looks like a censor bar: a learned score of its evidence.

Each candidate that passed the hard tests (kintsugi.detect.bars: thickness, a flat inside,
a rectangle mostly of its colour) is described by FEATURES: how its long sides step away from
its colour and cross art, how uniform the art beside them is, how much of its colour spills
past its sides and ends, how flat it is inside. A censor bar is laid over the art: its sides
step sharply everywhere and cut across what is drawn, its colour stops at all four sides; a
drawn stripe (a stretch of outline, a leg, a pole) has fills running along it and runs on into
the rest of its shape. No single test separates them; a small perceptron over all the evidence
does better than thresholds on each (kintsugi.training.bar_score fits it on training art with
synthetic bars and drawn page structures; src/kintsugi/weights/MODEL.md has the measurements).

The weights live in ``weights/bar_score.json`` (feature means and scales, five perceptrons of
one hidden layer of tanh units, the acceptance threshold), read once and evaluated with numpy.
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
    "fill",  # share of the rectangle within 40 levels of the colour
    "end_spill_lo",  # share of the ring beyond each end of the bar's colour (lower, higher)
    "end_spill_hi",
    "side_spill",  # the same beside the long sides
    "noise_q90",  # 90th percentile of the inside's distance from the colour
    "from_lines",  # 1: the candidate came from a pair of parallel edges, 0: from a flat region
    "interior_std",  # standard deviation of the inside samples
    "corner_spill",  # the bar colour beside a long side near an end (a box's side turns a corner)
    "spill_run",  # the longest run of the bar colour along a side, in thicknesses (a crossing arm)
    "thickness",  # px across (censor bars are 6-60 px; panel borders and outlines often thinner)
)

_WEIGHTS_FILE = "bar_score.json"
CLIP = 4.0  # standardised features are clipped to this many standard deviations


@functools.cache
def _model() -> dict[str, np.ndarray]:
    """The perceptrons: mean and scale (F,), w1 (K, H, F), b1 (K, H), w2 (K, H), b2 (K,), threshold."""
    data = json.loads((resources.files("kintsugi") / "weights" / _WEIGHTS_FILE).read_text())
    if tuple(data["features"]) != FEATURES:
        raise ValueError(f"{_WEIGHTS_FILE} was fitted on other features: {data['features']}")
    return {k: np.asarray(data[k], np.float64) for k in ("mean", "scale", "w1", "b1", "w2", "b2", "threshold")}


def score(features: np.ndarray) -> float:
    """The logit that the candidate with these FEATURES (F,) is a censor bar: the mean of the
    ensemble's."""
    m = _model()
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


def threshold() -> float:
    """Candidates scoring at least this are reported."""
    return float(_model()["threshold"])
