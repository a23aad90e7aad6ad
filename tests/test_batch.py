"""Batch behaviour, driven through the CLI entry point as a user would (in-process, fast)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from synthetic import GREEN, art, bar_mask, load, paint, painted_file, save

from kintsugi import batch, cli, engine, io
from kintsugi.errors import OutputError


def _run(*argv: str | Path) -> int:
    return cli.main([str(a) for a in argv])


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_folder_is_repaired_outside_pixels_identical(tmp_path, capsys):
    clean_a, mask_a = painted_file(tmp_path / "in" / "a.png", seed=1)
    painted_file(tmp_path / "in" / "b.png", seed=2, box=(0, 0, 6, 64))
    before = _snapshot(tmp_path / "in")
    assert _run("inpaint", tmp_path / "in", "-o", tmp_path / "out") == 0
    assert _files(tmp_path / "out") == ["a.png", "b.png"]
    result = load(tmp_path / "out" / "a.png")
    painted = paint(clean_a, mask_a)
    assert np.array_equal(result[~mask_a], painted[~mask_a])
    assert not (result[mask_a] == GREEN).all(axis=1).any()
    assert _snapshot(tmp_path / "in") == before, "inputs must never change"
    out = capsys.readouterr().out
    assert "1 region, 336 px" in out and "2 done, 0 skipped, 0 failed" in out


def test_alpha_is_kept(tmp_path):
    clean = art()
    mask = bar_mask(48, 64, box=(10, 10, 20, 30))
    alpha = np.tile(np.linspace(0, 255, 64).astype(np.uint8), (48, 1))
    save(tmp_path / "in" / "t.png", paint(clean, mask), alpha)
    assert _run("inpaint", tmp_path / "in", "-o", tmp_path / "out") == 0
    result = load(tmp_path / "out" / "t.png")
    assert result.shape == (48, 64, 4)
    assert np.array_equal(result[..., 3], alpha)


@pytest.mark.parametrize("suffix", [".jpg", ".webp", ".bmp", ".tif"])
def test_other_formats_in_png_out(tmp_path, suffix):
    clean = art()
    mask = bar_mask(48, 64, box=(10, 10, 20, 30))
    save(tmp_path / "in" / f"p{suffix}", paint(clean, mask), **({"quality": 95} if suffix == ".jpg" else {}))
    assert _run("inpaint", tmp_path / "in", "-o", tmp_path / "out") == 0
    assert _files(tmp_path / "out") == ["p.png"]


def test_exif_rotated_jpeg_comes_out_upright(tmp_path):
    stored = paint(art(48, 64), bar_mask(48, 64, box=(0, 0, 10, 10)))
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(tmp_path / "r.jpg", exif=exif.tobytes(), quality=95)
    assert _run("inpaint", tmp_path / "r.jpg", "-o", tmp_path / "out") == 0
    assert load(tmp_path / "out" / "r.png").shape == (64, 48, 3)


def test_no_green_is_reported_and_not_written(tmp_path, capsys):
    save(tmp_path / "in" / "plain.png", art())
    assert _run("inpaint", tmp_path / "in", "-o", tmp_path / "out") == 1
    assert _files(tmp_path / "out") == []
    err = capsys.readouterr().err
    assert "plain.png: no green (0,255,0) found; nothing written" in err


def test_batch_goes_on_after_bad_files(tmp_path, capsys):
    folder = tmp_path / "in"
    painted_file(folder / "good.png")
    (folder / "empty.png").write_bytes(b"")
    (folder / "notes.jpg").write_text("not a picture")
    good = (folder / "good.png").read_bytes()
    (folder / "cut.png").write_bytes(good[: len(good) // 2])
    painted_file(folder / "zgood.png", seed=5)
    assert _run("inpaint", folder, "-o", tmp_path / "out") == 1
    assert _files(tmp_path / "out") == ["good.png", "zgood.png"]
    captured = capsys.readouterr()
    for line in ("empty.png: empty file", "notes.jpg: not an image", "cut.png: truncated or corrupt PNG file"):
        assert line in captured.err
    assert "2 done, 0 skipped, 3 failed" in captured.out


def test_resume_skips_finished_outputs_and_overwrite_redoes_them(tmp_path, capsys):
    painted_file(tmp_path / "in" / "a.png")
    painted_file(tmp_path / "in" / "b.png", seed=3)
    assert _run("inpaint", tmp_path / "in", "-o", tmp_path / "out") == 0
    (tmp_path / "out" / "a.png").write_bytes(b"marker")  # a finished output from an earlier run
    (tmp_path / "out" / "b.png").unlink()  # and one the interrupted run never wrote
    capsys.readouterr()
    assert _run("inpaint", tmp_path / "in", "-o", tmp_path / "out") == 0
    assert (tmp_path / "out" / "a.png").read_bytes() == b"marker"
    assert (tmp_path / "out" / "b.png").exists()
    assert "1 done, 1 skipped, 0 failed" in capsys.readouterr().out
    assert _run("inpaint", tmp_path / "in", "-o", tmp_path / "out", "--overwrite") == 0
    assert (tmp_path / "out" / "a.png").read_bytes() != b"marker"


def test_output_folder_inside_input_folder_is_not_read_back(tmp_path, capsys):
    painted_file(tmp_path / "in" / "a.png")
    painted_file(tmp_path / "in" / "sub" / "b.png", seed=2)
    for _ in range(2):
        assert _run("inpaint", tmp_path / "in", "-r", "-o", tmp_path / "in" / "out") == 0
    assert _files(tmp_path / "in" / "out") == ["a.png", "sub/b.png"]
    assert "0 done, 2 skipped, 0 failed" in capsys.readouterr().out.splitlines()[-1]


def test_output_folder_equal_to_input_folder_is_refused(tmp_path, capsys):
    painted_file(tmp_path / "in" / "a.png")
    before = _snapshot(tmp_path / "in")
    assert _run("inpaint", tmp_path / "in", "-o", tmp_path / "in") == 2
    assert "also an input folder" in capsys.readouterr().err
    assert _snapshot(tmp_path / "in") == before


def test_an_input_is_never_overwritten_even_with_overwrite(tmp_path, capsys):
    painted_file(tmp_path / "out" / "a.png")
    before = _snapshot(tmp_path / "out")
    assert _run("inpaint", tmp_path / "out" / "a.png", "-o", tmp_path / "out", "--overwrite") == 1
    assert "would overwrite an input" in capsys.readouterr().err
    assert _snapshot(tmp_path / "out") == before


def test_two_inputs_with_one_output_name(tmp_path, capsys):
    painted_file(tmp_path / "in" / "a.png")
    clean = art()
    save(tmp_path / "in" / "a.jpg", paint(clean, bar_mask(48, 64, box=(1, 1, 9, 9))), quality=95)
    assert _run("inpaint", tmp_path / "in", "-o", tmp_path / "out") == 1
    assert "already writes" in capsys.readouterr().err
    assert _files(tmp_path / "out") == ["a.png"]


@pytest.mark.parametrize("how", ["file-in-the-way", "parent-is-a-file"])
def test_unwritable_output_folder_stops_before_any_work(tmp_path, capsys, how):
    painted_file(tmp_path / "in" / "a.png")
    (tmp_path / "blocker").write_text("x")
    target = tmp_path / "blocker" if how == "file-in-the-way" else tmp_path / "blocker" / "out"
    assert _run("inpaint", tmp_path / "in", "-o", target) == 2
    assert "output folder" in capsys.readouterr().err


def test_output_folder_without_write_permission(tmp_path, monkeypatch):
    # Root ignores chmod, so simulate the kernel's answer for the probe file.
    real_touch = Path.touch

    def touch(self, *args, **kwargs):
        if self.name.startswith(".kintsugi-write-test"):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_touch(self, *args, **kwargs)

    monkeypatch.setattr(Path, "touch", touch)
    with pytest.raises(OutputError, match="not writable: Permission denied"):
        batch.ensure_writable_dir(tmp_path)


def test_disk_full_mid_batch_leaves_no_partial_file(tmp_path, monkeypatch, capsys):
    for name in ("a", "b", "c"):
        painted_file(tmp_path / "in" / f"{name}.png")
    real_write = io._write_bytes
    calls = []

    def write(fd, data):
        calls.append(fd)
        if len(calls) == 2:  # b.png: half the bytes were out when the disk filled up
            real_write(fd, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(fd, data)

    monkeypatch.setattr(io, "_write_bytes", write)
    assert _run("inpaint", tmp_path / "in", "-o", tmp_path / "out") == 1
    assert _files(tmp_path / "out") == ["a.png", "c.png"], "no temporary or partial b.png may remain"
    assert "b.png: cannot write (disk full" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["while-filling", "while-writing"])
def test_ctrl_c_stops_cleanly_and_a_rerun_resumes(tmp_path, monkeypatch, capsys, where):
    for name in ("a", "b", "c"):
        painted_file(tmp_path / "in" / f"{name}.png")
    calls = {"n": 0}
    if where == "while-filling":
        real = engine.fill_holes

        def interrupted(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 2:
                raise KeyboardInterrupt
            return real(*args, **kwargs)

        monkeypatch.setattr(engine, "fill_holes", interrupted)
    else:
        real_write = io._write_bytes

        def interrupted(fd, data):
            calls["n"] += 1
            if calls["n"] == 2:
                real_write(fd, data[: len(data) // 2])
                raise KeyboardInterrupt
            real_write(fd, data)

        monkeypatch.setattr(io, "_write_bytes", interrupted)
    assert _run("inpaint", tmp_path / "in", "-o", tmp_path / "out") == 130
    assert _files(tmp_path / "out") == ["a.png"]
    assert "interrupted, 2 not finished" in capsys.readouterr().out
    monkeypatch.undo()
    assert _run("inpaint", tmp_path / "in", "-o", tmp_path / "out") == 0
    assert _files(tmp_path / "out") == ["a.png", "b.png", "c.png"]
    assert "2 done, 1 skipped, 0 failed" in capsys.readouterr().out


# --- mosaic mode ------------------------------------------------------------------------------


def _mosaic_pair(tmp_path: Path, *, stem: str = "mermaid", original_suffix: str = ".png") -> np.ndarray:
    original = art(seed=7)
    mask = bar_mask(48, 64, box=(12, 16, 30, 44))
    save(tmp_path / "painted" / f"{stem}.png", paint(original, mask))
    save(tmp_path / "originals" / f"{stem}{original_suffix}", original)
    return mask


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".tif"])
def test_mosaic_pairing_by_stem_any_extension(tmp_path, mosaic_test_method, suffix):
    mask = _mosaic_pair(tmp_path, original_suffix=suffix)
    original = art(seed=7)
    code = _run(
        "inpaint", tmp_path / "painted", "-o", tmp_path / "out",
        "--originals", tmp_path / "originals", "--method", mosaic_test_method,
    )  # fmt: skip
    assert code == 0
    result = load(tmp_path / "out" / "mermaid.png")
    assert np.array_equal(result[~mask], original[~mask])
    assert not np.array_equal(result[mask], original[mask]), "never output the input unchanged"


def test_missing_original(tmp_path, mosaic_test_method, capsys):
    _mosaic_pair(tmp_path)
    (tmp_path / "originals" / "mermaid.png").unlink()
    code = _run("inpaint", tmp_path / "painted", "-o", tmp_path / "out", "--originals", tmp_path / "originals",
                "--method", mosaic_test_method)  # fmt: skip
    assert code == 1
    assert "no original named mermaid.* in" in capsys.readouterr().err
    assert _files(tmp_path / "out") == []


def test_ambiguous_originals(tmp_path, mosaic_test_method, capsys):
    _mosaic_pair(tmp_path)
    save(tmp_path / "originals" / "mermaid.jpg", art(seed=7), quality=95)
    code = _run("inpaint", tmp_path / "painted", "-o", tmp_path / "out", "--originals", tmp_path / "originals",
                "--method", mosaic_test_method)  # fmt: skip
    assert code == 1
    assert "ambiguous original: mermaid.jpg and mermaid.png" in capsys.readouterr().err


def test_original_of_another_size(tmp_path, mosaic_test_method, capsys):
    _mosaic_pair(tmp_path)
    save(tmp_path / "originals" / "mermaid.png", art(40, 64))
    code = _run("inpaint", tmp_path / "painted", "-o", tmp_path / "out", "--originals", tmp_path / "originals",
                "--method", mosaic_test_method)  # fmt: skip
    assert code == 1
    assert "is 64x40 but the painted image is 64x48" in capsys.readouterr().err
    assert _files(tmp_path / "out") == []


def test_mosaic_method_that_changes_nothing_is_a_failure(tmp_path, capsys):
    from kintsugi import methods

    methods.register("noop-test", kind="mosaic", description="t", factory=lambda: lambda image, mask: image.copy())
    try:
        _mosaic_pair(tmp_path)
        code = _run("inpaint", tmp_path / "painted", "-o", tmp_path / "out", "--originals", tmp_path / "originals",
                    "--method", "noop-test")  # fmt: skip
    finally:
        methods._registry.pop("noop-test")
    assert code == 1
    assert "left the hole unchanged" in capsys.readouterr().err
    assert _files(tmp_path / "out") == []


# --- masks as files ---------------------------------------------------------------------------


def test_masks_folder(tmp_path, capsys):
    clean = art()
    save(tmp_path / "in" / "a.png", clean)
    save(tmp_path / "in" / "b.png", clean)
    white = np.zeros((48, 64, 3), np.uint8)
    white[5:15, 5:25] = 255
    save(tmp_path / "masks" / "a.bmp", white)
    assert _run("inpaint", tmp_path / "in", "-o", tmp_path / "out", "--masks", tmp_path / "masks") == 1
    result = load(tmp_path / "out" / "a.png")
    hole = white[..., 0] > 0
    assert np.array_equal(result[~hole], clean[~hole]) and not np.array_equal(result[hole], clean[hole])
    assert "b.png: no mask named b.* in" in capsys.readouterr().err


# --- planning details -------------------------------------------------------------------------


def test_plan_recursive_mirrors_subfolders_and_skips_hidden(tmp_path):
    painted_file(tmp_path / "in" / "x" / "a.png")
    painted_file(tmp_path / "in" / ".cache" / "h.png")
    (tmp_path / "in" / "readme.txt").write_text("x")
    options = batch.Options(output_dir=tmp_path / "out", recursive=True)
    jobs = batch.plan([tmp_path / "in"], options=options)
    assert [(j.source.name, j.output.relative_to(tmp_path / "out").as_posix()) for j in jobs] == [("a.png", "x/a.png")]
    flat = batch.plan([tmp_path / "in"], options=batch.Options(output_dir=tmp_path / "out"))
    assert flat == []


def test_missing_input_path_is_a_usage_error(tmp_path, capsys):
    # A mistyped path is caught before any work (exit 2, as the README documents), not after.
    painted_file(tmp_path / "a.png")
    assert _run("inpaint", tmp_path / "a.png", tmp_path / "ghost.png", "-o", tmp_path / "out") == 2
    assert "no such file or folder: " in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_same_file_given_twice_is_done_once(tmp_path, capsys):
    painted_file(tmp_path / "in" / "a.png")
    assert _run("inpaint", tmp_path / "in", tmp_path / "in" / "a.png", "-o", tmp_path / "out") == 0
    assert "1 done" in capsys.readouterr().out


def test_summary_ok_needs_something_done():
    assert not batch.Summary().ok
    assert batch.Summary([batch.Outcome(Path("a"), "skipped", "a: skipped")]).ok
    assert not batch.Summary([batch.Outcome(Path("a"), "failed", "a: x")]).ok


def test_progress_bar_goes_to_stderr(tmp_path, capsys):
    painted_file(tmp_path / "in" / "a.png")
    options = batch.Options(output_dir=tmp_path / "out")
    summary = batch.run(batch.plan([tmp_path / "in"], options=options), options=options, progress=True)
    captured = capsys.readouterr()
    assert summary.ok and "100%" in captured.err and "100%" not in captured.out


def test_working_directory_is_untouched_by_relative_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    painted_file(Path("decensor_input") / "a.png")
    assert _run("inpaint") == 0
    assert os.path.exists("decensor_output/a.png")


def _frame(height: int, width: int) -> np.ndarray:
    mask = np.zeros((height, width), bool)
    mask[:3], mask[-3:], mask[:, :3], mask[:, -3:] = True, True, True, True
    return mask


@pytest.mark.parametrize(
    "hole", [lambda: np.ones((48, 64), bool), lambda: _frame(48, 64)], ids=["whole-image", "every-border"]
)
def test_holes_covering_everything_or_every_border(tmp_path, hole):
    clean, mask = art(), hole()
    save(tmp_path / "in" / "g.png", paint(clean, mask))
    assert _run("inpaint", tmp_path / "in", "-o", tmp_path / "out") == 0
    result = load(tmp_path / "out" / "g.png")
    assert np.array_equal(result[~mask], clean[~mask])
    assert not (result[mask] == GREEN).all(axis=1).any()


def test_green_that_is_only_anti_aliased_fringe_is_explained(tmp_path, capsys):
    image = art()
    image[20:23, 5:60] = (110, 225, 110)  # a faded stroke: green-ish, never pure
    save(tmp_path / "in" / "faded.png", image)
    assert _run("inpaint", tmp_path / "in", "-o", tmp_path / "out") == 1
    err = capsys.readouterr().err
    assert "faded.png: no green (0,255,0) found; 165 pixels are green-ish but not pure green" in err
    assert _files(tmp_path / "out") == []


def test_animated_gif_first_frame_is_reported(tmp_path, capsys):
    first = Image.fromarray(paint(art(), bar_mask(48, 64, box=(5, 5, 15, 25))))
    second = Image.fromarray(art(seed=9))
    first.save(tmp_path / "a.gif", save_all=True, append_images=[second])
    assert _run("inpaint", tmp_path / "a.gif", "-o", tmp_path / "out") == 0
    assert "animated (2 frames): first frame only" in capsys.readouterr().out


def test_an_input_cannot_be_its_own_original(tmp_path, mosaic_test_method, capsys):
    painted_file(tmp_path / "in" / "a.png")
    code = _run("inpaint", tmp_path / "in", "-o", tmp_path / "out", "--originals", tmp_path / "in",
                "--method", mosaic_test_method)  # fmt: skip
    assert code == 2  # one usage error, not one failure per file
    assert "--originals" in (err := capsys.readouterr().err) and "is the input folder" in err
    # A file given on its own inside the originals folder still pairs with itself, per file.
    code = _run("inpaint", tmp_path / "in" / "a.png", "-o", tmp_path / "out", "--originals", tmp_path / "in",
                "--method", mosaic_test_method)  # fmt: skip
    assert code == 1
    assert "a.png: pairs with itself" in capsys.readouterr().err
