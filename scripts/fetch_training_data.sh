#!/usr/bin/env bash
# Fetch the openly licensed Debian art packages we train on and unpack them.
# Usage: scripts/fetch_training_data.sh [DEST]   (default: data/raw)
# Nothing fetched here is committed: data/ is in .gitignore. The next step,
# `python -m kintsugi.training.prepare`, filters the images and writes the manifest.
set -euo pipefail
DEST=${1:-data/raw}
PACKAGES=(openclipart-png tuxpaint-stamps-default renpy-demo wesnoth-1.16-data
          gcompris-qt-data mypaint-data-extras)
mkdir -p "$DEST/debs" "$DEST/extract"
cd "$DEST/debs"
for pkg in "${PACKAGES[@]}"; do
  if ! ls "${pkg}"_*.deb >/dev/null 2>&1; then
    apt-get download "$pkg"
  fi
done
cd - >/dev/null
for deb in "$DEST"/debs/*.deb; do
  name=$(basename "$deb" | cut -d_ -f1)
  if [ ! -d "$DEST/extract/$name" ]; then
    dpkg -x "$deb" "$DEST/extract/$name"
  fi
  # Keep the version and the copyright file beside the art: the manifest cites them.
  dpkg-deb -f "$deb" Package Version > "$DEST/extract/$name.control"
done
echo "fetched: $(ls "$DEST"/debs/*.deb | wc -l) packages into $DEST/extract"
