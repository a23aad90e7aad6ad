from __future__ import annotations

import importlib.machinery
import subprocess
import sys
import types

import numpy as np
import pytest
from synthetic import art, bar_mask

import kintsugi
from kintsugi.errors import MethodError


def _fake_module(monkeypatch, name: str, **attributes) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None)
    for key, value in attributes.items():
        setattr(module, key, value)
    monkeypatch.setitem(sys.modules, name, module)
    return module


def _no_module(monkeypatch, name: str) -> None:
    # find_spec on a name mapped to None in sys.modules raises ValueError -> "absent".
    monkeypatch.setitem(sys.modules, name, None)


def _flat(value: int):
    def fill(image, mask):
        out = image.copy()
        out[mask] = value
        return out

    return fill


def test_builtins_without_model(fresh_registry, monkeypatch):
    _no_module(monkeypatch, "kintsugi.methods.model")
    _no_module(monkeypatch, "kintsugi.methods.mosaic")
    listed = {m.name: m for m in fresh_registry.available()}
    assert set(listed) == {"telea", "ns"}
    assert listed["telea"].default and not listed["ns"].default
    assert fresh_registry.default_method("inpaint") == "telea"
    with pytest.raises(MethodError, match="no mosaic method"):
        fresh_registry.default_method("mosaic")
    with pytest.raises(MethodError, match="'model' is not available"):
        fresh_registry.get("model")


@pytest.mark.parametrize("ready", [True, False])
def test_model_is_listed_and_default_only_when_available(fresh_registry, monkeypatch, ready):
    calls = []

    def load(kind="inpaint"):
        calls.append(kind)
        return _flat(9 if kind == "inpaint" else 11)

    _fake_module(monkeypatch, "kintsugi.methods.model", is_available=lambda kind="inpaint": ready, load=load)
    _fake_module(monkeypatch, "kintsugi.methods.mosaic", restore_cubic=_flat(5))
    names = [m.name for m in fresh_registry.available()]
    assert ("model" in names) is ready and ("mosaic-model" in names) is ready
    # hybrid is the network plus copied texture: available exactly when the network is.
    assert ("hybrid" in names) is ready
    assert fresh_registry.default_method("inpaint") == ("hybrid" if ready else "telea")
    assert fresh_registry.default_method("mosaic") == ("mosaic-model" if ready else "mosaic-cubic")
    if ready:
        assert fresh_registry.info("model").max_side == 512
        mask = bar_mask(48, 64, box=(4, 4, 8, 8))
        first = kintsugi.inpaint(art(), mask, method="model")
        kintsugi.inpaint(art(), mask, method="model")
        assert (first[mask] == 9).all()
        assert calls == ["inpaint"], "the factory must run once per process"
        restored = kintsugi.restore_mosaic(art(), mask)
        assert (restored[mask] == 11).all() and calls == ["inpaint", "mosaic"]


def test_mosaic_cubic_comes_from_the_mosaic_module(fresh_registry, monkeypatch):
    _no_module(monkeypatch, "kintsugi.methods.model")
    _fake_module(monkeypatch, "kintsugi.methods.mosaic", restore_cubic=_flat(5))
    info = fresh_registry.info("mosaic-cubic")
    assert info.kind == "mosaic" and info.default
    mask = bar_mask(48, 64, box=(4, 4, 8, 8))
    assert (kintsugi.restore_mosaic(art(), mask)[mask] == 5).all()


def test_a_model_module_that_breaks_is_simply_unavailable(fresh_registry, monkeypatch):
    def broken(kind="inpaint"):
        raise RuntimeError("weights corrupt")

    _fake_module(monkeypatch, "kintsugi.methods.model", is_available=broken, load=broken)
    assert "model" not in [m.name for m in fresh_registry.available()]
    assert fresh_registry.default_method("inpaint") == "telea"


def test_a_factory_that_fails_is_a_method_error(fresh_registry):
    def factory():
        raise OSError("session could not be created")

    fresh_registry.register("flaky", kind="inpaint", description="t", factory=factory)
    with pytest.raises(MethodError, match="'flaky' could not be loaded: session could not be created"):
        fresh_registry.get("flaky")


def test_unknown_method_lists_the_alternatives(fresh_registry):
    with pytest.raises(MethodError, match="unknown method 'nope'; available: .*telea"):
        fresh_registry.get("nope")


def test_register_rejects_an_unknown_kind(fresh_registry):
    with pytest.raises(MethodError, match="kind must be one of"):
        fresh_registry.register("x", kind="paint", description="t", factory=lambda: _flat(0))


def test_methods_listing_from_the_package():
    listed = kintsugi.methods()
    assert "telea" in [m.name for m in listed]
    mosaic = kintsugi.methods("mosaic")
    assert "mosaic-cubic" in [m.name for m in mosaic] and "telea" not in [m.name for m in mosaic]
    assert all(m.kind == "mosaic" for m in mosaic)
    assert sum(m.default for m in kintsugi.methods("inpaint")) == 1


def test_import_registers_nothing_and_loads_no_backend():
    code = (
        "import sys, kintsugi, kintsugi.methods as m; "
        "print(m._builtins_registered, 'kintsugi.methods.classical' in sys.modules, "
        "'kintsugi.methods.model' in sys.modules, 'onnxruntime' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False", "False", "False"]


def test_fill_signature_of_builtins(fresh_registry):
    image = art()
    mask = bar_mask(48, 64, box=(4, 4, 8, 8))
    for name in ("telea", "ns"):
        out = fresh_registry.get(name)(image, mask)
        assert out.shape == image.shape and out.dtype == np.uint8
