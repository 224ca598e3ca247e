#!/usr/bin/env bash
# `npm run fuzz [-- SECONDS]`: runs every fuzz target of fuzz/ for SECONDS each (or $FUZZ_SECONDS;
# default 60), one after the other on one core, on stable Rust (`cargo fuzz run -s none`), and
# prints per target the executions, executions per second and findings (new crash files in
# fuzz/artifacts/<target>/). Exits non-zero when any target found a crash.
#
# The committed corpus (fuzz/corpus/<target>/) seeds each run; what the run adds goes to
# fuzz/target/corpus/<target>/ (ignored by git), so a run leaves the work tree clean except for
# crash files. To refresh the committed corpus, copy fuzz/target/corpus/<target>/* into fuzz/corpus/<target>/
# and minimise it: `cargo fuzz cmin -s none <target> -- -use_counters=0 -use_cmp=0 -set_cover_merge=1`.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-${FUZZ_SECONDS:-60}}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: npm run fuzz -- SECONDS   (seconds per target, default 60)" >&2
  exit 2
fi

if ! command -v cargo-fuzz > /dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz (cargo install --locked cargo-fuzz)..."
  cargo install --locked cargo-fuzz
fi

cd fuzz
targets=()
for f in fuzz_targets/*.rs; do targets+=("$(basename "$f" .rs)"); done

echo "fuzz: building ${#targets[@]} targets (release, debug assertions, no sanitizer)..."
cargo fuzz build -s none > target-build.log 2>&1 || { cat target-build.log >&2; exit 1; }
rm -f target-build.log

summary=()
failed=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t" "target/corpus/$t"
  before=$(ls "artifacts/$t" | wc -l)
  log="target/fuzz-$t.log"
  echo "fuzz: $t for ${seconds} s..."
  set +e
  cargo fuzz run -s none "$t" "$PWD/target/corpus/$t" "$PWD/corpus/$t" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 > "$log" 2>&1
  rc=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  after=$(ls "artifacts/$t" | wc -l)
  found=$((after - before))
  line="$t: ${runs:-?} executions, ${rate:-?} exec/s, $found findings"
  if [ "$found" -gt 0 ] || [ "$rc" -ne 0 ]; then
    failed=1
    new=$(ls -t "artifacts/$t" | head -n "$((found > 0 ? found : 1))" | sed "s|^|fuzz/artifacts/$t/|" | tr '\n' ' ')
    line="$line (exit $rc; $new; log fuzz/$log)"
    grep -m1 -A2 "panicked at" "$log" >&2 || tail -n 20 "$log" >&2
  fi
  summary+=("$line")
done

echo
echo "fuzz: ${seconds} s per target"
for line in "${summary[@]}"; do echo "  $line"; done
exit "$failed"
