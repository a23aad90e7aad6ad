"""Our learned fillers, run with ONNX Runtime (no torch at run time).

The networks are trained by `kintsugi.training` and exported, with a parity check, to
`kintsugi/weights/{inpaint,mosaic}.onnx` (and the bar segmentation network's `barnet.onnx`,
used by kintsugi.detect.barnet, when one ships). Sessions are built once per process and shared: ONNX
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

KINDS = ("inpaint", "mosaic", "barnet")
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


# Test-time flips (self-ensemble) of the inpainting network: the crop as given and its three
# mirror images (left-right, top-bottom, both), each pre-filled and run on its own, each answer
# flipped back, the four averaged before rounding. Chosen on 60 training images per family
# (bars, strokes 0-10%, 20-30%), against one pass, L1 in the hole fell 1.6-3.4% with three
# mirrors sharing one pre-fill, 2.0-4.4% with all four, and a further 0.2-0.7% with a pre-fill
# per mirror; adding the transposed passes (8 in all) did no better than four.
# (rows, cols) mirrored per pass.
FLIPS = ((False, False), (False, True), (True, False), (True, True))


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
    return np.ascontiguousarray(a[:: -1 if rows else 1, :: -1 if cols else 1])


def _to_uint8(out: np.ndarray, known: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """float HxWx3 in [0, 1] → uint8, with the pixels outside ``mask`` exactly those of ``known``
    (the graph composites them already, rounding aside)."""
    res = (out * 255.0 + 0.5).astype(np.uint8)
    res[~mask] = known[~mask]
    return res


def run_network(sess, guess: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """One pass of the network on guess RGB uint8 HxWx3 (the hole already holds a first guess,
    or the mosaic pixels) and mask bool HxW → RGB uint8 HxWx3."""
    return _to_uint8(_forward(sess, guess, mask), guess, mask)


def inpaint(sess, image: np.ndarray, mask: np.ndarray, *, flips: bool = True) -> np.ndarray:
    """The `model` method: Telea pre-fill, then the network; with ``flips``, the mean of the
    passes in FLIPS. image RGB uint8 HxWx3, mask bool HxW → RGB uint8 HxWx3."""
    passes = FLIPS if flips else FLIPS[:1]
    total = np.zeros((*mask.shape, 3), np.float32)
    for rows, cols in passes:
        img, msk = _flip(image, rows, cols), _flip(mask, rows, cols)
        total += _flip(_forward(sess, prefill(img, msk), msk), rows, cols)
    return _to_uint8(total / len(passes), image, mask)


def is_grey(image: np.ndarray) -> bool:
    """True when every pixel of RGB uint8 HxWx3 has R = G = B (a black-and-white page)."""
    return bool(np.all(image[..., 0] == image[..., 1]) and np.all(image[..., 1] == image[..., 2]))


def keep_grey(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """image (RGB uint8 HxWx3) with the pixels under ``mask`` (bool HxW) set to their channel
    mean: a grey page stays grey where the network, trained mostly on colour, tints it."""
    out = image.copy()
    out[mask] = np.rint(image[mask].astype(np.float32).mean(axis=-1, keepdims=True)).astype(np.uint8)
    return out


def regular_screen(image: np.ndarray, mask: np.ndarray) -> bool:
    """True when the known texture around ``mask`` in image (RGB uint8 HxWx3) is a regular screen
    (dots, lines, hatching: most candidate shifts snap to an autocorrelation peak)."""
    from kintsugi.methods.shifts import candidate_offsets
    from kintsugi.methods.texture import TextureConfig

    cfg = TextureConfig()
    _, regular = candidate_offsets(image, mask, directions=cfg.directions, reach=cfg.reach, snap=cfg.snap)
    return regular


def copy_screen(image: np.ndarray, mask: np.ndarray, structure: np.ndarray) -> np.ndarray:
    """A mosaic over a screen (a B&W page, or tone and hatching in colour) hides a pattern that
    no block mean records: copy it in phase from the picture around the mosaic, guided by the
    network's ``structure`` (methods.texture, as `hybrid` does for holes); the block means then
    set the tones. Used on grey pages, and on colour only where the texture is a regular screen:
    on colour art without one the network alone scored better (benchmarks/mosaic.py; model card).
    RGB uint8 HxWx3 and bool HxW → RGB uint8 HxWx3."""
    from kintsugi.methods import texture

    # No shifts along the edges at the mosaic: they cost its restoration 0.09 dB on unseen
    # manga (benchmarks/mosaic.py --family manga --offset 100: +2.02 → +1.93 dB over cubic).
    # The grey-page peak threshold and screen test stay as measured for mosaics (session 7) too.
    cfg = texture.TextureConfig(edge_directions=0, grey_peak=0.5, screen_detail=0.0)
    return texture.synthesize(image, mask, structure, config=cfg)


def restore_mosaic(sess, image: np.ndarray, mask: np.ndarray, *, consistent: bool = True) -> np.ndarray:
    """The mosaic network on the mosaic pixels (on a grey page kept grey; on a grey page or over a
    regular screen, the screen copied in over it: ``copy_screen``); then, with ``consistent``,
    each whole block is nudged so that re-averaging it gives back the block colour the mosaic
    shows (the evidence).

    image RGB uint8 HxWx3 (the un-painted mosaic), mask bool HxW → RGB uint8 HxWx3.
    """
    out = run_network(sess, image, mask)
    if is_grey(image):
        out = copy_screen(image, mask, keep_grey(out, mask))
    elif regular_screen(image, mask):
        out = copy_screen(image, mask, out)
    if not consistent:
        return out
    from kintsugi.detect import estimate_grid
    from kintsugi.methods.mosaic import enforce_block_means

    return enforce_block_means(out, image, mask, grid=estimate_grid(image, mask))


def inpaint_fill(sess, *, flips: bool = True) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The `model` method's fill function on an inpainting session."""
    return lambda image, mask: inpaint(sess, image, mask, flips=flips)


def load(kind: str = "inpaint") -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The fill function of the `model` (inpaint) or `mosaic-model` (mosaic) method."""
    sess = session(kind)
    if kind == "inpaint":
        return inpaint_fill(sess)
    return lambda image, mask: restore_mosaic(sess, image, mask)
