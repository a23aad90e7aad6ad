import argparse

import pytest

from kintsugi import argtypes


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("7", 7), ("50_000_000", 50_000_000)])
def test_non_negative_int_parses(text, value):
    assert argtypes.non_negative_int(text) == value


@pytest.mark.parametrize("text", ["-1", "1.5", "ten", ""])
def test_non_negative_int_refuses(text):
    with pytest.raises(argparse.ArgumentTypeError):
        argtypes.non_negative_int(text)


@pytest.mark.parametrize(
    ("parse", "text", "ok"),
    [
        (argtypes.port, "0", True),
        (argtypes.port, "65535", True),
        (argtypes.port, "65536", False),
        (argtypes.port, "-3", False),
        (argtypes.positive_float, "0.5", True),
        (argtypes.positive_float, "2", True),
        (argtypes.positive_float, "0", False),
        (argtypes.positive_float, "-1", False),
        (argtypes.positive_float, "nan", False),
        (argtypes.positive_float, "x", False),
    ],
)
def test_range_checked_types(parse, text, ok):
    if ok:
        assert parse(text) == float(text)
    else:
        with pytest.raises(argparse.ArgumentTypeError):
            parse(text)
