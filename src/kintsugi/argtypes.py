"""argparse types shared by the command-line front ends (`kintsugi inpaint/detect` and `serve`).

Each takes the argument's text and returns the value, or raises argparse.ArgumentTypeError with
a message that names what was expected: argparse prints it and exits.
"""

from __future__ import annotations

import argparse


def non_negative_int(text: str) -> int:
    """A count or limit where 0 means "no limit"; underscores are allowed (``50_000_000``)."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (no limit) or more, got {value}")
    return value


def port(text: str) -> int:
    """A TCP port, or 0 for any free one."""
    value = non_negative_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"a port is 1-65535 (or 0 for any free one), got {value}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value
