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


@pytest.mark.parametrize(("text", "ok"), [("0", True), ("65535", True), ("65536", False), ("-3", False)])
def test_port_range(text, ok):
    if ok:
        assert argtypes.port(text) == int(text)
    else:
        with pytest.raises(argparse.ArgumentTypeError):
            argtypes.port(text)


@pytest.mark.parametrize(
    ("text", "ok"), [("0.5", True), ("2", True), ("0", False), ("-1", False), ("nan", False), ("x", False)]
)
def test_positive_float(text, ok):
    if ok:
        assert argtypes.positive_float(text) == float(text)
    else:
        with pytest.raises(argparse.ArgumentTypeError):
            argtypes.positive_float(text)
