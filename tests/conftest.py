from __future__ import annotations

import os

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from kintsugi import methods

# Property tests must stay quick on a 2-core machine that is also training a model.
settings.register_profile(
    "kintsugi",
    max_examples=int(os.environ.get("KINTSUGI_HYPOTHESIS_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("kintsugi")


def _blur_fill(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """A stand-in mosaic method: smooths the region (enough to prove the plumbing)."""
    result = image.copy()
    result[mask] = cv2.blur(image, (5, 5))[mask] // 2 + 1
    return result


@pytest.fixture
def mosaic_test_method():
    """Registers 'mosaic-test' (kind mosaic) for the duration of a test."""
    methods.register("mosaic-test", kind="mosaic", description="test stand-in", factory=lambda: _blur_fill)
    yield "mosaic-test"
    methods._registry.pop("mosaic-test", None)


@pytest.fixture
def fresh_registry(monkeypatch):
    """An empty registry whose builtins register again on first access (new factory caches)."""
    monkeypatch.setattr(methods, "_registry", {})
    monkeypatch.setattr(methods, "_builtins_registered", False)
    return methods
