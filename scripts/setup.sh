#!/usr/bin/env bash
# Sets up this machine for ecan: the Debian libraries Qt needs (fonts, CJK included; Xvfb), then
# `.venv/` at the repository root with ecan installed from the lock file, every package pinned by
# version and hash. Usage: scripts/setup.sh [app|dev]
#   app  what the app and the demo cloud need (requirements/app.txt)       -- scripts/app
#   dev  the app plus tests, lint, types and bundling (requirements/dev.txt) -- scripts/test
# Idempotent and quick when nothing changed. It never half-succeeds: any failed step fails the
# set-up with its error, and a `.venv` without the stamp of a complete install is rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."

group="${1:-dev}"
case "$group" in app|dev) ;; *) echo "usage: scripts/setup.sh [app|dev]" >&2; exit 2 ;; esac

DEBIAN_PACKAGES=(python3-venv libegl1 libgl1 libfontconfig1 libxkbcommon0 libxkbcommon-x11-0
  libglib2.0-0 libdbus-1-3 fonts-dejavu-core fonts-noto-cjk xvfb xauth libxcb-cursor0
  libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0
  libxcb-xinerama0 libxcb-randr0 libxcb-xkb1)
# The tests also validate the desktop entry and the AppStream metadata.
DEBIAN_TEST_PACKAGES=(desktop-file-utils appstream)

say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

wanted=("${DEBIAN_PACKAGES[@]}")
[ "$group" = dev ] && wanted+=("${DEBIAN_TEST_PACKAGES[@]}")
missing=()
if command -v dpkg >/dev/null 2>&1; then
  for p in "${wanted[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
fi
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
    fail "need root to install: ${missing[*]} (run: apt-get install ${missing[*]})"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || fail "apt-get update failed (see above)"
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || fail "could not install: ${missing[*]} (see above)"
fi

PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  fail "ecan needs Python 3.11 or newer; set PYTHON=/path/to/python3.11"
fi

# What a complete install of this checkout looks like: the locks, the project's metadata and the
# interpreter. A stamp that differs (or none: an interrupted install) means start over.
stamp=.venv/.ecan-installed
fingerprint="$( { cat pyproject.toml requirements/*.txt; "$PY" -c 'import sys; print(sys.version)'; } \
  | sha256sum | cut -d' ' -f1)"
installed_group=""
if [ -f "$stamp" ] && [ -x .venv/bin/python ]; then
  read -r stamp_fp installed_group < "$stamp" || true
  [ "${stamp_fp:-}" = "$fingerprint" ] || installed_group=""
fi
# ecan is installed editable, so pip byte-compiled none of its modules: compile them on every
# set-up (up-to-date ones are skipped), or each start would compile what it imports again where
# bytecode is not written (PYTHONDONTWRITEBYTECODE, a checkout its user cannot write): ~0.1 s a
# command.
compile_ecan() {
  .venv/bin/python -m compileall -q ecan >&2 \
    || say "could not byte-compile ecan/ (see above); it still runs, compiling as it starts"
}

# dev is a superset of app at the same versions (requirements/app.txt is compiled against it).
if [ "$installed_group" = dev ] || [ "$installed_group" = "$group" ]; then
  compile_ecan
  exit 0
fi

# pip's own noise about this machine's extra local indexes; everything else, errors included,
# gets through, and pip's exit status is kept.
pip_install() {
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-input "$@" \
    2> >(grep -v "^WARNING: Location '.*' is ignored" >&2)
}

if [ -z "$installed_group" ]; then
  if [ -e .venv ]; then
    say "rebuilding .venv (it is incomplete or was made from another lock)"
    rm -rf .venv
  fi
  say "creating .venv"
  "$PY" -m venv .venv || fail "could not create .venv (is python3-venv installed?)"
fi
say "installing the locked packages for '$group' into .venv (the first time takes a few minutes)"
rm -f "$stamp"
# --no-deps: the lock names every package; --require-hashes: only the bytes the lock names.
pip_install --require-hashes --no-deps -r "requirements/$group.txt" \
  || fail "installing requirements/$group.txt failed (see above); nothing was kept as installed"
# ecan itself, editable, built with the locked setuptools (no unpinned build environment).
pip_install --no-deps --no-build-isolation -e . || fail "installing ecan failed (see above)"
.venv/bin/python -m pip check --disable-pip-version-check >/dev/null \
  || { .venv/bin/python -m pip check --disable-pip-version-check >&2 || true
       fail "the lock is incomplete: the packages above are missing (run scripts/upgrade-lock)"; }
.venv/bin/python -c 'import ecan, PySide6, moto, joserfc' || fail "ecan does not import after the install"
echo "$fingerprint $group" > "$stamp"
compile_ecan
say "ready: .venv ($group)"
