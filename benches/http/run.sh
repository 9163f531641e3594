#!/usr/bin/env bash
# HTTP benchmark: release servers on 127.0.0.1, driven by wrk, server and client pinned to different cores.
#
#   benches/http/run.sh                 # ROUNDS=3 DURATION=10 CONNECTIONS=64 by default
#   ROUNDS=5 DURATION=20 benches/http/run.sh
#
# Configurations, alternated in every round: no auth; tower-jwt-auth with HS256/ES256/RS256/EdDSA, token cache
# off and on; jwt-authorizer 0.15 (benches/http/peer, its own Cargo project) with the same keys. Prints a
# Markdown table (median requests/s over the rounds, p50/p99 latency of the median run, ratio to no auth) and
# writes it to benches/http/results.md. Needs wrk (apt-get install -y wrk) and taskset (util-linux).
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${PORT:-4000}
export JWT_SECRET=${JWT_SECRET:-bench-secret-bench-secret-bench-secret-bench-secret-0123456789ab}
export KEYS="$PWD/tests/keys"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

echo "building release servers..." >&2
cargo build --release --quiet --example bench_server
(cd benches/http/peer && cargo build --release --quiet)
OURS=target/release/examples/bench_server
PEER=benches/http/peer/target/release/jwt-authorizer-peer

CONFIGS=(
  "none|HS256|1|ours"
  "layer|HS256|0|ours" "layer|HS256|1|ours"
  "layer|ES256|0|ours" "layer|ES256|1|ours"
  "layer|RS256|0|ours" "layer|RS256|1|ours"
  "layer|EdDSA|0|ours" "layer|EdDSA|1|ours"
  "peer|HS256|-|peer" "peer|ES256|-|peer" "peer|RS256|-|peer" "peer|EdDSA|-|peer"
)

RESULTS=$(mktemp)
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true; rm -f "$RESULTS"; }
trap cleanup EXIT

# Token for an algorithm: minted by our bench server (same keys, issuer and audience for the peer).
token_for() {
  local log; log=$(mktemp)
  MODE=none JWT_ALG=$1 BIND=127.0.0.1:$((PORT + 1)) "$OURS" >"$log" 2>/dev/null &
  local pid=$!
  for _ in $(seq 50); do grep -q '^token ' "$log" && break; sleep 0.1; done
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  sed -n 's/^token //p' "$log"; rm -f "$log"
}
declare -A TOKENS
for alg in HS256 ES256 RS256 EdDSA; do TOKENS[$alg]=$(token_for $alg); done

wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && return 0; sleep 0.05; done; return 1; }

for round in $(seq "$ROUNDS"); do
  for config in "${CONFIGS[@]}"; do
    IFS='|' read -r mode alg cache kind <<<"$config"
    if [ "$kind" = peer ]; then
      JWT_ALG=$alg BIND=127.0.0.1:$PORT taskset -c "$SERVER_CPU" "$PEER" 2>/dev/null &
    else
      MODE=$mode JWT_ALG=$alg TOKEN_CACHE=$cache BIND=127.0.0.1:$PORT taskset -c "$SERVER_CPU" "$OURS" >/dev/null 2>&1 &
    fi
    SERVER_PID=$!
    wait_port || { echo "server for $config did not start" >&2; exit 1; }
    # Sanity: the configuration must accept its token (and auth configs must refuse a request without one).
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${TOKENS[$alg]}" "http://127.0.0.1:$PORT/")
    [ "$code" = 200 ] || { echo "$config answered $code to a valid token" >&2; exit 1; }
    out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency \
          -H "Authorization: Bearer ${TOKENS[$alg]}" "http://127.0.0.1:$PORT/")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
    [ -z "$non2xx" ] || { echo "$config: $non2xx non-2xx responses" >&2; exit 1; }
    echo "$config|$rps|$p50|$p99" >>"$RESULTS"
    echo "round $round  $config  $rps req/s  p50 $p50  p99 $p99" >&2
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  done
done

python3 - "$RESULTS" "$ROUNDS" "$DURATION" "$CONNECTIONS" <<'PY' | tee benches/http/results.md
import sys, statistics, collections, platform, os
path, rounds, duration, conns = sys.argv[1:]
runs = collections.defaultdict(list)
for line in open(path):
    mode, alg, cache, kind, rps, p50, p99 = line.strip().split('|')
    runs[(mode, alg, cache, kind)].append((float(rps), p50, p99))
def median_run(rs):
    rs = sorted(rs); return rs[len(rs) // 2]
base = median_run(runs[('none', 'HS256', '1', 'ours')])[0]
label = {'none': 'no auth', 'layer': 'tower-jwt-auth', 'peer': 'jwt-authorizer 0.15'}
print(f"wrk -t1 -c{conns} -d{duration}s, {rounds} alternating rounds, server on CPU 0 (one thread), wrk on CPU 1; "
      f"{os.cpu_count()} cores, {platform.machine()}\n")
print("| server | alg | token cache | req/s (median) | p50 | p99 | × no auth |")
print("|---|---|---|---|---|---|---|")
for (mode, alg, cache, kind), rs in runs.items():
    rps, p50, p99 = median_run(rs)
    c = {'0': 'off', '1': 'on', '-': '—'}[cache] if mode != 'none' else '—'
    a = alg if mode != 'none' else '—'
    print(f"| {label[mode]} | {a} | {c} | {rps:,.0f} | {p50} | {p99} | {rps / base:.2f} |")
PY
