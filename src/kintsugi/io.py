"""Reading and writing images.

Reading normalises whatever a user's folder holds (CMYK, 16-bit, palette, gray, 1-bit, EXIF
rotation, animation) to the one internal form: RGB uint8 HxWx3 plus an optional uint8 HxW alpha.
Writing is atomic: a temporary file in the destination folder, then ``os.replace``, so a crash,
a full disk or Ctrl-C never leaves a half-written output behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import struct
import threading
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from kintsugi.errors import ImageReadError, ImageTooLarge, OutputError

# Above Pillow's own default (89.5 MP) so that large scanned pages pass; 0 or None = no limit.
DEFAULT_MAX_PIXELS = 120_000_000

# Extensions batch mode picks up from folders. Reading itself goes by content, not by name.
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".jpe", ".webp", ".bmp", ".tif", ".tiff"})

_SAVE_FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".webp": "WEBP",
    ".bmp": "BMP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}
_ALPHA_FORMATS = frozenset({"PNG", "WEBP", "TIFF"})
_EXIF_ORIENTATION = 0x0112

# Image.MAX_IMAGE_PIXELS is a Pillow global; it is set per call under this lock and restored.
_PIXEL_LIMIT_LOCK = threading.Lock()


@dataclass(frozen=True)
class Picture:
    """A decoded image in the internal form. The arrays are read-only views of the decoded data
    (no copy for a 24-megapixel page); copy them before modifying in place."""

    rgb: np.ndarray  # uint8 HxWx3
    alpha: np.ndarray | None  # uint8 HxW, or None when the file had no transparency
    source_mode: str  # Pillow mode of the file, e.g. "CMYK", "I;16", "P"
    frames: int = 1  # >1 for animated files: only the first frame is used
    icc_profile: bytes | None = None  # kept only when it describes RGB data

    @property
    def size(self) -> tuple[int, int]:
        """(width, height), as users read image sizes."""
        return self.rgb.shape[1], self.rgb.shape[0]


# What Pillow raises for truncated or corrupt data, depending on the plugin. struct.error: a
# GIF cut inside a frame header, found by scripts/fuzz_read.py (Pillow reads it in n_frames).
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError, struct.error)


def read_image(path: str | os.PathLike[str], *, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> Picture:
    """Decode ``path`` to RGB uint8 + alpha. Raises ImageReadError / ImageTooLarge with a reason."""
    path = Path(path)
    _check_readable_file(path)
    try:
        # Pillow warns (UserWarning) about damaged EXIF/TIFF tags it then skips; the user gets
        # either a picture or one clear error, never a stream of library warnings.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with _open_limited(path, max_pixels) as im:
                rgb, alpha, frames = decode_opened(im)
                mode = im.mode
                icc = im.info.get("icc_profile") if mode in ("RGB", "RGBA", "RGBa", "P") else None
    except ImageReadError:
        raise
    except UnidentifiedImageError:
        kind = _sniff(path)
        if kind:
            raise ImageReadError(f"{path}: truncated or corrupt {kind} file") from None
        raise ImageReadError(f"{path}: not an image, or a format kintsugi cannot read") from None
    except Image.DecompressionBombError as exc:  # only when the limit check below was bypassed
        raise ImageTooLarge(f"{path}: {exc}") from None
    except DECODE_ERRORS as exc:
        # Pillow reports truncated/corrupt data through a mix of these depending on the plugin.
        kind = _sniff(path) or "image"
        raise ImageReadError(f"{path}: truncated or corrupt {kind} file ({_short(exc)})") from None
    return Picture(rgb=rgb, alpha=alpha, source_mode=mode, frames=frames, icc_profile=icc)


# File signatures, to tell "a damaged PNG" from "not an image at all" when Pillow gives up.
_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
    b"BM": "BMP",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
}


def _sniff(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError:
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return next((kind for magic, kind in _SIGNATURES.items() if head.startswith(magic)), None)


def _check_readable_file(path: Path) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ImageReadError(f"{path}: file not found") from None
    except OSError as exc:
        raise ImageReadError(f"{path}: cannot access ({_short(exc)})") from None
    if path.is_dir():
        raise ImageReadError(f"{path}: is a folder, not an image")
    if size == 0:
        raise ImageReadError(f"{path}: empty file (0 bytes)")


@contextlib.contextmanager
def _open_limited(path: Path, max_pixels: int | None) -> Iterator[Image.Image]:
    """Open lazily (header only) and refuse images above ``max_pixels`` before decoding them."""
    limit = max_pixels if max_pixels else None
    with _PIXEL_LIMIT_LOCK:
        previous = Image.MAX_IMAGE_PIXELS
        # Pillow's own check warns at 1x and raises at 2x; ours below is exact, so switch it off.
        Image.MAX_IMAGE_PIXELS = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # DecompressionBombWarning: our own check follows
                im = Image.open(path)
        except PermissionError as exc:
            raise ImageReadError(f"{path}: cannot open ({_short(exc)})") from None
        finally:
            Image.MAX_IMAGE_PIXELS = previous
    with im:
        width, height = im.size
        if limit is not None and width * height > limit:
            raise ImageTooLarge(
                f"{path}: image is {width}x{height} = {width * height:,} pixels, above the limit "
                f"of {limit:,} (a possible decompression bomb); if you trust this file, "
                f"raise the limit with --max-pixels {width * height}"
            )
        yield im


def decode_opened(im: Image.Image) -> tuple[np.ndarray, np.ndarray | None, int]:
    """An opened image (header read, size already checked) -> (RGB uint8 HxWx3, alpha uint8 HxW
    or None, frame count): the first frame of an animation, turned upright by its EXIF tag.
    Shared by read_image and the server's in-memory decoder; Pillow's errors pass through."""
    frames = int(getattr(im, "n_frames", 1) or 1)
    if frames > 1:
        im.seek(0)  # animated GIF/WebP/APNG: repair the first frame only
    im.load()
    # exif_transpose copies even when there is nothing to do (~50 ms on a 24 MP page).
    rotated = im.getexif().get(_EXIF_ORIENTATION, 1) not in (1, None)
    rgb, alpha = to_rgb_alpha(ImageOps.exif_transpose(im) if rotated else im)
    return rgb, alpha, frames


def to_rgb_alpha(im: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """Any Pillow mode -> (RGB uint8 HxWx3, alpha uint8 HxW or None)."""
    mode = im.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        gray = _high_depth_to_uint8(np.asarray(im), mode)
        return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2)), None
    has_alpha = (
        mode in ("RGBA", "RGBa", "LA", "La", "PA")
        or (mode == "P" and "transparency" in im.info)
        or (mode in ("L", "RGB") and "transparency" in im.info)
    )
    if has_alpha:
        rgba = np.asarray(im.convert("RGBA"))
        return np.ascontiguousarray(rgba[:, :, :3]), np.ascontiguousarray(rgba[:, :, 3])
    # CMYK, YCbCr, LAB, HSV, P, L and 1 all have a direct conversion.
    return np.ascontiguousarray(np.asarray(im if mode == "RGB" else im.convert("RGB"))), None


def _high_depth_to_uint8(values: np.ndarray, mode: str) -> np.ndarray:
    """16-bit / 32-bit gray -> uint8. Pillow's convert("RGB") would clip instead of scale."""
    data = values.astype(np.float64)
    if mode == "F":
        top = 1.0 if data.size and np.nanmax(data) <= 1.0 else 255.0
    elif mode == "I":
        # "I" is used for 16-bit data by some plugins and for plain 8-bit ranges by others.
        top = 65535.0 if data.size and data.max() > 255 else 255.0
    else:
        top = 65535.0
    scaled = np.nan_to_num(data / top * 255.0, nan=0.0)
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def write_image(
    path: str | os.PathLike[str],
    rgb: np.ndarray,
    *,
    alpha: np.ndarray | None = None,
    icc_profile: bytes | None = None,
) -> None:
    """Write atomically; the format follows the extension (PNG when unknown).

    Either the complete file appears at ``path`` or nothing does: the data goes to a temporary
    file in the same folder (same file system, so the rename is atomic), which is removed on any
    failure, including KeyboardInterrupt. An existing file at ``path`` stays intact until the
    new one is complete.
    """
    path = Path(path)
    data = encode_image(
        rgb, alpha, fmt=_SAVE_FORMATS.get(path.suffix.lower(), "PNG"), icc_profile=icc_profile, path=path
    )
    fd, tmp = _create_temp_beside(path)
    try:
        try:
            _write_bytes(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise OutputError(f"{path}: cannot write ({_short(exc)})") from None
        raise


def encode_image(
    rgb: np.ndarray,
    alpha: np.ndarray | None,
    *,
    fmt: str,
    icc_profile: bytes | None = None,
    path: Path | None = None,
) -> bytes:
    """The file's bytes. PNG goes through OpenCV with the "up" filter: for a 24-megapixel page
    that is ~3x faster than Pillow's adaptive filtering, and the files come out smaller."""
    where = path if path is not None else Path(f"<{fmt}>")
    _check_output_arrays(rgb, alpha, fmt=fmt, path=where)
    if fmt != "PNG":
        return _encode_with_pillow(rgb, alpha, fmt=fmt, icc_profile=icc_profile)
    if alpha is None:
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    else:
        bgr = cv2.cvtColor(np.dstack([rgb, alpha]), cv2.COLOR_RGBA2BGRA)
    params = [cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP]
    ok, buffer = cv2.imencode(".png", bgr, params)
    if not ok:
        raise OutputError(f"{where}: PNG encoding failed")
    data = buffer.tobytes()
    return _with_icc_chunk(data, icc_profile) if icc_profile else data


def _with_icc_chunk(png: bytes, profile: bytes) -> bytes:
    """Insert an iCCP chunk right after IHDR (the PNG signature is 8 bytes, IHDR 25)."""
    payload = b"ICC Profile\0\0" + zlib.compress(profile)  # name, NUL, compression method 0
    chunk = struct.pack(">I", len(payload)) + b"iCCP" + payload + struct.pack(">I", zlib.crc32(b"iCCP" + payload))
    return png[:33] + chunk + png[33:]


def _encode_with_pillow(rgb: np.ndarray, alpha: np.ndarray | None, *, fmt: str, icc_profile: bytes | None) -> bytes:
    image = Image.fromarray(rgb, "RGB") if alpha is None else Image.fromarray(np.dstack([rgb, alpha]), "RGBA")
    options: dict[str, object] = {}
    if fmt == "JPEG":
        options["quality"] = 95
    if fmt == "WEBP":
        options["lossless"] = True  # pixels outside the hole must stay bit-identical
    if icc_profile:
        options["icc_profile"] = icc_profile
    buffer = BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _write_bytes(fd: int, data: bytes) -> None:
    """os.write may write less than asked; loop until everything is out (or an OSError)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _create_temp_beside(path: Path) -> tuple[int, Path]:
    """Create an exclusive temporary file next to ``path``.

    Not tempfile.mkstemp: that creates mode 0600, and the renamed output would keep it; os.open
    with 0o666 lets the user's umask decide, like any other file they create.
    """
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError(f"{path}: cannot write in {path.parent} ({_short(exc)})") from None
    raise OutputError(f"{path}: cannot create a temporary file in {path.parent}")


def _check_output_arrays(rgb: np.ndarray, alpha: np.ndarray | None, *, fmt: str, path: Path) -> None:
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise OutputError(f"{path}: expected RGB uint8 HxWx3, got {rgb.dtype} {rgb.shape}")
    if alpha is None:
        return
    if fmt not in _ALPHA_FORMATS:
        raise OutputError(f"{path}: {fmt} cannot store transparency; write PNG instead")
    if alpha.shape != rgb.shape[:2] or alpha.dtype != np.uint8:
        raise OutputError(f"{path}: alpha must be uint8 {rgb.shape[:2]}, got {alpha.dtype} {alpha.shape}")


def _short(exc: BaseException) -> str:
    """A one-line reason: 'No space left on device' rather than a traceback."""
    if isinstance(exc, OSError) and exc.errno is not None and exc.strerror:
        return exc.strerror if exc.errno != errno.ENOSPC else "disk full: No space left on device"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
