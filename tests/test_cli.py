from __future__ import annotations

import importlib.machinery
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from synthetic import art, bar_mask, paint, painted_file, save

from kintsugi import cli


def _run(*argv: str | Path) -> int:
    return cli.main([str(a) for a in argv])


def test_methods_lists_the_default(capsys):
    assert _run("methods") == 0
    lines = capsys.readouterr().out.splitlines()
    telea = next(line for line in lines if line.startswith("telea"))
    assert "inpaint" in telea
    assert sum("default" in line.split() for line in lines if " inpaint " in line) == 1


def test_methods_by_kind(capsys, mosaic_test_method):
    assert _run("methods", "--kind", "mosaic") == 0
    out = capsys.readouterr().out
    assert mosaic_test_method in out and "telea" not in out


def test_unknown_method_is_a_usage_error(tmp_path, capsys):
    painted_file(tmp_path / "a.png")
    assert _run("inpaint", tmp_path / "a.png", "-o", tmp_path / "out", "--method", "magic") == 2
    assert "unknown method 'magic'; available:" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_inpaint_method_in_mosaic_mode_is_refused(tmp_path, capsys):
    painted_file(tmp_path / "p" / "a.png")
    save(tmp_path / "o" / "a.png", art())
    code = _run("inpaint", tmp_path / "p", "-o", tmp_path / "out", "--originals", tmp_path / "o", "--method", "telea")
    assert code == 2
    assert "method 'telea' is for inpainting, not mosaic restoration; use one of:" in capsys.readouterr().err


def test_missing_originals_folder(tmp_path, capsys):
    painted_file(tmp_path / "p" / "a.png")
    assert _run("inpaint", tmp_path / "p", "--originals", tmp_path / "nope", "-o", tmp_path / "out") == 2
    assert "--originals" in capsys.readouterr().err


def test_no_paths_and_no_default_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert _run("inpaint") == 2
    assert "no decensor_input/ folder" in capsys.readouterr().err


def test_no_paths_uses_deepcreampy_folders_and_mosaic_mode(tmp_path, monkeypatch, capsys, fresh_registry):
    # Stand-in for the colleague-written kintsugi.methods.mosaic, so the default mosaic method exists.
    module = types.ModuleType("kintsugi.methods.mosaic")
    module.__spec__ = importlib.machinery.ModuleSpec(module.__name__, None)

    def restore_cubic(image, mask):
        out = image.copy()
        out[mask] = 100
        return out

    module.restore_cubic = restore_cubic
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(sys.modules, "kintsugi.methods.model", None)
    monkeypatch.chdir(tmp_path)
    original = art(seed=4)
    mask = bar_mask(48, 64, box=(8, 8, 20, 30))
    save(Path("decensor_input") / "m.png", paint(original, mask))
    save(Path("decensor_input_original") / "m.jpg", original, quality=100)
    assert _run("inpaint") == 0
    assert "mosaic restoration of 1 image(s) into decensor_output/" in capsys.readouterr().err
    result = np.asarray(Image.open("decensor_output/m.png"))
    assert (result[mask] == 100).all()


def test_empty_input_folder(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    assert _run("inpaint", tmp_path / "in", "-o", tmp_path / "out") == 1
    assert "no images (PNG, JPEG, WebP, BMP, TIFF) found" in capsys.readouterr().err


def test_pixel_limit_refusal_and_override(tmp_path, capsys):
    painted_file(tmp_path / "a.png")  # 64x48 = 3072 pixels
    assert _run("inpaint", tmp_path / "a.png", "-o", tmp_path / "out", "--max-pixels", "1000") == 1
    assert "--max-pixels 3072" in capsys.readouterr().err
    assert _run("inpaint", tmp_path / "a.png", "-o", tmp_path / "out", "--max-pixels", "0") == 0
    assert (tmp_path / "out" / "a.png").exists()


@pytest.mark.parametrize("value", ["-5", "lots"])
def test_bad_max_pixels_value(tmp_path, capsys, value):
    with pytest.raises(SystemExit) as caught:
        _run("inpaint", tmp_path, "--max-pixels", value)
    assert caught.value.code == 2
    assert "--max-pixels" in capsys.readouterr().err


def test_no_subcommand_prints_help(capsys):
    assert _run() == 2
    assert "inpaint" in capsys.readouterr().err


def test_version(capsys):
    with pytest.raises(SystemExit):
        _run("--version")
    assert capsys.readouterr().out.startswith("kintsugi ")


def test_subcommand_table_is_the_extension_point(capsys):
    cli.add_command("hello-test", help="t", configure=lambda p: p.add_argument("--n", type=int), run=lambda a: a.n)
    try:
        assert _run("hello-test", "--n", "7") == 7
    finally:
        cli.COMMANDS.pop("hello-test")


def test_module_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "kintsugi.cli", "methods"], capture_output=True, text=True)
    assert result.returncode == 0 and "telea" in result.stdout


def _mosaic_picture() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mosaicked art, truth, the censored region): 8 px blocks over the middle of a gradient
    figure, large enough for the detector (several grid junctions each way)."""
    from kintsugi.training.synth_mosaic import apply_mosaic, mosaic_mask

    yy, xx = np.mgrid[0:96, 0:128]
    truth = np.stack([xx * 2, yy * 2 + 40, 255 - xx], -1).clip(0, 255).astype(np.uint8)
    region = mosaic_mask(bar_mask(96, 128, box=(24, 32, 72, 96)), block=8)
    return apply_mosaic(truth, region, block=8), truth, region


def test_detect_paints_found_mosaics_green(tmp_path, capsys):
    mosaic, _, region = _mosaic_picture()
    save(tmp_path / "in" / "m.png", mosaic)
    assert _run("detect", tmp_path / "in", "-o", tmp_path / "out") == 0
    assert "8px" in capsys.readouterr().out  # the block size is reported
    out = np.asarray(Image.open(tmp_path / "out" / "m.png").convert("RGB"))
    green = np.all(out == (0, 255, 0), axis=-1)
    assert (green & region).sum() / (green | region).sum() > 0.9  # IoU with the true region
    assert np.array_equal(out[~green], mosaic[~green])


def test_detect_masks_and_clean_image_reported(tmp_path, capsys):
    mosaic, truth, region = _mosaic_picture()
    save(tmp_path / "in" / "m.png", mosaic)
    save(tmp_path / "in" / "clean.png", truth)
    assert _run("detect", tmp_path / "in", "-o", tmp_path / "out", "--masks") == 1  # clean.png: nothing found
    assert "clean.png: no censor found" in capsys.readouterr().err
    assert not (tmp_path / "out" / "clean.png").exists()
    mask = np.asarray(Image.open(tmp_path / "out" / "m.png").convert("L")) > 127
    assert (mask & region).sum() / (mask | region).sum() > 0.9


def test_inpaint_auto_restores_without_painting(tmp_path):
    mosaic, truth, region = _mosaic_picture()
    save(tmp_path / "in" / "m.png", mosaic)
    assert _run("inpaint", "--auto", tmp_path / "in", "-o", tmp_path / "out") == 0
    out = np.asarray(Image.open(tmp_path / "out" / "m.png").convert("RGB"))
    err_before = np.abs(mosaic[region].astype(int) - truth[region]).mean()
    err_after = np.abs(out[region].astype(int) - truth[region]).mean()
    assert err_after < err_before  # closer to the art than the mosaic was
    assert np.array_equal(out[~region], mosaic[~region])


def test_auto_does_not_combine_with_originals(tmp_path, capsys):
    painted_file(tmp_path / "p" / "a.png")
    (tmp_path / "o").mkdir()
    assert _run("inpaint", "--auto", tmp_path / "p", "--originals", tmp_path / "o", "-o", tmp_path / "out") == 2
    assert "--auto" in capsys.readouterr().err
