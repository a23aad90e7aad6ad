#!/usr/bin/env bash
# Build the one-folder app bundle with PyInstaller: dist/kintsugi/, whose kintsugi executable
# (kintsugi.exe on Windows) runs `kintsugi app` on a machine without Python. Double-click it,
# or run `dist/kintsugi/kintsugi inpaint ...`: every command is inside.
#
# Usage: PYTHON=/path/to/venv/bin/python bash scripts/build_app.sh   (PYTHON defaults to `python`)
# The venv must have kintsugi installed with the serve extra (pip install '.[serve]').
# Windows: the same PyInstaller command from a Git Bash or PowerShell prompt (see README).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python}"
"$PYTHON" -m pip install --quiet "pyinstaller>=6,<7"

started=$SECONDS
# --collect-submodules: the methods, the optional detector and uvicorn's protocol/loop
# implementations are imported by name at run time, which PyInstaller cannot see.
# --collect-data kintsugi: the ONNX weights and the page's static files.
# torch and the training code are for training only: left out (they would add gigabytes).
"$PYTHON" -m PyInstaller --noconfirm --clean --onedir --console \
    --name kintsugi \
    --distpath dist --workpath build/pyinstaller --specpath build \
    --collect-data kintsugi \
    --collect-submodules kintsugi.methods \
    --collect-submodules kintsugi.server \
    --hidden-import kintsugi.detect \
    --collect-submodules uvicorn \
    --exclude-module torch --exclude-module torchvision --exclude-module kintsugi.training \
    --exclude-module matplotlib --exclude-module tkinter --exclude-module pytest \
    --exclude-module hypothesis --exclude-module playwright --exclude-module onnx \
    --log-level WARN \
    scripts/app_entry.py

echo "bundle: dist/kintsugi/ $(du -sh dist/kintsugi | cut -f1), built in $((SECONDS - started)) s"
