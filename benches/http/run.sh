#!/usr/bin/env bash
# HTTP benchmark: release servers on 127.0.0.1, driven by wrk, server and client pinned to different cores.
#
#   benches/http/run.sh                 # ROUNDS=5 DURATION=5 CONNECTIONS=64 by default
#   ROUNDS=7 DURATION=8 benches/http/run.sh
#   ONLY='hit|miss' benches/http/run.sh # only the rows whose group matches
#   ONLY=hit ALGS=ES256 ROUNDS=30 DURATION=2 OUT=benches/http/results-hit.md benches/http/run.sh
#                                       # many short rounds of a few rows, into a file of their own
#
# Every configuration runs once per round, all of them alternated, and every ratio is taken inside one round
# (a row against its baseline measured minutes apart in the same round), so a machine that slows down for a
# while moves both sides. Rows, each with the request it sends:
#   hit / miss  tower-jwt-auth with the verified-token cache on / off, per algorithm, against the no-auth server
#               sent the very same request (same Authorization header: the header's bytes cost every server);
#               beside them a layer that does nothing (tower's MapRequestLayer with the identity): what wrapping
#               the route costs any middleware in axum; and the floor layer, which only inserts two shared values
#               into the extensions when an Authorization header is present: what handing claims over costs any
#               layer that does it as this crate does (TokenInfo and Claims<C>), before checking anything;
#               the floor layer and the hit again with the layer wrapping the whole router (`layer.layer(router)`)
#               instead of each route (`Router::layer`, which clones and boxes the route's service per request);
#   peer        jwt-authorizer 0.15 (benches/http/peer, its own Cargo project), same keys and token;
#   hostile     a flood of one malformed, wrongly signed or expired ES256 token (refusals; the connection must be
#               kept alive), against the no-auth server;
#   dpop        a DPoP-bound token with a replayed proof, a stale proof, a replayed RSA-4096 proof (the largest
#               key taken), against the same token without a proof (CPU per request = 1 / throughput: one core);
#   source      the ES256 token by cookie, with a client certificate (Envoy's XFCC header), and an opaque token
#               a remote introspection endpoint vouches for (cached), against no auth.
# Prints a Markdown table (median requests/s, p50/p99 of the median run, ratio to the baseline: median and
# spread over the rounds) and writes it to $OUT (benches/http/results.md). Needs wrk (apt-get install -y wrk), curl
# and taskset (util-linux). The stores have their own script: benches/http/stores.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-64}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${PORT:-4000}
ONLY=${ONLY:-.}
OUT=${OUT:-benches/http/results.md}
export JWT_SECRET=${JWT_SECRET:-bench-secret-bench-secret-bench-secret-bench-secret-0123456789ab}
export KEYS="$PWD/tests/keys"
TARGET=${CARGO_TARGET_DIR:-target}

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

echo "building release servers..." >&2
cargo build --release --quiet --example bench_server
(cd benches/http/peer && env -u CARGO_TARGET_DIR cargo build --release --quiet)
OURS=$TARGET/release/examples/bench_server
PEER=benches/http/peer/target/release/jwt-authorizer-peer

# group|label|server (none, noop, floor, layer, peer; @router: the layer wraps the whole router)|alg|cache|source|request (name of the printed values)|expect|baseline label
CONFIGS=()
ALGS=${ALGS:-HS256 ES256 RS256 EdDSA}
for alg in $ALGS; do
  CONFIGS+=("hit|no auth $alg|none|$alg|1|bearer|bearer:token|200|"
            "hit|no-op layer $alg|noop|$alg|1|bearer|bearer:token|200|no auth $alg"
            "hit|floor layer $alg|floor|$alg|1|bearer|bearer:token|200|no auth $alg"
            "hit|hit $alg|layer|$alg|1|bearer|bearer:token|200|no auth $alg"
            "hit|floor layer around the router $alg|floor@router|$alg|1|bearer|bearer:token|200|no auth $alg"
            "hit|hit around the router $alg|layer@router|$alg|1|bearer|bearer:token|200|no auth $alg"
            "miss|miss $alg|layer|$alg|0|bearer|bearer:token|200|no auth $alg"
            "miss|jwt-authorizer $alg|peer|$alg|-|bearer|bearer:token|200|no auth $alg")
done
CONFIGS+=("hostile|malformed|layer|ES256|1|bearer|raw:Authorization: Bearer not a token|400|no auth ES256"
          "hostile|wrongly signed|layer|ES256|1|bearer|bearer:badsig|401|no auth ES256"
          "hostile|expired|layer|ES256|1|bearer|bearer:expired|401|no auth ES256"
          "dpop|DPoP token, no proof|layer|ES256|1|dpop|dpop:token|401|"
          "dpop|replayed proof|layer|ES256|1|dpop|dpop:token:proof|401|DPoP token, no proof"
          "dpop|stale proof|layer|ES256|1|dpop|dpop:token:stale|401|DPoP token, no proof"
          "dpop|replayed RSA-4096 proof|layer|ES256|1|dpop|dpop:token_rsa:proof_rsa|401|DPoP token, no proof"
          "source|cookie|layer|ES256|1|cookie|cookie:token|200|no auth ES256"
          "source|client certificate (XFCC)|layer|ES256|1|mtls|mtls:token:certificate|200|no auth ES256"
          "source|introspection (cached)|layer|ES256|1|introspection|bearer:token|200|no auth ES256")

RESULTS=$(mktemp)
VALUES_FILE=$(mktemp)
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true; rm -f "$RESULTS" "$VALUES_FILE"; }
trap cleanup EXIT

# The values a source's server prints (`name value` lines), minted once per algorithm and source.
declare -A VALUES
values_for() {
  local alg=$1 source=$2 log; log=$(mktemp)
  MODE=layer JWT_ALG=$alg SOURCE=$source BIND=127.0.0.1:$PORT "$OURS" >"$log" 2>/dev/null &
  local pid=$!
  for _ in $(seq 100); do grep -q '^badsig ' "$log" && break; sleep 0.1; done
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  while read -r name value; do VALUES[$alg/$source/$name]=$value; done <"$log"
  rm -f "$log"
}
for alg in $(printf '%s\n' $ALGS ES256 | sort -u); do values_for "$alg" bearer; done  # hostile rows: ES256
for source in cookie mtls dpop introspection; do values_for ES256 $source; done

# The headers of a request description: bearer:NAME, cookie:NAME, dpop:TOKEN[:PROOF], mtls:TOKEN:CERT, raw:HEADER.
headers_for() {
  local alg=$1 source=$2 request=$3 kind a b
  IFS=':' read -r kind a b <<<"$request"
  case $kind in
    bearer) echo "Authorization: Bearer ${VALUES[$alg/$source/$a]}" ;;
    cookie) echo "Cookie: access=${VALUES[$alg/$source/$a]}" ;;
    dpop) echo "Authorization: DPoP ${VALUES[$alg/$source/$a]}"
          [ -z "$b" ] || echo "DPoP: ${VALUES[$alg/$source/$b]}" ;;
    mtls) echo "Authorization: Bearer ${VALUES[$alg/$source/$a]}"
          echo "x-forwarded-client-cert: ${VALUES[$alg/$source/$b]}" ;;
    raw) echo "${request#raw:}" ;;
  esac
}

wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && return 0; sleep 0.05; done; return 1; }

for round in $(seq "$ROUNDS"); do
  for config in "${CONFIGS[@]}"; do
    IFS='|' read -r group label server alg cache source request expect baseline <<<"$config"
    [[ $group =~ $ONLY ]] || continue
    if [ "$server" = peer ]; then
      JWT_ALG=$alg BIND=127.0.0.1:$PORT taskset -c "$SERVER_CPU" "$PEER" 2>/dev/null &
    else
      MODE=${server%@*} WIRING=$([[ $server == *@router ]] && echo router || echo route) JWT_ALG=$alg TOKEN_CACHE=$cache SOURCE=$source BIND=127.0.0.1:$PORT \
        taskset -c "$SERVER_CPU" "$OURS" >"$VALUES_FILE" 2>/dev/null &
    fi
    SERVER_PID=$!
    wait_port || { echo "server for $label did not start" >&2; exit 1; }
    # This server's own values (proofs are fresh for a minute or so: those minted at the start would be stale).
    if [ "$server" != peer ]; then
      while read -r name value; do VALUES[$alg/$source/$name]=$value; done <"$VALUES_FILE"
    fi
    mapfile -t HEADERS < <(headers_for "$alg" "$source" "$request")
    ARGS=(); for h in "${HEADERS[@]}"; do ARGS+=(-H "$h"); done
    # Sanity: the configuration answers as expected, twice on one kept-alive connection (a refusal must not
    # close it). A replayed proof is accepted once (its first use), so its check begins with a warm-up use.
    [ "$group" = dpop ] && curl -s -o /dev/null "${ARGS[@]}" "http://127.0.0.1:$PORT/"
    check=$(curl -s -o /dev/null -o /dev/null -w '%{http_code}/%{num_connects} ' "${ARGS[@]}" \
            "http://127.0.0.1:$PORT/" "http://127.0.0.1:$PORT/")
    [ "$check" = "$expect/1 $expect/0 " ] || { echo "$label answered '$check', expected $expect twice on one connection" >&2; exit 1; }
    out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "${ARGS[@]}" \
          "http://127.0.0.1:$PORT/")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    total=$(awk '/requests in/ {print $1}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
    errors=$(awk '/Socket errors/' <<<"$out")
    [ -z "$errors" ] || { echo "$label: $errors" >&2; exit 1; }
    if [ "$expect" = 200 ]; then
      [ -z "$non2xx" ] || { echo "$label: $non2xx non-2xx responses" >&2; exit 1; }
    else
      [ "${non2xx:-0}" = "$total" ] || { echo "$label: $non2xx of $total refused" >&2; exit 1; }
    fi
    echo "$round|$group|$label|$baseline|$rps|$p50|$p99" >>"$RESULTS"
    echo "round $round  $label  $rps req/s  p50 $p50  p99 $p99" >&2
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  done
done

python3 - "$RESULTS" "$ROUNDS" "$DURATION" "$CONNECTIONS" <<'PY' | tee "$OUT"
import sys, statistics, collections, platform, os
path, rounds, duration, conns = sys.argv[1:]
rows, per_round, order = collections.defaultdict(list), {}, []
for line in open(path):
    rnd, group, label, baseline, rps, p50, p99 = line.rstrip('\n').split('|')
    if label not in rows: order.append((group, label, baseline))
    rows[label].append((float(rps), p50, p99))
    per_round[(rnd, label)] = float(rps)
def ratios(label, baseline):
    return [per_round[(r, label)] / per_round[(r, baseline)] for (r, l) in sorted(per_round)
            if l == label and (r, baseline) in per_round]
def median_run(rs):
    rs = sorted(rs); return rs[len(rs) // 2]
print(f"wrk -t1 -c{conns} -d{duration}s, {rounds} rounds with every row alternated, server on CPU 0 (one thread), "
      f"wrk on CPU 1; {os.cpu_count()} cores, {platform.machine()}. Ratio: this row ÷ its baseline in the same "
      "round, median over the rounds [min–max].\n")
print("| group | row | req/s (median) | p50 | p99 | baseline | × baseline, median [min–max] |")
print("|---|---|---|---|---|---|---|")
for group, label, baseline in order:
    rps, p50, p99 = median_run(rows[label])
    ratio = "—"
    if baseline:
        rs = ratios(label, baseline)
        if rs:
            ratio = f"{statistics.median(rs):.3f} [{min(rs):.3f}–{max(rs):.3f}]"
    print(f"| {group} | {label} | {rps:,.0f} | {p50} | {p99} | {baseline or '—'} | {ratio} |")
def round_table(title, prefix, baseline, summary, extra=None):
    """A table of `prefix ALG` ÷ `baseline ALG` per round, per algorithm; `extra` adds a column of its own."""
    labels = [label for _, label, _ in order if label.startswith(prefix + " ")]
    if not labels:
        return
    name, pick = summary
    columns = ["algorithm", f"{prefix} ÷ {baseline}, per round", name] + ([extra[0]] if extra else [])
    print(f"\n{title}, per round:\n")
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for label in labels:
        alg = label.split(" ", 1)[1]
        rs = ratios(label, f"{baseline} {alg}")
        if not rs:
            continue
        cells = [alg, ", ".join(f"{x:.3f}" for x in rs), f"{pick(rs):.3f}"]
        if extra:
            cells.append(extra[1](alg))
        print("| " + " | ".join(cells) + " |")
def floor_share(alg):
    # `alg` may carry the wiring ("around the router ES256"); the no-auth server has none.
    rs = ratios(f"floor layer {alg}", f"no auth {alg.split()[-1]}")
    return f"{statistics.median(rs):.3f}" if rs else "—"
round_table("Hits against the no-op layer (what the layer costs beyond wrapping a route)", "hit", "no-op layer",
          ("median", statistics.median))
round_table("Hits against the floor layer (two extension inserts, nothing checked)", "hit", "floor layer",
          ("median", statistics.median), ("floor layer ÷ no auth, median", floor_share))
round_table("Misses against jwt-authorizer, same algorithm, keys and token", "miss", "jwt-authorizer",
          ("lowest", min))
PY
