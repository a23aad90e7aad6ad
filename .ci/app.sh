#!/usr/bin/env bash
# CI: build the one-folder app bundle (scripts/build_app.sh, PyInstaller) and smoke-test it:
# it starts without Python, serves the page and repairs an example image through the API.
# About a minute on a 2-core machine; called from .ci/run inside its virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python}" bash scripts/build_app.sh
"${PYTHON:-python}" scripts/smoke_app.py
