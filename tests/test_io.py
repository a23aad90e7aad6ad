from __future__ import annotations

import errno
import io as _io
import os
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from synthetic import art

from kintsugi import io
from kintsugi.errors import ImageReadError, ImageTooLarge, OutputError

RED, BLUE = (255, 0, 0), (0, 0, 255)


def _png_bytes(image: np.ndarray) -> bytes:
    buffer = _io.BytesIO()
    Image.fromarray(image).save(buffer, "PNG")
    return buffer.getvalue()


def _jpeg_bytes(image: np.ndarray) -> bytes:
    buffer = _io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a huge size but holds almost nothing: a decompression bomb's shape."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


# --- modes ------------------------------------------------------------------------------------


def _save_mode(path: Path, mode: str) -> tuple[Path, np.ndarray, np.ndarray | None]:
    """Write a 6x8 file in ``mode``; return (path, expected rgb, expected alpha)."""
    rgb = np.zeros((6, 8, 3), np.uint8)
    rgb[:, :4] = (0, 255, 0)
    rgb[:, 4:] = (200, 40, 90)
    alpha = None
    if mode == "CMYK":
        cmyk = np.zeros((6, 8, 4), np.uint8)
        cmyk[:, :4] = (255, 0, 255, 0)  # pure green
        cmyk[:, 4:] = (55, 215, 165, 0)
        Image.fromarray(cmyk, "CMYK").save(path, "TIFF")
    elif mode == "I;16":
        values = np.zeros((6, 8), np.uint16)
        values[:, :4] = 65535
        values[:, 4:] = 32896  # 128 * 257
        Image.fromarray(values).save(path)
        gray = np.where(np.arange(8) < 4, 255, 128).astype(np.uint8)
        rgb = np.repeat(np.tile(gray, (6, 1))[:, :, None], 3, axis=2)
    elif mode == "RGB;16":
        cv2.imwrite(str(path), rgb[:, :, ::-1].astype(np.uint16) * 257)  # cv2 writes BGR
    elif mode == "P":
        Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE, colors=4).save(path)
    elif mode == "P+transparency":
        image = Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
        index = image.getpixel((0, 0))
        image.save(path, transparency=index)
        alpha = np.where(np.arange(8) < 4, 0, 255).astype(np.uint8)
        alpha = np.tile(alpha, (6, 1))
    elif mode in ("L", "1"):
        gray = np.where(np.arange(8) < 4, 255, 0).astype(np.uint8)
        Image.fromarray(np.tile(gray, (6, 1))).convert(mode).save(path)
        rgb = np.repeat(np.tile(gray, (6, 1))[:, :, None], 3, axis=2)
    elif mode in ("LA", "RGBA"):
        alpha = np.tile(np.arange(8, dtype=np.uint8) * 30, (6, 1))
        if mode == "LA":
            rgb = np.repeat(rgb[:, :, 1:2], 3, axis=2)
        Image.fromarray(np.dstack([rgb if mode == "RGBA" else rgb[:, :, :1], alpha]), mode).save(path)
    return path, rgb, alpha


@pytest.mark.parametrize(
    ("mode", "suffix"),
    [
        ("CMYK", ".tif"),
        ("I;16", ".png"),
        ("I;16", ".tif"),
        ("RGB;16", ".png"),
        ("P", ".png"),
        ("P+transparency", ".png"),
        ("L", ".png"),
        ("1", ".png"),
        ("1", ".bmp"),
        ("LA", ".png"),
        ("RGBA", ".png"),
        ("RGBA", ".webp"),
    ],
)
def test_modes_are_normalised(tmp_path, mode, suffix):
    if suffix == ".webp" and mode == "RGBA":
        path, rgb, alpha = _save_mode(tmp_path / "x.png", mode)
        Image.open(path).save(tmp_path / "x.webp", lossless=True)
        path = tmp_path / "x.webp"
    else:
        path, rgb, alpha = _save_mode(tmp_path / f"x{suffix}", mode)
    picture = io.read_image(path)
    assert picture.rgb.dtype == np.uint8 and picture.rgb.shape == (6, 8, 3)
    assert picture.rgb.flags.c_contiguous
    if alpha is None:
        assert picture.alpha is None
        assert np.abs(picture.rgb.astype(int) - rgb).max() <= 1
    else:
        assert picture.alpha is not None and np.array_equal(picture.alpha, alpha)
        visible = alpha > 0
        assert np.abs(picture.rgb[visible].astype(int) - rgb[visible]).max() <= 1


def test_cmyk_jpeg(tmp_path):
    cmyk = np.zeros((16, 16, 4), np.uint8)
    cmyk[...] = (255, 0, 255, 0)
    Image.fromarray(cmyk, "CMYK").save(tmp_path / "c.jpg", quality=95)
    picture = io.read_image(tmp_path / "c.jpg")
    assert picture.source_mode == "CMYK"
    assert np.abs(picture.rgb.astype(int) - (0, 255, 0)).max() <= 12


def test_exif_rotated_jpeg_is_upright(tmp_path):
    stored = np.zeros((10, 20, 3), np.uint8)
    stored[:, :10] = RED
    stored[:, 10:] = BLUE
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    Image.fromarray(stored).save(tmp_path / "r.jpg", exif=exif.tobytes(), quality=95)
    picture = io.read_image(tmp_path / "r.jpg")
    assert picture.rgb.shape == (20, 10, 3)
    assert picture.rgb[3, 5, 0] > 200 and picture.rgb[3, 5, 2] < 60  # left half went to the top
    assert picture.rgb[16, 5, 2] > 200 and picture.rgb[16, 5, 0] < 60


@pytest.mark.parametrize("suffix", [".gif", ".webp"])
def test_animated_files_give_their_first_frame(tmp_path, suffix):
    frames = [Image.new("RGB", (12, 8), colour) for colour in (RED, BLUE, (0, 255, 0))]
    frames[0].save(tmp_path / f"a{suffix}", save_all=True, append_images=frames[1:], duration=100, loop=0)
    picture = io.read_image(tmp_path / f"a{suffix}")
    assert picture.frames == 3
    assert np.abs(picture.rgb.astype(int) - RED).max() <= 8


def test_icc_profile_is_kept_for_rgb(tmp_path):
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.fromarray(art()).save(tmp_path / "p.png", icc_profile=profile)
    picture = io.read_image(tmp_path / "p.png")
    assert picture.icc_profile == profile
    io.write_image(tmp_path / "out.png", picture.rgb, icc_profile=picture.icc_profile)
    assert Image.open(tmp_path / "out.png").info.get("icc_profile") == profile


# --- bad files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.png", b"", "empty file"),
        ("text.png", b"hello, I am not a picture\n" * 20, "not an image"),
        ("noise.jpg", bytes(range(256)) * 4, "not an image"),
        ("half.png", _png_bytes(art(64, 64))[:300], "truncated or corrupt"),
        ("half.jpg", _jpeg_bytes(art(64, 64))[:400], "truncated or corrupt"),
        ("header.png", _png_bytes(art(64, 64))[:40], "truncated or corrupt"),
    ],
)
def test_bad_files_raise_a_clear_read_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImageReadError, match=message) as caught:
        io.read_image(path)
    assert str(caught.value).startswith(str(path))


def test_corrupt_png_data(tmp_path):
    data = bytearray(_png_bytes(art(64, 64)))
    data[len(data) // 2 : len(data) // 2 + 16] = b"\xff" * 16  # breaks IDAT and its CRC
    (tmp_path / "c.png").write_bytes(bytes(data))
    with pytest.raises(ImageReadError, match="truncated or corrupt"):
        io.read_image(tmp_path / "c.png")


@pytest.mark.parametrize(("target", "message"), [("missing.png", "file not found"), (".", "is a folder")])
def test_missing_file_and_folder(tmp_path, target, message):
    with pytest.raises(ImageReadError, match=message):
        io.read_image(tmp_path / target)


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(100_000, 100_000))
    before = Image.MAX_IMAGE_PIXELS
    with pytest.raises(ImageTooLarge, match=r"100000x100000 .* --max-pixels 10000000000"):
        io.read_image(path)
    assert Image.MAX_IMAGE_PIXELS == before, "Pillow's global limit must be restored"


@pytest.mark.parametrize("override", [None, 0, 200 * 300])
def test_pixel_limit_and_override(tmp_path, override):
    path = tmp_path / "big.png"
    Image.fromarray(art(200, 300)).save(path)
    with pytest.raises(ImageTooLarge, match="above the limit of 10,000"):
        io.read_image(path, max_pixels=10_000)
    assert io.read_image(path, max_pixels=override).rgb.shape == (200, 300, 3)


# --- writing ----------------------------------------------------------------------------------


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("suffix", [".png", ".webp", ".tif"])
def test_alpha_survives_a_round_trip(tmp_path, suffix):
    rgb = art()
    alpha = np.tile(np.arange(64, dtype=np.uint8) * 4, (48, 1))
    io.write_image(tmp_path / f"o{suffix}", rgb, alpha=alpha)
    picture = io.read_image(tmp_path / f"o{suffix}")
    assert np.array_equal(picture.alpha, alpha)
    assert np.array_equal(picture.rgb[alpha > 0], rgb[alpha > 0])


def test_alpha_in_a_format_without_alpha_is_refused(tmp_path):
    with pytest.raises(OutputError, match="cannot store transparency"):
        io.write_image(tmp_path / "o.jpg", art(), alpha=np.zeros((48, 64), np.uint8))
    assert _leftovers(tmp_path) == []


def test_written_files_follow_the_umask(tmp_path):
    io.write_image(tmp_path / "o.png", art())
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "o.png").stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), OutputError),
        (OSError(errno.EIO, "Input/output error"), OutputError),
        (KeyboardInterrupt(), KeyboardInterrupt),
    ],
    ids=["disk-full", "io-error", "ctrl-c"],
)
def test_failed_write_leaves_no_partial_file_and_keeps_the_old_one(tmp_path, monkeypatch, error, expected):
    target = tmp_path / "o.png"
    target.write_bytes(b"previous result")
    real_write = io._write_bytes

    def write_half_then_fail(fd, data):
        real_write(fd, data[: len(data) // 2])  # the bytes are on their way...
        raise error  # ...when the disk fills up / the user presses Ctrl-C

    monkeypatch.setattr(io, "_write_bytes", write_half_then_fail)
    with pytest.raises(expected) as caught:
        io.write_image(target, art())
    if expected is OutputError and error.errno == errno.ENOSPC:
        assert "disk full" in str(caught.value)
    assert _leftovers(tmp_path) == ["o.png"]
    assert target.read_bytes() == b"previous result"


def test_writing_into_a_missing_folder_is_an_output_error(tmp_path):
    with pytest.raises(OutputError, match="cannot write"):
        io.write_image(tmp_path / "nope" / "o.png", art())


# --- fuzz-lite: whatever the bytes, reading returns a valid picture or an ImageReadError -------

_SEEDS = [_png_bytes(art(16, 16)), _jpeg_bytes(art(16, 16))]


@given(
    seed=st.sampled_from(_SEEDS),
    cut=st.integers(0, 2000),
    flips=st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 255)), max_size=6),
)
def test_mutated_files_never_escape_as_other_errors(tmp_path_factory, seed, cut, flips):
    data = bytearray(seed[: max(cut, 1)])
    for position, value in flips:
        data[position % len(data)] = value
    path = tmp_path_factory.mktemp("fuzz") / "f.png"
    path.write_bytes(bytes(data))
    try:
        picture = io.read_image(path, max_pixels=1_000_000)
    except ImageReadError:
        return
    assert picture.rgb.dtype == np.uint8 and picture.rgb.ndim == 3 and picture.rgb.shape[2] == 3


@pytest.mark.parametrize("cut", [84, 88, 91, 150, 210])
def test_truncated_animated_gif_is_a_read_error(tmp_path, cut):
    # Found by scripts/fuzz_read.py: Pillow raised struct.error counting the frames of a GIF
    # cut inside a later frame's header.
    frames = [Image.fromarray(np.full((16, 16, 3), v, np.uint8)) for v in (0, 90, 180, 250)]
    buffer = _io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=50)
    data = buffer.getvalue()
    assert len(data) == 262  # the cuts below fall inside the 2nd-4th frame headers of this file
    path = tmp_path / "cut.gif"
    path.write_bytes(data[:cut])
    try:
        picture = io.read_image(path)
    except ImageReadError as exc:
        assert str(exc).startswith(str(path))
    else:
        assert picture.rgb.shape == (16, 16, 3)
