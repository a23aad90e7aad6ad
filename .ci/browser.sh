#!/usr/bin/env bash
# What tests/test_browser.py needs on a clean Debian machine: Debian's Chromium and the Python
# playwright package (its wheel bundles the driver). Never `playwright install`: that downloads
# browser builds, which this project's machines cannot fetch; the test launches
# /usr/bin/chromium instead.
#
# Usage: PYTHON=/path/to/venv/bin/python bash .ci/browser.sh   (PYTHON defaults to `python`)
set -euo pipefail

PYTHON="${PYTHON:-python}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if [ ! -x /usr/bin/chromium ]; then
    $SUDO apt-get update
    # With its recommended packages (fonts among them), as installed on the machine where the
    # browser test was written and passed.
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium
fi

"$PYTHON" -m pip install --quiet "playwright>=1.40,<2"

# Fail here, with a clear message, rather than as a skipped test.
/usr/bin/chromium --version
"$PYTHON" -c "import playwright.sync_api; print('playwright', __import__('importlib.metadata').metadata.version('playwright'))"
