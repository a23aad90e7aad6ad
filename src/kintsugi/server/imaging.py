"""Uploaded bytes -> the internal image form, and masks <-> PNG bytes. All in memory.

kintsugi.io reads from paths; the server has bytes and must not write them to disk just to
read them back, so decoding from memory lives here. It follows io.read_image's rules (first
frame, EXIF rotation, alpha split, 16-bit scaled rather than clipped, pixel limit checked on
the header before decoding) and raises the same error types, so callers handle both alike.
"""

from __future__ import annotations

from io import BytesIO

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from kintsugi import io, masks
from kintsugi.errors import ImageReadError, ImageTooLarge, MaskError


def decode_image(data: bytes | bytearray, *, max_pixels: int | None, what: str = "image") -> io.Picture:
    """Decode an uploaded file. ``what`` names it in error messages ("image", "mask")."""
    if not data:
        raise ImageReadError(f"{what}: empty file (0 bytes)")
    try:
        # Image.open only reads the header, so the size check below runs before any decoding.
        with Image.open(BytesIO(data)) as im:
            check_pixels(im.size, max_pixels=max_pixels, what=what)
            rgb, alpha, frames = io.decode_opened(im)  # first frame, upright, as the CLI reads
            mode = im.mode
    except ImageReadError:
        raise
    except UnidentifiedImageError:
        raise ImageReadError(f"{what}: not an image, or a format kintsugi cannot read") from None
    except Image.DecompressionBombError:
        # Pillow's own guard (twice its MAX_IMAGE_PIXELS) fired before ours could look.
        raise ImageTooLarge(f"{what}: far too many pixels (a possible decompression bomb)") from None
    except io.DECODE_ERRORS:
        # Pillow reports truncated/corrupt data through a mix of these depending on the plugin.
        raise ImageReadError(f"{what}: truncated or corrupt image file") from None
    return io.Picture(rgb=rgb, alpha=alpha, source_mode=mode, frames=frames)


def pixel_count(data: bytes | bytearray) -> int:
    """Width x height from the header alone (the scheduler's cost); the byte count when the
    header does not parse (decoding will then report the real problem)."""
    try:
        with Image.open(BytesIO(data)) as im:
            width, height = im.size
    except Exception:  # noqa: BLE001 - any unreadable header just falls back to the size
        return len(data)
    return width * height


def check_pixels(size: tuple[int, int], *, max_pixels: int | None, what: str) -> None:
    width, height = size
    if max_pixels and width * height > max_pixels:
        raise ImageTooLarge(
            f"{what} is {width}x{height} = {width * height:,} pixels, above the server's limit of "
            f"{max_pixels:,} (start the server with a larger --max-pixels to accept it)"
        )


def decode_mask(data: bytes | bytearray, *, shape: tuple[int, int], max_pixels: int | None) -> np.ndarray:
    """A mask upload (white = hole, transparent = not hole) as bool HxW of the image's ``shape``."""
    picture = decode_image(data, max_pixels=max_pixels, what="mask")
    mask = masks.mask_from_array(picture.rgb, picture.alpha)
    if mask.shape != tuple(shape):
        raise MaskError(
            f"mask is {mask.shape[1]}x{mask.shape[0]} but the image is {shape[1]}x{shape[0]}; "
            "the mask must have the image's size"
        )
    return mask


def mask_png(mask: np.ndarray) -> bytes:
    """bool HxW -> 8-bit gray PNG, white = hole (the format the repair endpoint accepts)."""
    ok, buffer = cv2.imencode(".png", mask.astype(np.uint8) * 255, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:  # only on an empty array, which the callers never pass
        raise MaskError("could not encode the mask as PNG")
    return buffer.tobytes()


def result_png(rgb: np.ndarray, alpha: np.ndarray | None) -> bytes:
    """The repaired image as PNG, the upload's alpha put back unchanged."""
    return io.encode_image(rgb, alpha, fmt="PNG")
