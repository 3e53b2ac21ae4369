#!/usr/bin/env bash
# Builds the Linux one-folder bundle and its tarball: dist/ecan/ and
# dist/ecan-<version>-linux-<arch>.tar.gz (with the .desktop file, AppStream metainfo and icons).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
.venv/bin/python -c 'import PyInstaller' 2>/dev/null || \
  .venv/bin/python -m pip install -q --disable-pip-version-check 'pyinstaller>=6' 2>&1 | grep -v '^WARNING: Location' || true
version=$(.venv/bin/python -c 'import ecan; print(ecan.__version__)')
arch=$(uname -m)
.venv/bin/python packaging/make_icon.py
.venv/bin/pyinstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/ecan.spec
share=dist/ecan/share
mkdir -p "$share/applications" "$share/metainfo"
cp packaging/linux/io.ecan.Ecan.desktop "$share/applications/"
cp packaging/linux/io.ecan.Ecan.metainfo.xml "$share/metainfo/"
for s in 16 24 32 48 64 128 256 512; do
  mkdir -p "$share/icons/hicolor/${s}x${s}/apps"
  cp "packaging/icons/ecan-$s.png" "$share/icons/hicolor/${s}x${s}/apps/io.ecan.Ecan.png"
done
tarball="dist/ecan-$version-linux-$arch.tar.gz"
tar -C dist -czf "$tarball" ecan
echo "bundle: dist/ecan ($(du -sh dist/ecan | cut -f1)); tarball: $tarball ($(du -sh "$tarball" | cut -f1))"
