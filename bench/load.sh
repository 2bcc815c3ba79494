#!/usr/bin/env bash
# Load test of POST /api-keys/auth/{key} against a minimal net/http handler
# answering a body of the same size, measured in the same run, alternating
# so that both see the same machine noise. Prints both figures and the
# ratio keyway/baseline (issue 13 asks at least 0.9; BENCHMARKS.md has
# the figures).
#
#   bash bench/load.sh            # defaults: 3 rounds of 10 s, 64 connections
#   ROUNDS=5 DURATION=20s CONNS=128 bash bench/load.sh
#   LIMIT=1000000000 bash bench/load.sh   # the key has a rate limit (a
#                                        # limiter hit per request)
#   COMPARE_LIMIT=1 bash bench/load.sh    # each round: an unlimited key, a
#                                        # rate-limited one (LIMIT, default
#                                        # 1e9: never refuses) and the baseline;
#                                        # prints limited/unlimited too
# The server takes KEYWAY_* settings from the environment, so the same
# script measures PostgreSQL (KEYWAY_DATABASE_URL, an empty database, with
# KEYWAY_SECRET_KEY) and Redis (KEYWAY_REDIS_URL).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-1}
LIMIT=${LIMIT:-}
COMPARE_LIMIT=${COMPARE_LIMIT:-}
[[ -n "$COMPARE_LIMIT" ]] && LIMIT=${LIMIT:-1000000000}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/keyway" ./cmd/keyway
go build -o "$work/baseline" ./bench/baseline

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() {
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server at $1 did not come up" >&2; exit 1
}

access="live_access_$(head -c 300 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 64)"
kport=$(free_port)
KEYWAY_BOOTSTRAP_ACCESS_KEY=$access KEYWAY_LOG_LEVEL=warn \
  "$work/keyway" serve --addr "127.0.0.1:$kport" --data-dir "$work/data" 2>"$work/keyway.log" &
pids+=($!)
base="http://127.0.0.1:$kport"
wait_ready "$base/readyz"

account=$(curl -fsS -H "x-api-key: $access" "$base/accounts" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
project=$(curl -fsS -H "x-api-key: $access" -H 'content-type: application/json' \
  -d "{\"name\":\"load\",\"accountId\":\"$account\",\"env\":\"live\"}" "$base/projects" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
new_key() { # [limit] -> a new key, rate-limited when a limit is given
  local limit_field=""
  [[ -n "${1:-}" ]] && limit_field=",\"rateLimitConfigs\":{\"rateLimit\":$1,\"rateLimitTtl\":3600}"
  curl -fsS -H "x-api-key: $access" -H 'content-type: application/json' \
    -d "{\"name\":\"load test key\",\"projectId\":\"$project\",\"customMetaData\":{\"plan\":\"pro\"}$limit_field}" "$base/api-keys" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])'
}
key=$(new_key "$LIMIT")
[[ -n "$COMPARE_LIMIT" ]] && ukey=$(new_key)
size=$(curl -fsS -X POST -H "x-api-key: $access" "$base/api-keys/auth/$key" | wc -c)

bport=$(free_port)
"$work/baseline" -addr "127.0.0.1:$bport" -size "$size" &
pids+=($!)
wait_ready "http://127.0.0.1:$bport/"

cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
LUA

rps() { # url -> requests/s; fails on any non-2xx answer
  local out
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" -H "x-api-key: $access" -s "$work/post.lua" "$1")
  if grep -q 'Non-2xx' <<<"$out"; then echo "non-2xx answers from $1:" >&2; echo "$out" >&2; exit 1; fi
  awk '/Requests\/sec/ {print $2}' <<<"$out"
}

db_kind="embedded SQLite"
[[ -n "${KEYWAY_DATABASE_URL:-}" ]] && db_kind="${KEYWAY_DATABASE_URL%%:*}"
redis_kind="none"
[[ -n "${KEYWAY_REDIS_URL:-}" ]] && redis_kind="yes"
echo "database: $db_kind; redis: $redis_kind; rate limit: ${LIMIT:-none}${COMPARE_LIMIT:+ (against an unlimited key)}"
echo "body size: $size bytes; wrk -t$THREADS -c$CONNS -d$DURATION, $ROUNDS alternating rounds; $(nproc) cores"
# Warm up both (caches, connections, CPU frequency).
DURATION=2s rps "$base/api-keys/auth/$key" >/dev/null
DURATION=2s rps "http://127.0.0.1:$bport/api-keys/auth/x" >/dev/null
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
if [[ -n "$COMPARE_LIMIT" ]]; then
  DURATION=2s rps "$base/api-keys/auth/$ukey" >/dev/null
  u_all=(); l_all=(); b_all=()
  for i in $(seq 1 "$ROUNDS"); do
    u=$(rps "$base/api-keys/auth/$ukey"); u_all+=("$u")
    l=$(rps "$base/api-keys/auth/$key"); l_all+=("$l")
    b=$(rps "http://127.0.0.1:$bport/api-keys/auth/x"); b_all+=("$b")
    awk -v i="$i" -v u="$u" -v l="$l" -v b="$b" 'BEGIN {printf "round %d: unlimited %8.0f  limited %8.0f  baseline %8.0f req/s   limited/unlimited %.3f  limited/baseline %.3f  unlimited/baseline %.3f\n", i, u, l, b, l / u, l / b, u / b}'
  done
  um=$(median "${u_all[@]}"); lm=$(median "${l_all[@]}"); bm=$(median "${b_all[@]}")
  awk -v u="$um" -v l="$lm" -v b="$bm" 'BEGIN {printf "median: unlimited %.0f, limited %.0f, baseline %.0f req/s; limited/unlimited %.3f, limited/baseline %.3f, unlimited/baseline %.3f\n", u, l, b, l / u, l / b, u / b}'
  exit 0
fi
k_all=(); b_all=()
for i in $(seq 1 "$ROUNDS"); do
  k=$(rps "$base/api-keys/auth/$key"); k_all+=("$k")
  b=$(rps "http://127.0.0.1:$bport/api-keys/auth/x"); b_all+=("$b")
  awk -v i="$i" -v k="$k" -v b="$b" 'BEGIN {printf "round %d: keyway %10.0f req/s   baseline %10.0f req/s   ratio %.3f\n", i, k, b, k / b}'
done
km=$(median "${k_all[@]}"); bm=$(median "${b_all[@]}")
awk -v k="$km" -v b="$bm" 'BEGIN {printf "median: keyway %.0f req/s, baseline %.0f req/s, ratio %.3f\n", k, b, k / b}'
