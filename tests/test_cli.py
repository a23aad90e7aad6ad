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
