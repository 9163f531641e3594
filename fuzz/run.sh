#!/usr/bin/env bash
# Runs every fuzz target for a bounded time, one after the other, on one core.
#
#   fuzz/run.sh                      # 60 s per target
#   FUZZ_SECONDS=600 fuzz/run.sh     # 10 min per target
#   FUZZ_CPU=1 fuzz/run.sh token     # only some targets, pinned to CPU 1
#
# Seeds: fuzz/seeds/<target> (committed). Needs cargo-fuzz (cargo install cargo-fuzz --locked). The toolchain here is stable: RUSTC_BOOTSTRAP=1 lets
# cargo fuzz pass its nightly-only sanitizer flags. Findings land in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
CPU=${FUZZ_CPU:-1}
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(bearer_header cookie_header token signed_claims refresh_body jwk_set dpop_proof)
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
for target in "${TARGETS[@]}"; do
  mkdir -p "fuzz/corpus/$target"
  echo "== $target for ${SECONDS_PER_TARGET}s"
  # New inputs go to fuzz/corpus/<target> (not committed); fuzz/seeds/<target> holds the committed seeds.
  taskset -c "$CPU" cargo fuzz run -O "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
    -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 -max_len=8192 2>&1 | tail -25
done
