"""kintsugi.detect.stats: the fast reductions give numpy's results bit for bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kintsugi.detect.stats import channel_max, colour_distance, masked_median_colour, median, quantile


@settings(max_examples=300, deadline=None)
@given(
    shape=st.lists(st.integers(1, 30), min_size=1, max_size=3),
    seed=st.integers(0, 2**32 - 1),
    q=st.one_of(st.sampled_from([0.0, 0.5, 0.8, 0.9, 0.95, 1.0]), st.floats(0.0, 1.0)),
    dtype=st.sampled_from([np.float32, np.float64]),
    levels=st.sampled_from([3, 256, 0]),
    keepdims=st.booleans(),
    data=st.data(),
)
def test_quantile_matches_numpy(shape, seed, q, dtype, levels, keepdims, data):
    rng = np.random.default_rng(seed)
    # Few levels: ties, as in residuals of flat art; 0: continuous values.
    values = (rng.integers(0, levels, shape) if levels else rng.normal(0, 50, shape)).astype(dtype)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    expected = np.quantile(values, q, axis=axis, keepdims=keepdims)
    got = quantile(values, q, axis=axis, keepdims=keepdims)
    assert type(got) is type(expected)
    assert got.dtype == expected.dtype and np.shape(got) == np.shape(expected)
    assert np.asarray(got).tobytes() == np.asarray(expected).tobytes()


@settings(max_examples=100, deadline=None)
@given(shape=st.lists(st.integers(1, 12), min_size=0, max_size=2), seed=st.integers(0, 2**32 - 1))
def test_channel_max_matches_numpy(shape, seed):
    values = np.random.default_rng(seed).normal(0, 50, (*shape, 3)).astype(np.float32)  # channels last
    got = channel_max(values)
    assert got.dtype == values.dtype and got.tobytes() == values.max(axis=-1).tobytes()


@settings(max_examples=200, deadline=None)
@given(
    rows=st.integers(1, 60),
    channels=st.integers(1, 3),
    seed=st.integers(0, 2**32 - 1),
    dtype=st.sampled_from([np.float32, np.float64, np.uint8]),
    levels=st.sampled_from([3, 256]),
)
def test_median_matches_numpy(rows, channels, seed, dtype, levels):
    values = np.random.default_rng(seed).integers(0, levels, (rows, channels)).astype(dtype)
    expected, got = np.median(values, axis=0), median(values, axis=0)
    assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes()


@settings(max_examples=200, deadline=None)
@given(
    height=st.integers(1, 30),
    width=st.integers(1, 30),
    seed=st.integers(0, 2**32 - 1),
    levels=st.sampled_from([4, 256]),
    share=st.floats(0.0, 1.0),
)
def test_masked_median_colour_and_colour_distance_match_numpy(height, width, seed, levels, share):
    rng = np.random.default_rng(seed)
    image = rng.integers(0, levels, (height, width, 3)).astype(np.uint8)
    mask = rng.random((height, width)) < share
    mask[0, 0] = True
    colour = masked_median_colour(image, mask)
    expected = np.median(image[mask], axis=0)
    assert colour.dtype == expected.dtype and colour.tobytes() == expected.tobytes()
    colour = colour.astype(np.float32)
    expected = np.abs(image.astype(np.float32) - colour).max(axis=-1)
    assert colour_distance(image, colour).tobytes() == expected.tobytes()
