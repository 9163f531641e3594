#!/usr/bin/env bash
# Instructions per request of the bench server, counted by callgrind: deterministic where wrk's requests/s are
# not (this machine's rounds move by ±10–20 %). Per algorithm, the no-auth server, the floor layer (two extension
# inserts, nothing checked) and the layer with a cached token; instrumentation starts after start-up and a
# warm-up, so the count is requests only. User space only (callgrind does not see the kernel's TCP work, which is
# most of each request here), so read differences between rows, not ratios.
#
#   benches/http/callgrind.sh                 # ALGS="HS256 ES256 RS256 EdDSA" MODES="none floor layer"
#   ALGS=ES256 MODES="none noop floor layer" benches/http/callgrind.sh
#   TOKEN=badsig ALGS=ES256 MODES=layer benches/http/callgrind.sh   # a flood of one refused token (or expired)
#   WIRING=router MODES="floor layer" benches/http/callgrind.sh      # the layer around the whole router
#   MODES="miss peer" benches/http/callgrind.sh   # every request a miss (cache off), and jwt-authorizer's
#
# Needs valgrind (callgrind_control, callgrind_annotate) and wrk. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/../.."

ALGS=${ALGS:-HS256 ES256 RS256 EdDSA}
MODES=${MODES:-none floor layer}
PORT=${PORT:-4200}
TOKEN=${TOKEN:-token}
SECONDS_MEASURED=${SECONDS_MEASURED:-4}
export JWT_SECRET=${JWT_SECRET:-bench-secret-bench-secret-bench-secret-bench-secret-0123456789ab}
export KEYS="$PWD/tests/keys"
TARGET=${CARGO_TARGET_DIR:-target}
for tool in valgrind callgrind_control callgrind_annotate wrk; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install -y valgrind wrk)" >&2; exit 1; }
done

echo "building the release bench server..." >&2
cargo build --release --quiet --example bench_server
SERVER=$TARGET/release/examples/bench_server
PEER=benches/http/peer/target/release/jwt-authorizer-peer
if [[ " $MODES " == *" peer "* ]]; then
  (cd benches/http/peer && env -u CARGO_TARGET_DIR cargo build --release --quiet)
fi
WORK=$(mktemp -d)
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

# Prints the instructions per request of one server: MODE (none, noop, floor, layer), `miss` (the layer with
# its token cache off) or `peer` (jwt-authorizer, sent the token our server mints).
count() {
  local mode=$1 alg=$2 out=$WORK/callgrind.$1.$2
  if [ "$mode" = peer ]; then
    MODE=layer JWT_ALG=$alg BIND=127.0.0.1:$PORT "$SERVER" >"$WORK/values" 2>/dev/null &
    SERVER_PID=$!
    for _ in $(seq 100); do grep -q '^badsig ' "$WORK/values" 2>/dev/null && break; sleep 0.1; done
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
    JWT_ALG=$alg BIND=127.0.0.1:$PORT valgrind --tool=callgrind --instr-atstart=no \
      --callgrind-out-file="$out" "$PEER" >/dev/null 2>&1 &
  else
    MODE=${mode/miss/layer} TOKEN_CACHE=$([ "$mode" = miss ] && echo 0 || echo 1) JWT_ALG=$alg \
      BIND=127.0.0.1:$PORT valgrind --tool=callgrind --instr-atstart=no \
      --callgrind-out-file="$out" "$SERVER" >"$WORK/values" 2>/dev/null &
  fi
  SERVER_PID=$!
  for _ in $(seq 200); do
    grep -q '^badsig ' "$WORK/values" 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break
    sleep 0.2
  done
  local header; header="Authorization: Bearer $(awk -v name="$TOKEN" '$1==name {print $2}' "$WORK/values")"
  wrk -t1 -c4 -d2s -H "$header" "http://127.0.0.1:$PORT/" >/dev/null
  callgrind_control -i on "$SERVER_PID" >/dev/null 2>&1
  local requests
  requests=$(wrk -t1 -c4 -d"${SECONDS_MEASURED}s" -H "$header" "http://127.0.0.1:$PORT/" | awk '/requests in/ {print $1}')
  callgrind_control -i off "$SERVER_PID" >/dev/null 2>&1
  callgrind_control -d "$SERVER_PID" >/dev/null 2>&1
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  # The dump on request is the largest file (the one at exit holds nothing: instrumentation is off by then).
  local instructions
  instructions=$(callgrind_annotate "$(ls -S "$out"* | head -1)" 2>/dev/null \
                 | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
  echo $((instructions / requests))
}

header="| algorithm |"; rule="|---|"
for mode in $MODES; do header+=" $mode |"; rule+="---|"; done
echo "Instructions per request with the server's \`$TOKEN\`, layers wired ${WIRING:-route} (callgrind, user space; wrk -t1 -c4 -d${SECONDS_MEASURED}s after a 2 s warm-up):"
echo
echo "$header"; echo "$rule"
for alg in $ALGS; do
  row="| $alg |"
  for mode in $MODES; do row+=" $(count "$mode" "$alg") |"; done
  echo "$row"
done
