"""The method registry: name -> fill function + metadata.

A method is a callable ``fill(image, mask) -> image`` (RGB uint8 HxWx3, bool HxW hole mask,
result of the same shape). Its factory runs at most once per process (sessions are expensive
to build), and only when the method is first used. Built-in methods are registered on the
first registry access, never at import time, so ``import kintsugi`` stays cheap.

Two kinds exist: "inpaint" (invent the hole from its surroundings) and "mosaic" (restore a
pixelated region, reading the mosaic pixels under the hole).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from kintsugi.errors import MethodError

Fill = Callable[[np.ndarray, np.ndarray], np.ndarray]
KINDS = ("inpaint", "mosaic")
_KIND_LABELS = {"inpaint": "inpainting", "mosaic": "mosaic restoration"}

# Preference order per kind; the first available one is the default. The one place defaults live.
_PREFERENCE = {
    "inpaint": ("hybrid", "model", "telea"),
    "mosaic": ("mosaic-model", "mosaic-cubic"),
}


@dataclass(frozen=True)
class MethodInfo:
    """What ``kintsugi methods`` lists, and what the engine needs to run a method."""

    name: str
    kind: str  # "inpaint" or "mosaic"
    description: str
    max_side: int | None = None  # crops larger than this are downscaled for the method
    margin: int = 32  # context pixels around each hole region
    default: bool = False  # filled in by available()


@dataclass
class _Entry:
    info: MethodInfo
    factory: Callable[[], Fill]  # cached: runs at most once
    is_available: Callable[[], bool]


_registry: dict[str, _Entry] = {}
_builtins_registered = False
_lock = threading.Lock()


def register(
    name: str,
    *,
    kind: str,
    description: str,
    factory: Callable[[], Fill],
    max_side: int | None = None,
    margin: int = 32,
    is_available: Callable[[], bool] | None = None,
) -> None:
    """Add (or replace) a method. ``factory()`` builds the fill function, once, on first use;
    ``is_available()`` says whether it can be used on this installation (default: yes)."""
    if kind not in KINDS:
        raise MethodError(f"method {name!r}: kind must be one of {KINDS}, got {kind!r}")
    _ensure_builtins()
    info = MethodInfo(name=name, kind=kind, description=description, max_side=max_side, margin=margin)
    _registry[name] = _Entry(info=info, factory=functools.cache(factory), is_available=is_available or _always)


def get(name: str) -> Fill:
    """The fill function of an available method; MethodError names the alternatives otherwise."""
    entry = _entry(name)
    try:
        return entry.factory()
    except MethodError:
        raise
    except Exception as exc:  # a broken optional backend must read as a method problem
        raise MethodError(f"method {name!r} could not be loaded: {exc}") from exc


def info(name: str) -> MethodInfo:
    """Metadata of an available method, with its ``default`` flag set."""
    entry = _entry(name)
    return replace(entry.info, default=_default_or_none(entry.info.kind) == name)


def available(kind: str | None = None) -> list[MethodInfo]:
    """Methods usable here (optionally of one kind), defaults flagged, in registration order."""
    _ensure_builtins()
    defaults = {k: _default_or_none(k) for k in KINDS}
    return [
        replace(entry.info, default=defaults[entry.info.kind] == name)
        for name, entry in list(_registry.items())
        if (kind is None or entry.info.kind == kind) and _usable(entry)
    ]


def require(name: str | None, *, kind: str) -> MethodInfo:
    """Metadata of method ``name`` (None: the default of ``kind``), which must be of ``kind``."""
    meta = info(name or default_method(kind))
    if meta.kind != kind:
        wanted = ", ".join(i.name for i in available(kind)) or "none is installed"
        raise MethodError(
            f"method {meta.name!r} is for {_KIND_LABELS[meta.kind]}, not {_KIND_LABELS[kind]}; use one of: {wanted}"
        )
    return meta


def default_method(kind: str) -> str:
    """The default method name for ``kind``: the first available in the preference order."""
    if kind not in KINDS:
        raise MethodError(f"unknown method kind {kind!r}; expected one of {KINDS}")
    name = _default_or_none(kind)
    if name is None:
        raise MethodError(f"no {kind} method is available in this installation")
    return name


def _default_or_none(kind: str) -> str | None:
    _ensure_builtins()
    for name in _PREFERENCE[kind]:
        entry = _registry.get(name)
        if entry is not None and _usable(entry):
            return name
    # Nothing preferred is installed: fall back to the first registered method of that kind.
    return next((n for n, e in list(_registry.items()) if e.info.kind == kind and _usable(e)), None)


def _entry(name: str) -> _Entry:
    _ensure_builtins()
    entry = _registry.get(name)
    if entry is None:
        names = ", ".join(i.name for i in available()) or "none"
        raise MethodError(f"unknown method {name!r}; available: {names} (see `kintsugi methods`)")
    if not _usable(entry):
        raise MethodError(
            f"method {name!r} is not available in this installation (its module or weights are "
            f"missing); available: {', '.join(i.name for i in available())}"
        )
    return entry


def _usable(entry: _Entry) -> bool:
    try:
        return bool(entry.is_available())
    except Exception:  # an optional backend that cannot even say whether it works does not
        return False


def _always() -> bool:
    return True


def _ensure_builtins() -> None:
    global _builtins_registered
    if _builtins_registered:
        return
    with _lock:
        if not _builtins_registered:
            _builtins_registered = True  # set first: _register_builtins calls register()
            _register_builtins()


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _model_available(kind: str) -> bool:
    # find_spec first: a missing module (the model is optional) must not cost an import attempt.
    if not _module_exists("kintsugi.methods.model"):
        return False
    model = importlib.import_module("kintsugi.methods.model")
    return bool(model.is_available() if kind == "inpaint" else model.is_available(kind))


def _load_model(kind: str) -> Fill:
    model = importlib.import_module("kintsugi.methods.model")
    return model.load() if kind == "inpaint" else model.load(kind)


HYBRID_NET_SIDE = 512  # the network's working size inside `hybrid` (the texture runs at full size)


def _load_hybrid() -> Fill:
    from kintsugi.methods import model

    return hybrid_fill(model.session("inpaint"))


def hybrid_fill(sess) -> Fill:
    """The `hybrid` method's fill on an inpainting network's ONNX Runtime session: the network's
    structure (one pass, at most HYBRID_NET_SIDE px), the texture copied over it."""
    from kintsugi import engine
    from kintsugi.methods import model, texture

    # One network pass (not the four mirrored ones of `model`): the copied texture decides the
    # look, and the time goes to the shift search instead.
    net = model.inpaint_fill(sess, flips=False)

    def fill(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        structure = engine.fill_crop(net, image, mask=mask, max_side=HYBRID_NET_SIDE, name="model")
        return texture.synthesize(image, mask, structure)

    return fill


def _load_mosaic_cubic() -> Fill:
    from kintsugi.methods.mosaic import restore_cubic

    return restore_cubic


def _register_builtins() -> None:
    from kintsugi.methods import classical

    register(
        "model",
        kind="inpaint",
        description="kintsugi's own inpainting network (ONNX Runtime)",
        factory=functools.partial(_load_model, "inpaint"),
        max_side=512,  # the network's working size; larger crops are downscaled
        margin=64,
        is_available=functools.partial(_model_available, "inpaint"),
    )
    register(
        "hybrid",
        kind="inpaint",
        description="the network's structure, with lines and texture copied from the picture",
        factory=_load_hybrid,
        max_side=1024,  # bounds the shift search's time and memory on huge crops
        margin=64,
        is_available=functools.partial(_model_available, "inpaint"),
    )
    register(
        "telea",
        kind="inpaint",
        description="OpenCV Telea fast marching (classical, no model)",
        factory=lambda: classical.telea,
        margin=16,
    )
    register(
        "ns",
        kind="inpaint",
        description="OpenCV Navier-Stokes (classical, no model)",
        factory=lambda: classical.navier_stokes,
        margin=16,
    )
    register(
        "mosaic-model",
        kind="mosaic",
        description="kintsugi's mosaic restoration network (ONNX Runtime)",
        factory=functools.partial(_load_model, "mosaic"),
        max_side=512,
        margin=64,
        is_available=functools.partial(_model_available, "mosaic"),
    )
    register(
        "mosaic-cubic",
        kind="mosaic",
        description="cubic interpolation of the mosaic block means (classical, no model)",
        factory=_load_mosaic_cubic,
        margin=64,  # several whole blocks of context so the block grid can be found
        is_available=functools.partial(_module_exists, "kintsugi.methods.mosaic"),
    )


class _CallableModule(types.ModuleType):
    """Lets ``kintsugi.methods()`` list the methods although ``kintsugi.methods`` is this package:
    importing a submodule rebinds the parent's attribute to the module, so a plain function of
    that name in kintsugi/__init__.py would be shadowed as soon as anything imports the registry."""

    def __call__(self, kind: str | None = None) -> list[MethodInfo]:
        return available(kind)


sys.modules[__name__].__class__ = _CallableModule
