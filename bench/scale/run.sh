#!/usr/bin/env bash
# Verification at scale: KEYS keys seeded through the store's bulk path,
# then wrk with keys drawn at random from all of them against a node and
# against the bare handler (bench/baseline, same body size), alternating
# so both see the same machine noise. Each round starts a fresh node:
# cold run, baseline, a pass over every key to warm the cache, warm run,
# baseline. Then a restart (how soon the node answers, how soon the busy
# set is cached again) and a check that every successful verification
# made reached the analytics. Prints a Markdown table for BENCHMARKS.md.
#
#   bash bench/scale/run.sh                        # SQLite, 100,000 keys, 3 rounds of 10 s
#   KEYS=20000 DURATION=5s ROUNDS=1 bash bench/scale/run.sh
#   KEYWAY_DATABASE_URL='postgres://postgres@127.0.0.1:5432/keyway_dev?sslmode=disable' \
#     KEYWAY_SECRET_KEY=$(head -c 32 /dev/urandom | base64) KEYS=1000000 bash bench/scale/run.sh
#
# With KEYWAY_DATABASE_URL the run creates a fresh database next to the
# one named (its own pg_stat_database row and NOTIFY channel) and drops it
# at exit. KEYWAY_REDIS_URL, if set, is passed to the nodes: give the run a
# Redis database nobody else uses, or their invalidations empty our cache.
# Exit status: non-zero if a node answered non-2xx, a connection broke, or
# the analytics total differs from the successful verifications made.
set -euo pipefail
cd "$(dirname "$0")/../.."

KEYS=${KEYS:-100000}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-1}
BUSY=${BUSY:-100000}
WARM_CONNS=${WARM_CONNS:-32} # concurrency of the warming pass
SLICE=${SLICE:-5}            # seconds of load per slice after the restart
SLICES=${SLICES:-14}         # slices after the restart (about 84 s with the pauses)
KEEP_WORK=${KEEP_WORK:-}     # set to keep the temp dir (logs, wrk output)
# wrk stops sending TAIL seconds before its end (see `scale lua`), so that
# it drops no answer and its counts are exact.
TAIL=1

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
seconds() { case $1 in *m) echo $((${1%m} * 60)) ;; *s) echo "${1%s}" ;; *) echo "$1" ;; esac; }
active=$(seconds "$DURATION")
[[ $active =~ ^[0-9]+$ && $active -gt 0 ]] || { echo "DURATION must be whole seconds or minutes (10s, 2m)" >&2; exit 1; }
((BUSY > KEYS)) && BUSY=$KEYS

work=$(mktemp -d)
node_pid="" base_pid="" pg_name="" admin_url=""
cleanup() {
  # Every process this script started, then what it created.
  for p in $node_pid $base_pid; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n $pg_name ]]; then
    "$work/scale" pgdb -db "$admin_url" -drop "$pg_name" || echo "could not drop database $pg_name" >&2
  fi
  if [[ -n $KEEP_WORK ]]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

go build -o "$work/keyway" ./cmd/keyway
go build -o "$work/baseline" ./bench/baseline
go build -o "$work/scale" ./bench/scale
scale() { "$work/scale" "$@"; }
scale lua >"$work/random.lua"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() {
  for _ in $(seq 1 600); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server at $1 did not come up" >&2; exit 1
}
now_ns() { date +%s%N; }
# A throwaway access key and, unless given, sealing secret, shared by the
# seeder and every node through the environment (never printed).
export KEYWAY_BOOTSTRAP_ACCESS_KEY="live_access_$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
export KEYWAY_SECRET_KEY=${KEYWAY_SECRET_KEY:-$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')}
export KEYWAY_LOG_LEVEL=warn
mkdir -m 700 "$work/data"

if [[ -n ${KEYWAY_DATABASE_URL:-} ]]; then
  admin_url=$KEYWAY_DATABASE_URL
  read -r pg_name pg_url < <(scale pgdb -db "$admin_url")
  export KEYWAY_DATABASE_URL=$pg_url
  db_kind=postgres
  seed_url=$pg_url
else
  db_kind=sqlite
  seed_url="sqlite://$work/data/keyway.db"
fi
has_debug=false
# Through a variable: grep -q would close the pipe early and, under
# pipefail, fail the test with keyway's SIGPIPE.
help=$("$work/keyway" serve --help)
grep -q -- --debug-addr <<<"$help" && has_debug=true

redact() { sed -E 's#(//[^:@/]*):[^@/]*@#\1:…@#' <<<"$1"; }
command_line="KEYS=$KEYS ROUNDS=$ROUNDS DURATION=$DURATION CONNS=$CONNS THREADS=$THREADS BUSY=$BUSY"
[[ $db_kind == postgres ]] && command_line+=" KEYWAY_DATABASE_URL='$(redact "$admin_url")' KEYWAY_SECRET_KEY=…"
[[ -n ${KEYWAY_REDIS_URL:-} ]] && command_line+=" KEYWAY_REDIS_URL='$(redact "$KEYWAY_REDIS_URL")'"
command_line+=" bash bench/scale/run.sh"
# Which code was measured (read-only git).
code="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
[[ -n $(git status --porcelain 2>/dev/null) ]] && code+=" plus uncommitted changes"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
started_at=$(date +%s)

echo "seeding $KEYS keys ($db_kind)…" >&2
seed_out=$(scale seed -db "$seed_url" -n "$KEYS")
eval "$seed_out" # ACCESS_KEY, ACCOUNT_ID, PROJECT_ID, SEED_SECONDS

failures=()
client_ok=0  # 2xx verifications the bench got from nodes, every run counted
node_valid=0 # the same as counted by the nodes (keyway_verifications_total)
nodes=0

# start_node starts a fresh node; sets node_pid, node_url, debug_url,
# node_t0 (spawn time, ns) and node_log.
start_node() {
  local port args
  port=$(free_port)
  nodes=$((nodes + 1))
  node_log="$work/node$nodes.log"
  args=(serve --addr "127.0.0.1:$port" --data-dir "$work/data")
  debug_url=""
  if $has_debug; then
    local dport
    dport=$(free_port)
    args+=(--debug-addr "127.0.0.1:$dport")
    debug_url="http://127.0.0.1:$dport"
  fi
  node_url="http://127.0.0.1:$port"
  node_t0=$(now_ns)
  "$work/keyway" "${args[@]}" 2>"$node_log" &
  node_pid=$!
}

# stop_node sends SIGTERM and waits for the clean stop, which writes the
# pending usage; sets stop_secs and flush_errs (flush failures logged).
stop_node() {
  local t0 rc=0
  t0=$(now_ns)
  kill -TERM "$node_pid"
  for _ in $(seq 1 3000); do kill -0 "$node_pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$node_pid" 2>/dev/null; then
    failures+=("node $nodes did not stop within 5 minutes of SIGTERM; killed")
    kill -KILL "$node_pid"
  fi
  wait "$node_pid" || rc=$?
  node_pid=""
  stop_secs=$(awk -v a="$t0" -v b="$(now_ns)" 'BEGIN {printf "%.2f", (b - a) / 1e9}')
  ((rc == 0)) || failures+=("node $nodes exited with status $rc after SIGTERM")
  flush_errs=$(grep -c 'flush usage' "$node_log" || true)
  if ((flush_errs > 0)); then
    failures+=("node $nodes logged $flush_errs usage flush failures, e.g.: $(grep -m1 'flush usage' "$node_log" | cut -c1-400)")
  fi
}

metric() { scale metrics -url "$node_url" "$@"; }
# settle_flushes waits (up to 10 minutes) until no usage flush has had
# anything to write for 12 s, longer than the 10 s flush interval.
settle_flushes() {
  local last now
  last=$(metric 'keyway_usage_flushes_total{result="ok"}' 'keyway_usage_flushes_total{result="failed"}')
  for _ in $(seq 1 50); do
    sleep 12
    now=$(metric 'keyway_usage_flushes_total{result="ok"}' 'keyway_usage_flushes_total{result="failed"}')
    [[ $now == "$last" ]] && return 0
    last=$now
  done
  failures+=("usage flushes never settled before the warm run")
}
cache_counts() { metric 'keyway_cache_lookups_total{cache="api_key",result="hit"}' 'keyway_cache_lookups_total{cache="api_key",result="miss"}'; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$node_pid/status"; }
# Live heap: HeapAlloc after a forced GC, from the pprof listener. Without
# one, an estimate (marked ≈): the GC's next heap goal is the heap live at
# the last GC times 1 + GOGC/100 (plus a share of stacks and globals, about
# the same on the fresh and the warm node), and the warming pass makes
# garbage enough that the last GC is recent.
heap_src="HeapAlloc after a forced GC (pprof)"
$has_debug || heap_src="≈: go_memstats_next_gc_bytes / (1 + go_gc_gogc_percent/100), the live heap at the last GC"
heap_bytes() {
  if $has_debug; then scale heap -url "$debug_url"; return; fi
  local next gogc
  read -r next gogc < <(metric go_memstats_next_gc_bytes go_gc_gogc_percent)
  awk -v n="$next" -v g="$gogc" 'BEGIN {printf "%.0f", n / (1 + g / 100)}'
}
# pg_stat_database.sessions: backends report up to about a second late.
pg_sessions() { sleep 1.2; scale pgsessions -db "$KEYWAY_DATABASE_URL"; }
sessions_delta() { echo $(($2 - $1 - 1)); } # minus the first read's own session

# run_wrk url lo count active: wrk with key(i), i uniform in [lo, lo+count),
# for active seconds; sets w_req (answers), w_bad (non-2xx), w_sock
# (connect/read/write errors), w_timeouts and w_rps.
run_wrk() {
  local out
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"$(($4 + TAIL))s" -H "x-api-key: $KEYWAY_BOOTSTRAP_ACCESS_KEY" \
    -s "$work/random.lua" "$1" -- "$2" "$3" "$4")
  printf '%s\n%s\n' "== $1 [$2, $2+$3) ${4}s" "$out" >>"$work/wrk.log"
  w_req=$(awk '/ requests in / {print $1}' <<<"$out")
  w_bad=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  w_bad=${w_bad:-0}
  # wrk prints this line only when there were any.
  read -r w_sock w_timeouts < <(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8, $10}' <<<"$out") || true
  w_sock=${w_sock:-0} w_timeouts=${w_timeouts:-0}
  w_rps=$(awk -v n="$w_req" -v s="$4" 'BEGIN {printf "%.0f", n / s}')
}

# node_run label lo count active: run_wrk against the node, plus the
# cache hit rate and (PostgreSQL, unless NO_SESSIONS is set) new sessions
# during the run; sets r_hit, r_sess. Every 2xx is added to client_ok; anything else is a failure.
node_run() {
  local h0 m0 h1 m1 s0=0 s1=0 sessions=false
  [[ $db_kind == postgres && -z ${NO_SESSIONS:-} ]] && sessions=true
  if $sessions; then s0=$(pg_sessions); fi
  read -r h0 m0 < <(cache_counts)
  run_wrk "$node_url/" "$2" "$3" "$4"
  read -r h1 m1 < <(cache_counts)
  r_sess="n/a"
  if $sessions; then s1=$(pg_sessions); r_sess=$(sessions_delta "$s0" "$s1"); fi
  r_hit=$(awk -v h=$((h1 - h0)) -v m=$((m1 - m0)) 'BEGIN {printf "%.1f", h + m ? 100 * h / (h + m) : 0}')
  client_ok=$((client_ok + w_req - w_bad))
  if ((w_bad > 0 || w_sock > 0)); then
    failures+=("node $nodes, $1: $w_bad non-2xx answers and $w_sock socket errors of $w_req")
  fi
}

cached_entries() { # the cache's own gauge, or the keys warmed (marked *)
  local e
  e=$(metric 'keyway_cache_entries{cache="api_key"}')
  if [[ $e == n/a ]]; then echo "$KEYS*"; else echo "$e"; fi
}

median() { # of the numeric arguments ("n/a" and markers ignored)
  printf '%s\n' "$@" | sed 's/[*≈]//g' | { grep -E '^-?[0-9.]+$' || true; } | sort -g |
    awk '{a[NR]=$1} END {if (!NR) print "n/a"; else print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'
}
mib() { awk -v k="$1" 'BEGIN {printf "%.0f", k / 1024}'; }
fixed() { [[ $2 == n/a ]] && { echo n/a; return; }; printf "%.${1}f" "$2"; } # decimals value
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
fmt_int() { # 1234567 -> 1,234,567; anything else as it is
  if [[ $1 =~ ^-?[0-9.]+$ ]]; then printf '%.0f' "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; else echo "$1"; fi
}

rows=()
declare -a c_k c_b c_r c_h w_k w_b w_r w_h warm_s rss_m hpk
size=""
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round: fresh node…" >&2
  start_node
  wait_ready "$node_url/readyz"
  heap0=$(heap_bytes)
  rss0=$(rss_kib)
  if [[ -z $size ]]; then
    # The baseline answers a body as long as a real verification answer.
    size=$(curl -fsS -X POST -H "x-api-key: $KEYWAY_BOOTSTRAP_ACCESS_KEY" "$node_url/api-keys/auth/$(scale key 0)" | wc -c)
    client_ok=$((client_ok + 1))
    bport=$(free_port)
    "$work/baseline" -addr "127.0.0.1:$bport" -size "$size" &
    base_pid=$!
    base_url="http://127.0.0.1:$bport/"
    wait_ready "$base_url"
  fi

  # Every measured run starts once the node's usage flushes are idle: a
  # run's counts are flushed after it (its flush shares the two cores),
  # and the next run, the baseline's included, must not pay for them.
  node_run cold 0 "$KEYS" "$active"
  ck=$w_rps ch=$r_hit cs=$r_sess
  settle_flushes
  run_wrk "$base_url" 0 "$KEYS" "$active"
  cb=$w_rps

  # Warm: every key once, so the cache holds all of them.
  s0=0
  [[ $db_kind == postgres ]] && s0=$(pg_sessions)
  read -r wok wbad werr wsecs < <(scale warm -url "$node_url" -n "$KEYS" -c "$WARM_CONNS")
  ws="n/a"
  [[ $db_kind == postgres ]] && ws=$(sessions_delta "$s0" "$(pg_sessions)")
  client_ok=$((client_ok + wok))
  ((wbad + werr == 0)) || failures+=("node $nodes, warming: $wbad non-2xx answers and $werr transport errors of $KEYS")

  # The warming pass leaves a backlog of first uses to flush (a million
  # keys take about a minute): "warm" is measured once it is written, as a
  # node in service would be. Memory too: pending counts are not cache.
  settle_start=$(now_ns)
  settle_flushes
  settled=$(awk -v a="$settle_start" -v b="$(now_ns)" 'BEGIN {printf "%.0f", (b - a) / 1e9}')
  entries=$(cached_entries)
  heap1=$(heap_bytes)
  rss1=$(rss_kib)
  hk=$(awk -v a="$heap0" -v b="$heap1" -v e="${entries%\*}" 'BEGIN {if (e > 0) printf "%.0f", (b - a) / e; else print "n/a"}')
  $has_debug || hk="≈$hk"

  node_run warm 0 "$KEYS" "$active"
  wk=$w_rps wh=$r_hit wss=$r_sess
  settle_flushes
  run_wrk "$base_url" 0 "$KEYS" "$active"
  wb=$w_rps

  node_valid=$((node_valid + $(metric 'keyway_verifications_total{outcome="valid"}')))
  read -r fcount fsum fmax < <(scale histogram -url "$node_url" keyway_usage_flush_duration_seconds)
  flush="n/a"
  [[ $fcount != n/a ]] && flush=$(awk -v n="$fcount" -v s="$fsum" -v m="$fmax" 'BEGIN {printf "%d, mean %.0f ms, max ≤ %g s", n, n ? 1000 * s / n : 0, m}')
  if ((round < ROUNDS)); then stop_node; else flush_errs=$(grep -c 'flush usage' "$node_log" || true); fi

  c_k+=("$ck") c_b+=("$cb") c_r+=("$(ratio "$ck" "$cb")") c_h+=("$ch")
  w_k+=("$wk") w_b+=("$wb") w_r+=("$(ratio "$wk" "$wb")") w_h+=("$wh")
  warm_s+=("$wsecs") rss_m+=("$(mib "$rss1")") hpk+=("$hk")
  rows+=("| $round | $(fmt_int "$ck") | $(fmt_int "$cb") | ${c_r[-1]} | $ch | $(fmt_int "$wk") | $(fmt_int "$wb") | ${w_r[-1]} | $wh | $wsecs s ($(awk -v n="$KEYS" -v s="$wsecs" 'BEGIN {printf "%.0f", n / s}')/s) | $entries | $(mib "$rss0") → ${rss_m[-1]} | $hk | $cs / $ws / $wss | $flush | $flush_errs |")
  echo "round $round: cold ${c_r[-1]} (hit $ch %), warm ${w_r[-1]} (hit $wh %), warming $wsecs s, flush backlog written in ≤ $settled s, RSS ${rss_m[-1]} MiB, heap/key $hk B, entries $entries" >&2
done

# Restart: the warm node stops cleanly, a new one starts on the same data.
echo "restart…" >&2
stop_node
warm_stop_secs=$stop_secs
start_node
read -r t_ready t_first probe_ok < <(scale probe -url "$node_url" -since "$node_t0" -key $((BUSY / 2)))
client_ok=$((client_ok + probe_ok))
slices=() t99="not within $SLICES slices"
# Sessions once over all slices: each read waits a second, which would
# stretch the pauses between slices and so the time to warm.
rs0=0
[[ $db_kind == postgres ]] && rs0=$(pg_sessions)
for s in $(seq 1 "$SLICES"); do
  t_start=$(now_ns)
  NO_SESSIONS=1 node_run "restart slice $s" 0 "$BUSY" "$SLICE"
  at=$(awk -v a="$node_t0" -v b="$t_start" -v d="$SLICE" 'BEGIN {printf "%.0f", (b - a) / 1e9 + d}')
  slices+=("${at}s: $r_hit % ($(fmt_int "$w_rps")/s)")
  if [[ $t99 == not* ]] && awk -v h="$r_hit" 'BEGIN {exit !(h >= 99)}'; then t99="$at s"; fi
done
restart_sessions="n/a"
[[ $db_kind == postgres ]] && restart_sessions=$(sessions_delta "$rs0" "$(pg_sessions)")
node_valid=$((node_valid + $(metric 'keyway_verifications_total{outcome="valid"}')))
stop_node
restart_stop_secs=$stop_secs

# Analytics: every successful verification made must be counted. All
# nodes stopped cleanly (which flushes); a new one reads the totals.
start_node
wait_ready "$node_url/readyz"
read -r a_ok a_failed a_limited < <(scale totals -url "$node_url" -project "$PROJECT_ID" -from "$started_at")
stop_node
analytics="PASS"
if ((a_ok != client_ok)); then
  analytics="FAIL"
  failures+=("analytics: $a_ok successful verifications counted, $client_ok made ($((client_ok - a_ok)) missing)")
fi

kind="embedded SQLite"
[[ $db_kind == postgres ]] && kind="PostgreSQL $(psql "$KEYWAY_DATABASE_URL" -Atc 'show server_version' 2>/dev/null || true)"
[[ -n ${KEYWAY_REDIS_URL:-} ]] && kind+=" + Redis"
cat <<EOF

## Verification over $(fmt_int "$KEYS") keys ($kind)

\`\`\`sh
$command_line
\`\`\`

Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); wrk, nodes, baseline$([[ $db_kind == postgres ]] && echo " and PostgreSQL") on the same cores (load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end: shared with other work, compare ratios within a run). $(go env GOVERSION), $(date -u +%Y-%m-%d), code $code.
Seeded $(fmt_int "$KEYS") keys through ImportAPIKeys in $SEED_SECONDS s ($(awk -v n="$KEYS" -v s="$SEED_SECONDS" 'BEGIN {printf "%.0f", n / s}') keys/s). wrk -t$THREADS -c$CONNS, ${active} s per run, POST /api-keys/auth/<key> with keys uniform over all $(fmt_int "$KEYS"); baseline body $size bytes. Warming: one pass over every key, $WARM_CONNS concurrent; every measured run (baselines included) starts once the node's usage flushes are idle (no flush with anything to write for 12 s), so no run pays for the one before it.

| round | cold keyway req/s | cold baseline req/s | cold ratio | cold hit % | warm keyway req/s | warm baseline req/s | warm ratio | warm hit % | warming | cached entries | RSS MiB fresh → warm | heap/key B | new DB sessions cold / warming / warm | usage flushes (n, mean, max) | flush errors |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
$(printf '%s\n' "${rows[@]}")
| **median** | $(fmt_int "$(median "${c_k[@]}")") | $(fmt_int "$(median "${c_b[@]}")") | **$(fixed 3 "$(median "${c_r[@]}")")** | $(fixed 1 "$(median "${c_h[@]}")") | $(fmt_int "$(median "${w_k[@]}")") | $(fmt_int "$(median "${w_b[@]}")") | **$(fixed 3 "$(median "${w_r[@]}")")** | $(fixed 1 "$(median "${w_h[@]}")") | $(median "${warm_s[@]}") s | | $(median "${rss_m[@]}") | $(median "${hpk[@]}") | | | |

Heap/key: ($heap_src when warm − the same on the fresh node) / cached entries$([[ ${entries} == *\* ]] && echo "; entries marked * are the keys warmed (the node exports no keyway_cache_entries)"). Sessions: pg_stat_database.sessions opened during the run (n/a on SQLite). Targets: warm ratio ≥ 0.8 ($(awk -v r="$(median "${w_r[@]}")" 'BEGIN {print (r >= 0.8 ? "met" : "NOT met")}')), cold ≥ 0.3 ($(awk -v r="$(median "${c_r[@]}")" 'BEGIN {print (r >= 0.3 ? "met" : "NOT met")}')).

Restart on $(fmt_int "$KEYS") keys: the warm node stopped (SIGTERM, pending usage written) in $warm_stop_secs s; the new one answered /readyz $t_ready s and its first verification $t_first s after it was started (target ≤ 1 s). Then ${SLICE}-s slices of random keys over the busy set of the first $(fmt_int "$BUSY") (a ${TAIL}-s pause after each); hit rate during each slice, at the seconds since start when it ended: $(j=$(printf '%s; ' "${slices[@]}"); echo "${j%; }"). Busy set ≥ 99 % cached: $t99 (target ≤ 60 s). New DB sessions during the slices: $restart_sessions. That node stopped in $restart_stop_secs s.

Analytics (GET /analytics/project-totals after every node stopped cleanly): **$analytics** — successful verifications answered 2xx to the bench: $(fmt_int "$client_ok"); counted by the nodes (keyway_verifications_total{outcome="valid"}): $(fmt_int "$node_valid"); in the analytics: $(fmt_int "$a_ok") (failed $a_failed, rate-limited $a_limited).
EOF
if ((${#failures[@]} > 0)); then
  printf '\nFAILURES:\n' >&2
  printf -- '- %s\n' "${failures[@]}" >&2
  exit 1
fi
