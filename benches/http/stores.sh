#!/usr/bin/env bash
# The demo server over HTTP with the memory store, the Redis store and the SQL store (SQLite file, PostgreSQL):
# `GET /me` (HS256, verified-token cache on, revocation checked per request) and `GET /healthz` (no auth), driven
# by wrk, server and client pinned to different cores, the stores in a rotated order every round. Also counts the
# Redis commands the Redis run made per 1000 requests (INFO commandstats; the feed's blocking XREADs apart).
#
#   benches/http/stores.sh              # ROUNDS=3 DURATION=10 CONNECTIONS=64 by default
#
# Needs wrk (apt-get install -y wrk), redis-server, redis-cli, taskset and PostgreSQL (pg_ctl, initdb; run as the
# postgres user when root). Writes benches/http/stores.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${PORT:-4100}
REDIS_PORT=${REDIS_PORT:-4199}
PG_PORT=${PG_PORT:-4198}
PG_BIN=$(dirname "$(command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl | tail -1)")
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

for tool in wrk redis-server redis-cli taskset curl; do
  command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; exit 1; }
done

echo "building the demo (release)..." >&2
cargo build --release --quiet --example demo
DEMO=${CARGO_TARGET_DIR:-target}/release/examples/demo

RESULTS=$(mktemp)
REDIS_DIR=$(mktemp -d)
SQLITE_DIR=$(mktemp -d)
PG_DIR=$(mktemp -u /tmp/tja-bench-pg-XXXXXX)
SERVER_PID=""
REDIS_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null || true
  [ -d "$PG_DIR" ] && as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$RESULTS" "$REDIS_DIR" "$SQLITE_DIR" "$PG_DIR"
}
trap cleanup EXIT

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$REDIS_DIR" >/dev/null &
REDIS_PID=$!
for _ in $(seq 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done

as_postgres "$PG_BIN/initdb" -D "$PG_DIR" -A trust -U postgres >/dev/null
as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR" -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $PG_DIR" -l "$PG_DIR/log" -w start >/dev/null

wait_port() { for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && return 0; sleep 0.05; done; return 1; }

# Redis calls so far, all commands but the feed's blocking reads and our own INFO/PING.
redis_calls() {
  redis-cli -p "$REDIS_PORT" info commandstats |
    awk -F'[:,=]' '/^cmdstat_/ && $1 !~ /cmdstat_(xread|info|ping)$/ {n += $3} END {print n + 0}'
}
# PostgreSQL transactions so far (the demo's, the mirror's polls included).
pg_transactions() {
  psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -At -c \
    "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'postgres'" 2>/dev/null || echo 0
}
xread_calls() {
  redis-cli -p "$REDIS_PORT" info commandstats | awk -F'[:,=]' '$1 == "cmdstat_xread" {print $3; f = 1} END {if (!f) print 0}' 
}

run() { # store path
  local store=$1 path=$2
  local env=()
  case "$store" in
    redis) env=(REDIS_URL=redis://127.0.0.1:$REDIS_PORT) ;;
    sqlite) env=(DATABASE_URL=sqlite://$SQLITE_DIR/demo.db) ;;
    postgres) env=(DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/postgres) ;;
  esac
  env "${env[@]}" BIND=127.0.0.1:$PORT taskset -c "$SERVER_CPU" "$DEMO" >/dev/null 2>&1 &
  SERVER_PID=$!
  wait_port || { echo "demo ($store) did not start" >&2; exit 1; }
  local token
  token=$(curl -s -H 'content-type: application/json' -d '{"username":"alice","password":"alice-pass"}' \
    "http://127.0.0.1:$PORT/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT$path")
  [ "$code" = 200 ] || { echo "$store $path answered $code" >&2; exit 1; }
  local calls_before xread_before pg_before
  calls_before=$(redis_calls); xread_before=$(xread_calls); pg_before=$(pg_transactions)
  out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency \
        -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT$path")
  local calls xreads
  calls=$(( $(redis_calls) - calls_before ))
  xreads=$(( $(xread_calls) - xread_before ))
  # The psql queries themselves are two transactions.
  [ "$store" = postgres ] && calls=$(( $(pg_transactions) - pg_before - 2 ))
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  [ -z "$non2xx" ] || { echo "$store $path: $non2xx non-2xx responses" >&2; exit 1; }
  echo "$store|$path|$rps|$p50|$p99|$requests|$calls|$xreads" >>"$RESULTS"
  echo "round $round  $store $path  $rps req/s  p50 $p50  p99 $p99  redis calls $calls (+$xreads XREAD)" >&2
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
}

STORES=(memory redis sqlite postgres)
for round in $(seq "$ROUNDS"); do
  # Rotate the order, so no store always runs first or last.
  shift_by=$(( (round - 1) % ${#STORES[@]} ))
  order=("${STORES[@]:$shift_by}" "${STORES[@]:0:$shift_by}")
  for store in "${order[@]}"; do run "$store" /me; done
  run memory /healthz
done

python3 - "$RESULTS" "$ROUNDS" "$DURATION" "$CONNECTIONS" <<'PY' | tee benches/http/stores.md
import sys, collections, os, platform
path, rounds, duration, conns = sys.argv[1:]
runs = collections.defaultdict(list)
for line in open(path):
    store, route, rps, p50, p99, requests, calls, xreads = line.strip().split('|')
    runs[(store, route)].append((float(rps), p50, p99, int(requests), int(calls), int(xreads)))
print(f"demo server, wrk -t1 -c{conns} -d{duration}s, {rounds} alternating rounds, server on CPU 0, wrk on CPU 1; "
      f"{os.cpu_count()} cores, {platform.machine()}\n")
print("| store | route | req/s per round | p50 / p99 (median run) | store calls per 1000 requests (Redis: commands, XREAD apart; PostgreSQL: transactions, the mirror's polls included) |")
print("|---|---|---|---|---|")
for (store, route), rs in runs.items():
    med = sorted(rs)[len(rs) // 2]
    per_1000 = ", ".join(f"{1000 * r[4] / max(r[3], 1):.3f}" for r in rs) if store in ("redis", "postgres") else "—"
    if store == "redis":
        per_1000 += f" (XREAD: {', '.join(str(r[5]) for r in rs)})"
    print(f"| {store} | {route} | {', '.join(f'{r[0]:,.0f}' for r in rs)} | {med[1]} / {med[2]} | {per_1000} |")
mem = [r[0] for r in runs[("memory", "/me")]]
for store in ("redis", "sqlite", "postgres"):
    other = [r[0] for r in runs[(store, "/me")]]
    ratios = [b / a for a, b in zip(mem, other)]
    print(f"\n{store} /me ÷ memory /me, per round: {', '.join(f'{x:.2f}' for x in ratios)}")
PY
