#!/usr/bin/env bash
# Sets up a fresh Debian machine for ecan: the system libraries Qt needs offscreen, fonts (CJK
# included), Xvfb for screenshots, then `.venv/` at the repository root with ecan and its demo
# and dev extras installed. Idempotent and quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(libegl1 libgl1 libfontconfig1 libxkbcommon0 libxkbcommon-x11-0 libglib2.0-0
  libdbus-1-3 fonts-dejavu-core fonts-noto-cjk xvfb xauth libxcb-cursor0 libxcb-icccm4
  libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0
  libxcb-randr0 libxcb-xkb1)

say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

missing=()
if command -v dpkg >/dev/null 2>&1; then
  for p in "${DEBIAN_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
fi
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
    say "need root to install: ${missing[*]} (run: apt-get install ${missing[*]})"; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  say "ecan needs Python 3.11 or newer; set PYTHON=/path/to/python3.11"; exit 1
fi
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.ecan-installed
want="$(cat pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing ecan and its dependencies into .venv (first time takes a few minutes)"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[demo,dev]' 2>&1 \
    | grep -v '^WARNING: Location' || true
  .venv/bin/python -c 'import ecan, PySide6, moto' || { say "installation failed"; exit 1; }
  echo "$want" > "$stamp"
fi
