#!/usr/bin/env bash
# Render each main screen of ecan in English and Simplified Chinese to screenshots/*.png under
# Xvfb (xvfb-run; CJK glyphs need fonts-noto-cjk). Also the real `ecan gui --screenshot` path.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-screenshots}"
mkdir -p "$OUT"
export PYTHON_KEYRING_BACKEND=keyrings.alt.file.PlaintextKeyring
unset QT_QPA_PLATFORM
xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python scripts/screenshots.py "$OUT"
HOME_DIR="$(mktemp -d)"
ECAN_HOME="$HOME_DIR" xvfb-run -a -s "-screen 0 1400x900x24" \
  .venv/bin/ecan gui --screenshot "$OUT/en-9-ecan-gui.png" --quit-after 6
rm -rf "$HOME_DIR"
echo "screenshots in $OUT/"
