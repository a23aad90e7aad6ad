"""``python -m kintsugi.server``: the same as `kintsugi serve`, for scripts and tests that start a
server of their own (``--port 0`` picks a free port; the printed address tells which)."""

from __future__ import annotations

import argparse
import sys

from kintsugi.server import configure_cli, run_cli


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m kintsugi.server", description="Serve the kintsugi page.")
    configure_cli(parser)
    return run_cli(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
