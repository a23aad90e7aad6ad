"""What the one-folder bundle runs (scripts/build_app.sh): `kintsugi app` on a double-click,
any other `kintsugi` command when given one (``kintsugi serve ...``, ``kintsugi inpaint ...``)."""

from __future__ import annotations

import sys

from kintsugi import cli

if __name__ == "__main__":
    sys.exit(cli.main(sys.argv[1:] or ["app"]))
