"""Our learned fillers, run with ONNX Runtime (no torch at run time).

The networks are trained by `kintsugi.training` and exported, with a parity check, to
`kintsugi/weights/{inpaint,mosaic}.onnx`. Sessions are built once per process and shared: ONNX
Runtime's `run` is safe to call from several threads at once.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np

from kintsugi.errors import MethodError
from kintsugi.methods import classical

KINDS = ("inpaint", "mosaic")
MULTIPLE = 16  # the networks downsample 4 times: inputs are padded to a multiple of 16


def prefill(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The classical first guess the inpainting network corrects: OpenCV Telea, radius 3.

    image RGB uint8 HxWx3, mask bool HxW (True = hole) → RGB uint8 HxWx3. Training calls this
    same function, so the network always sees the guess it was trained on. A crop that is all
    hole gets flat mid-grey (classical.telea's rule): there is nothing to propagate.
    """
    return classical.telea(image, mask, radius=3)


def weights_path(kind: str = "inpaint") -> Path:
    if kind not in KINDS:
        raise MethodError(f"unknown model kind {kind!r}; expected one of {KINDS}")
    return Path(str(resources.files("kintsugi") / "weights" / f"{kind}.onnx"))


def is_available(kind: str = "inpaint") -> bool:
    return weights_path(kind).is_file()


def _threads() -> int:
    # All cores of a small machine, but at most 4: beyond that a 1-2 M-parameter network
    # gains little and a server running several requests would oversubscribe.
    return max(1, min(4, os.cpu_count() or 1))


@functools.cache
def session(kind: str = "inpaint"):
    import onnxruntime as ort  # imported here: listing methods must not pay for it

    path = weights_path(kind)
    if not path.is_file():
        raise MethodError(f"the {kind} model is not installed ({path} is missing)")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = _threads()
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


# Test-time flips (self-ensemble) of the inpainting network: the crop as given, mirrored
# left-right and mirrored top-bottom, each answer flipped back, the three averaged before
# rounding. On 60 training images per family this lowered L1 in the hole by 1.6-3.4% (bars,
# strokes 0-10% and 20-30%), for three passes instead of one. (rows, cols) mirrored per pass.
FLIPS = ((False, False), (False, True), (True, False))


def _forward(sess, guess: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """One pass: guess RGB uint8 HxWx3, mask bool HxW → float32 HxWx3 in [0, 1].

    The input is padded (edge-replicated, pad marked known) to a multiple of 16 and cropped back.
    """
    h, w = mask.shape
    ph, pw = -h % MULTIPLE, -w % MULTIPLE
    img = np.pad(guess, ((0, ph), (0, pw), (0, 0)), mode="edge")
    msk = np.pad(mask, ((0, ph), (0, pw)))
    x = np.ascontiguousarray(img.transpose(2, 0, 1)[None], dtype=np.float32) / 255.0  # (1,3,H,W)
    m = msk[None, None].astype(np.float32)  # (1,1,H,W)
    (out,) = sess.run(None, {"image": x, "mask": m})
    return out[0, :, :h, :w].transpose(1, 2, 0)


def _flip(a: np.ndarray, rows: bool, cols: bool) -> np.ndarray:
    return a[:: -1 if rows else 1, :: -1 if cols else 1]


def run_network(sess, guess: np.ndarray, mask: np.ndarray, *, flips: bool = False) -> np.ndarray:
    """The network on guess RGB uint8 HxWx3 (the hole already holds a first guess, or the
    mosaic pixels) and mask bool HxW → RGB uint8 HxWx3; with ``flips``, the mean of the
    passes in FLIPS."""
    passes = FLIPS if flips else FLIPS[:1]
    total = np.zeros((*mask.shape, 3), np.float32)
    for rows, cols in passes:
        total += _flip(_forward(sess, _flip(guess, rows, cols), _flip(mask, rows, cols)), rows, cols)
    out = (total / len(passes) * 255.0 + 0.5).astype(np.uint8)
    # Known pixels come back exactly as given (the graph composites, rounding aside).
    out[~mask] = guess[~mask]
    return out


def restore_mosaic(sess, image: np.ndarray, mask: np.ndarray, *, consistent: bool = True) -> np.ndarray:
    """The mosaic network on the mosaic pixels; then, with ``consistent``, each whole block is
    nudged so that re-averaging it gives back the block colour the mosaic shows (the evidence).

    image RGB uint8 HxWx3 (the un-painted mosaic), mask bool HxW → RGB uint8 HxWx3.
    """
    out = run_network(sess, image, mask)
    if not consistent:
        return out
    from kintsugi.detect import estimate_grid
    from kintsugi.methods.mosaic import enforce_block_means

    return enforce_block_means(out, image, mask, grid=estimate_grid(image, mask))


def inpaint_fill(sess, *, flips: bool = True) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The `model` method's fill on an inpainting session: Telea pre-fill, then the network."""
    return lambda image, mask: run_network(sess, prefill(image, mask), mask, flips=flips)


def load(kind: str = "inpaint") -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The fill function of the `model` (inpaint) or `mosaic-model` (mosaic) method."""
    sess = session(kind)
    if kind == "inpaint":
        return inpaint_fill(sess)
    return lambda image, mask: restore_mosaic(sess, image, mask)
