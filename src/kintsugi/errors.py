"""Error types. The library raises these; only the CLI turns them into messages and exit codes.

Every message is written for the user: it says what is wrong and, where possible, what to do.
"""

from __future__ import annotations


class KintsugiError(Exception):
    """Base class of every error kintsugi raises on purpose."""


class ImageReadError(KintsugiError):
    """A file could not be read as an image (missing, empty, truncated, corrupt, not an image)."""


class ImageTooLarge(ImageReadError):
    """The image declares more pixels than allowed (a possible decompression bomb)."""


class MaskError(KintsugiError):
    """A mask is missing, unreadable or does not fit its image."""


class NoHoleFound(MaskError):
    """The image has nothing to repair: no green paint (or an empty mask file)."""


class PairingError(KintsugiError):
    """The original (or mask file) for a painted image is missing, ambiguous or of another size."""


class MethodError(KintsugiError):
    """A method is unknown, unavailable, of the wrong kind, or returned something invalid."""


class InvalidInput(KintsugiError):
    """An array given to the Python API breaks the contract (dtype, shape)."""


class OutputError(KintsugiError):
    """An output could not be written (folder not writable, disk full, would overwrite an input)."""
