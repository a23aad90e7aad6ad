"""Training side: masks, networks, a two-step resumable run, ONNX export and parity.

torch is the `train` extra; these tests skip where only the runtime is installed.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from kintsugi.training import checkpoint, export, train  # noqa: E402
from kintsugi.training.model import NetConfig, PartialConv2d, build  # noqa: E402
from kintsugi.training.synth_art import generate  # noqa: E402
from kintsugi.training.synth_masks import FAMILIES, random_mask  # noqa: E402

TINY = NetConfig(widths=(4, 6, 8, 8, 8), res_blocks=(0, 1, 0, 1, 1))


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("ratios", [(0.01, 0.1), (0.1, 0.3), (0.3, 0.5)])
def test_random_mask_family_and_ratio(family, ratios):
    rng = np.random.default_rng(3)
    mask = random_mask(rng, (96, 128), family=family, ratio_range=ratios)
    assert mask.dtype == bool and mask.shape == (96, 128)
    # The grown edge (dilation by up to 3 px) may push the ratio a little past the range.
    assert ratios[0] * 0.5 <= mask.mean() <= ratios[1] + 0.15


@pytest.mark.parametrize("arch", ["fillnet", "pconv"])
@pytest.mark.parametrize("hw", [(32, 48), (64, 16)])
def test_network_keeps_known_pixels(arch, hw):
    torch.manual_seed(0)
    net = build(NetConfig(arch=arch, widths=TINY.widths, res_blocks=TINY.res_blocks))
    for p in net.parameters():  # random weights: the zero-initialised head would hide a leak
        torch.nn.init.normal_(p, std=0.3)
    image = torch.rand(2, 3, *hw)
    mask = torch.zeros(2, 1, *hw)
    mask[..., 4:12, 8:20] = 1
    out = net(image, mask)
    assert out.shape == image.shape
    assert torch.equal(out * (1 - mask), image * (1 - mask))
    assert not torch.allclose(out * mask, image * mask)


def test_partial_conv_ignores_hole_content():
    torch.manual_seed(0)
    conv = PartialConv2d(3, 5, 3, padding=1)
    valid = torch.ones(1, 1, 16, 16)
    valid[..., 4:9, 4:9] = 0
    a = torch.rand(1, 3, 16, 16)
    b = a.clone()
    b[..., 4:9, 4:9] = torch.rand(1, 3, 5, 5) * 100  # different garbage in the hole
    out_a, new_valid = conv(a, valid)
    out_b, _ = conv(b, valid)
    assert torch.allclose(out_a, out_b)
    # A 3x3 window centred in the 5x5 hole sees no known pixel: it stays a hole.
    assert new_valid[0, 0, 6, 6] == 0 and new_valid[0, 0, 4, 4] == 1


@pytest.fixture
def tiny_cache(tmp_path):
    rng = np.random.default_rng(0)
    images = []
    for i in range(4):
        rgb = generate(np.random.default_rng(i), size=(40 + 8 * i, 56))
        alpha = np.full(rgb.shape[:2] + (1,), 255, np.uint8)
        alpha[:5] = rng.integers(0, 255)
        images.append(np.concatenate([rgb, alpha], -1))
    for split in ("train", "val"):
        arr = np.empty(len(images), dtype=object)
        arr[:] = images
        np.savez(tmp_path / f"{split}.npz", images=arr, ids=np.array([str(i) for i in range(4)]))
    return tmp_path


def test_two_step_training_resumes_and_exports(tiny_cache, tmp_path):
    run = tmp_path / "run"
    common = [
        "--out",
        str(run),
        "--data",
        str(tiny_cache),
        "--batch",
        "2",
        "--size",
        "32",
        "--val-n",
        "2",
        "--val-every",
        "1",
        "--threads",
        "1",
    ]
    train.main([*common, "--max-steps", "2", "--widths", "4,6,8,8,8", "--res-blocks", "0,1,0,1,1"])
    state = train.load_checkpoint(run / "ckpt.pt")
    assert state["step"] == 2 and tuple(state["config"]["net"]["widths"]) == TINY.widths
    # What the repository keeps: config and float16 EMA weights, no optimiser state.
    assert set(state) == {"config", "ema", "step", "elapsed"}
    assert all(v.dtype == torch.float16 for v in state["ema"].values() if v.is_floating_point())
    train.main([*common, "--max-steps", "4"])  # resumes: the network shape comes from the checkpoint
    assert train.load_checkpoint(run / "ckpt.pt")["step"] == 4
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3, 4]
    assert all(np.isfinite(r["val_l1_hole"]) and "val_l1_telea" in r for r in log)

    onnx_path = tmp_path / "inpaint.onnx"
    export.main([str(run / "ckpt.pt"), str(onnx_path)])
    meta = json.loads(onnx_path.with_suffix(".json").read_text())
    assert meta["step"] == 4 and meta["parity_max_abs"] <= export.PARITY_TOL and "init" not in meta


def test_fine_tuning_starts_from_another_runs_weights(tiny_cache, tmp_path):
    base, fine = tmp_path / "base", tmp_path / "fine"
    common = ["--data", str(tiny_cache), "--batch", "2", "--val-n", "2", "--val-every", "1", "--threads", "1"]
    train.main(["--out", str(base), "--size", "32", "--max-steps", "2", "--widths", "4,6,8,8,8", *common])
    start = train.load_checkpoint(base / "ckpt.pt")
    # A different crop size and LR; --widths is ignored: the network comes from the checkpoint.
    argv = ["--out", str(fine), "--init", str(base / "ckpt.pt"), "--size", "48", "--lr", "3e-4", "--seed", "5"]
    argv += ["--lowpass", "2.0", "--grad-weight", "0.25"]
    train.main([*argv, "--widths", "8,8,8,8,8", "--max-steps", "1", *common])
    state = train.load_checkpoint(fine / "ckpt.pt")
    cfg = state["config"]
    assert state["step"] == 1 and cfg["size"] == 48 and cfg["lr"] == 3e-4 and cfg["seed"] == 5
    assert cfg["lowpass"] == 2.0 and cfg["grad_weight"] == 0.25
    assert "val_lp_hole" in json.loads((fine / "log.jsonl").read_text().splitlines()[-1])
    assert tuple(cfg["net"]["widths"]) == TINY.widths and cfg["init"] == f"{base / 'ckpt.pt'}@2"
    # One step from the base EMA weights: still those (kept in float16), not a fresh network.
    # Batch-norm running statistics are left out: one forward pass moves them by 10%.
    weights = [k for k, v in start["ema"].items() if v.is_floating_point() and "running" not in k]
    diffs = [float((state["ema"][k].float() - start["ema"][k].float()).abs().max()) for k in weights]
    fresh = build(train.config_from_dict(dict(start["config"])).net).state_dict()
    assert max(diffs) < 0.01 < max(float((fresh[k] - start["ema"][k].float()).abs().max()) for k in weights)
    # The exported weights say where their training started.
    export.main([str(fine / "ckpt.pt"), str(tmp_path / "fine.onnx")])
    assert json.loads((tmp_path / "fine.json").read_text())["init"] == cfg["init"]


def test_lowpass_loss_is_the_benchmarks_blur_and_is_added_when_weighted():
    import cv2

    from kintsugi.training.losses import gaussian_blur, inpaint_loss, lowpass_l1

    rng = np.random.default_rng(4)
    a = rng.random((20, 24, 3)).astype(np.float32)
    ref = cv2.GaussianBlur(a, (13, 13), 2, borderType=cv2.BORDER_REFLECT_101)
    ours = gaussian_blur(torch.from_numpy(a).permute(2, 0, 1)[None])[0].permute(1, 2, 0).numpy()
    assert np.abs(ours - ref).max() < 1e-5
    pred, target = torch.rand(2, 3, 24, 24), torch.rand(2, 3, 24, 24)
    mask = (torch.rand(2, 1, 24, 24) > 0.5).float()
    assert float(lowpass_l1(target, target, mask)) == 0.0 < float(lowpass_l1(pred, target, mask))
    plain, weighted = inpaint_loss(pred, target, mask), inpaint_loss(pred, target, mask, lowpass=2.0)
    assert "lowpass" not in plain
    assert float(weighted["total"] - plain["total"]) == pytest.approx(2.0 * float(weighted["lowpass"]), rel=1e-5)
    no_grad = inpaint_loss(pred, target, mask, grad_weight=0.0)
    assert float(plain["total"] - no_grad["total"]) == pytest.approx(0.5 * float(plain["grad"]), rel=1e-5)


def _random_net(seed: int) -> torch.nn.Module:
    """The tiny network with random weights: a freshly initialised one is too close to the
    identity (small head) for a parity or pass-through check to mean anything."""
    torch.manual_seed(seed)
    net = build(TINY)
    for p in net.parameters():
        torch.nn.init.normal_(p, std=0.2)
    return net


def test_onnx_parity_with_random_weights(tmp_path):
    net = _random_net(1)
    path = tmp_path / "net.onnx"
    export.export(net, path)
    err = export.parity(net, path, sizes=((48, 80), (96, 32)))
    assert err <= export.PARITY_TOL


def test_runtime_keeps_pixels_outside_hole(tmp_path):
    import onnxruntime as ort

    from kintsugi.methods import model as runtime

    net = _random_net(2)
    path = tmp_path / "net.onnx"
    export.export(net, path)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)  # not a multiple of 16: padded
    mask = np.zeros((37, 53), bool)
    mask[10:20, 5:30] = True
    out = runtime.run_network(sess, runtime.prefill(image, mask), mask)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert np.array_equal(out[~mask], image[~mask])
    assert not np.array_equal(out[mask], image[mask])


def test_a_pack_fits_its_budget_and_trains_with_worker_processes(tiny_cache, tmp_path):
    # The GPU machine's path, on the CPU: a packed subset, batches from a worker process.
    from kintsugi.training import pack
    from kintsugi.training.data import load_cache

    packed = tmp_path / "pack"
    pack.main(["--data", str(tiny_cache), "--out", str(packed), "--mib", "0.05", "--max-side", "40", "--val", "2"])
    size = sum(f.stat().st_size for f in packed.iterdir())
    assert size <= 0.05 * 2**20
    images = load_cache(packed / "train.npz")
    assert images and all(im.ndim == 3 and im.shape[2] == 4 and max(im.shape[:2]) <= 40 for im in images)
    run = tmp_path / "run"
    argv = ["--out", str(run), "--data", str(packed), "--batch", "2", "--size", "32", "--val-n", "2"]
    train.main([*argv, "--val-every", "1", "--threads", "1", "--widths", "4,6,8,8,8", "--max-steps", "2"])
    train.main([*argv, "--max-steps", "3", "--workers", "1", "--device", "cpu"])
    assert train.load_checkpoint(run / "ckpt.pt")["step"] == 3


def test_bar_network_trains_resumes_and_exports(tiny_cache, tmp_path):
    from kintsugi.training import train_barnet

    run = tmp_path / "bars"
    common = ["--out", str(run), "--minutes", "5", "--data", str(tiny_cache)]
    shape = ["--batch", "2", "--size", "32", "--val-n", "2", "--val-every", "1", "--threads", "1"]
    train_barnet.main([*common, *shape, "--max-steps", "2", "--widths", "4,6,8,8,8", "--res-blocks", "0,1,0,1,1"])
    train_barnet.main([*common, "--max-steps", "3"])  # resumes with the checkpoint's shape
    state = checkpoint.load(run / "ckpt.pt")
    assert state["step"] == 3 and set(state) == {"config", "ema", "step", "elapsed"}
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3] and all(0 <= r["iou_solid"] <= 1 for r in log)
    onnx_path = tmp_path / "barnet.onnx"
    export.main([str(run / "ckpt.pt"), str(onnx_path)])
    meta = json.loads(onnx_path.with_suffix(".json").read_text())
    assert meta["arch"] == "barnet" and meta["step"] == 3 and meta["parity_max_abs"] <= export.PARITY_TOL


@pytest.mark.parametrize("hw", [(20, 30), (70, 50)])
def test_bar_crop_keeps_image_and_target_aligned(hw):
    """Padded (smaller than the crop) or cut, a crop's target marks the same pixels as before."""
    from kintsugi.training.bar_data import crop

    image = np.full((*hw, 3), 200, np.uint8)
    target = np.zeros((2, *hw), bool)
    target[0, 5:12, 4:20] = True
    image[target[0]] = (255, 0, 255)  # the only magenta pixels
    seen = 0
    for seed in range(8):
        out, marks = crop(image, target, rng=np.random.default_rng(seed), size=40)
        assert out.shape == (40, 40, 3) and marks.shape == (2, 40, 40) and not marks[1].any()
        assert np.array_equal(marks[0], (out == (255, 0, 255)).all(axis=-1))
        seen += marks[0].any()
    assert seen >= 4  # most crops are centred near the bar
