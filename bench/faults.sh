#!/usr/bin/env bash
# faults.sh — how Isola takes the faults an edge node meets, as an operator would provoke them:
#   0. load from LOAD_CLIENTS (default 4,096) concurrent clients, 10 calls each: the status counts and errors; then
#      SIGKILL of an instance while 32 clients call its function: calls that did not get a 200;
#   1. a function printing FLOOD_BYTES (default 3 GiB) with no newline, while /healthz and another function are timed
#      against their idle latency, the JVM's resident memory and the instance's console file are watched;
#   2. SIGTERM with 16 slow calls in flight: how many are answered 200, how long the stop takes, the exit status;
#   3. SIGKILL of the server under load, then a restart on the same state: functions kept, sandboxes of the dead run
#      reaped, time until it serves again;
#   4. a hung runtime: runc replaced (first on the server's PATH) by a script that never exits on `create` and ignores
#      SIGTERM; a call starts an instance that hangs there, then the function is DELETEd, and again with the server
#      stopped by SIGTERM instead: how long DELETE and the stop take, what is left (hung runtimes, containers). Needs
#      root and runc; skipped otherwise.
#
# Usage: bench/faults.sh   (from anywhere; needs ./isola built, hey, curl, jq)
# Env:   BACKEND=process  FLOOD_BYTES=3221225472  ISOLA=./isola  RESULTS_DIR=bench/results/<utc>  KEEP_TMP=1
#        HUNG_COMMANDS="create" (the runtime subcommands that hang in 4; e.g. "create delete kill" for more)
#        LOAD_CLIENTS=4096
#        SKIP="" (sections to leave out: load, flood, sigterm, sigkill, hung; e.g. "load flood sigterm sigkill")
# Targets: the platform keeps serving during the flood with bounded memory and disk; 16 of 16 answered; exit 0.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

BACKEND="${BACKEND:-process}"
FLOOD_BYTES="${FLOOD_BYTES:-3221225472}"
export BENCH_STOP_GRACE="${BENCH_STOP_GRACE:-120}"
need hey; need curl; need jq

bench_init
results="$(bench_results_dir faults.csv)"
csv="$results/faults.csv"
echo "fault,measure,value" >"$csv"
record() { echo "$1,$2,$3" >>"$csv"; log "$1: $2 = $3"; }
timed() { curl -sS -o /dev/null -w '%{time_total}' --max-time 30 "$@" || echo 30; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

probe="$BENCH_TMP/probe"
cp -r src/test/resources/functions/probe "$probe"
deploy_probe() {
  { printf 'name: %s\nruntime: go\n' "$1"; [[ -z "${2:-}" ]] || echo "$2"; } >"$probe/function.yaml"
  isola_deploy "$1" "$probe"
}
admin_get() { curl -fsS --max-time 30 -H "Authorization: Bearer $ISOLA_TOKEN_VALUE" "$ISOLA_ADMIN_URL$1"; }

isola_start
jvm="$BENCH_LAST_PID"
deploy_probe printer
deploy_probe other
deploy_probe slow 'scaling: {concurrency: 16}'
for f in printer other slow; do curl -fsS -o /dev/null --max-time 60 "$ISOLA_URL/function/$f/" || die "$f did not answer"; done

skip() { [[ " ${SKIP:-} " == *" $1 "* ]]; }
# hey's "Status code distribution" and error lines as "200:40960 errors:0".
statuses() {
  awk '/^Error distribution/ { e = 1 }
       /^[ \t]+\[[0-9]+\]/ { if (e) { errs += substr($1, 2) + 0 } else { gsub(/[][]/, "", $1); s = s $1 ":" $2 " " } }
       END { printf "%serrors:%d", s, errs + 0 }' "$1"
}

# --- 0. load from thousands of clients; an instance killed under load ---------------------------------------
if ! skip load; then
LOAD_CLIENTS="${LOAD_CLIENTS:-4096}"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
log "load: $LOAD_CLIENTS clients, 10 calls each"
hey -n "$((LOAD_CLIENTS * 10))" -c "$LOAD_CLIENTS" -t 120 "$ISOLA_URL/function/other/" >"$BENCH_TMP/hey-load.txt" 2>&1 || true
record load "statuses_of_$((LOAD_CLIENTS * 10))" "$(statuses "$BENCH_TMP/hey-load.txt")"
log "an instance of 'other' killed under load (32 clients)"
hey -z 6s -c 32 "$ISOLA_URL/function/other/" >"$BENCH_TMP/hey-instance-kill.txt" 2>&1 &
load=$!
sleep 2
victim="$(admin_get "/system/instances" | jq -r '[.[] | select(.function == "other") | .pid // empty][0]')"
if [[ -n "$victim" && "$victim" != null ]]; then kill -KILL "$victim"; else victim=none; fi
wait "$load" || true
record instance_kill killed_pid "$victim"
record instance_kill "statuses" "$(statuses "$BENCH_TMP/hey-instance-kill.txt")"
fi

# --- 1. a flood without newline ----------------------------------------------------------------------------
if ! skip flood; then
idle_h="$(timed "$ISOLA_URL/healthz")"; idle_w="$(timed "$ISOLA_URL/function/other/")"
rss0="$(rss_kib "$jvm")"
log "flood: $FLOOD_BYTES bytes with no newline"
start="$(date +%s.%N)"
curl -sS -o "$BENCH_TMP/flood.out" --max-time 1800 "$ISOLA_URL/function/printer/print?n=$FLOOD_BYTES" &
flood=$!
worst_h=0 worst_w=0 max_rss="$rss0" max_console=0
while kill -0 "$flood" 2>/dev/null; do
  h="$(timed "$ISOLA_URL/healthz")"; w="$(timed "$ISOLA_URL/function/other/")"
  worst_h="$(awk -v a="$worst_h" -v b="$h" 'BEGIN { print (b > a ? b : a) }')"
  worst_w="$(awk -v a="$worst_w" -v b="$w" 'BEGIN { print (b > a ? b : a) }')"
  r="$(rss_kib "$jvm")"; ((r > max_rss)) && max_rss="$r"
  c="$(find "$BENCH_TMP/state/run" -name console -printf '%s\n' 2>/dev/null | sort -n | tail -n 1)"
  ((${c:-0} > max_console)) && max_console="${c:-0}"
  sleep 0.5
done
wait "$flood" || true
record flood seconds "$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')"
record flood answer "$(cat "$BENCH_TMP/flood.out")"
record flood healthz_worst_over_idle "$(awk -v a="$worst_h" -v b="$idle_h" 'BEGIN { printf "%.1f", a / b }')"
record flood other_worst_over_idle "$(awk -v a="$worst_w" -v b="$idle_w" 'BEGIN { printf "%.1f", a / b }')"
record flood jvm_rss_growth_mib "$(( (max_rss - rss0) / 1024 ))"
record flood console_file_max_mib "$((max_console / 1048576))"
record flood log_says "$(admin_get "/system/functions/printer/logs?tail=3" | grep -o '\[line cut: [0-9]* more bytes dropped\]\|\[isola: [^]]*\]' \
  | head -n 1 | tr ',' ' ')"
fi

# --- 2. SIGTERM with 16 slow calls in flight --------------------------------------------------------------
if ! skip sigterm; then
log "SIGTERM with 16 calls of 3 s in flight"
pids=()
for i in $(seq 16); do
  curl -sS -o /dev/null -w '%{http_code}\n' --max-time 60 "$ISOLA_URL/function/slow/sleep?ms=3000" \
    >"$BENCH_TMP/slow-$i.code" 2>/dev/null &
  pids+=($!)
done
sleep 1
stop_start="$(date +%s.%N)"
kill -TERM "$jvm"
status=0
wait "$jvm" || status=$?
record sigterm seconds_to_exit "$(awk -v s="$stop_start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')"
record sigterm exit_status "$status"
for p in "${pids[@]}"; do wait "$p" || true; done
record sigterm answered_200_of_16 "$(cat "$BENCH_TMP"/slow-*.code | grep -c '^200$' || true)"
else
  bench_stop "$jvm"
fi

# --- 3. SIGKILL under load, restart ------------------------------------------------------------------------
if ! skip sigkill; then
isola_start
jvm="$BENCH_LAST_PID"
hey -z 5s -c 32 "$ISOLA_URL/function/other/" >"$BENCH_TMP/hey-kill.txt" 2>&1 &
load=$!
sleep 3
mapfile -t old_pids < <(admin_get "/system/instances" | jq -r '.[].pid // empty')
kill -KILL "$jvm"
wait "$jvm" 2>/dev/null || true
wait "$load" || true
restart="$(date +%s.%N)"
isola_start
until curl -fsS -o /dev/null --max-time 5 "$ISOLA_URL/function/other/"; do sleep 0.05; done
record sigkill seconds_to_serving_again "$(awk -v s="$restart" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')"
record sigkill functions_kept "$(admin_get "/system/functions" | jq length)"
left=0
for p in "${old_pids[@]}"; do kill -0 "$p" 2>/dev/null && left=$((left + 1)); done
record sigkill sandboxes_of_dead_run_still_running "$left of ${#old_pids[@]}"
bench_stop "$BENCH_LAST_PID"
fi

# --- 4. a hung runtime -------------------------------------------------------------------------------------
real_runc="$(command -v runc || true)"
if skip hung; then
  :
elif [[ "$(id -u)" -ne 0 || -z "$real_runc" ]]; then
  log "hung runtime: skipped (needs root and runc)"
  record hung_runtime skipped "needs root and runc"
else
  hung="$BENCH_TMP/hung-runtime"
  mkdir -p "$hung"
  # The fake runc: the subcommands in HUNG_COMMANDS never exit (and SIGTERM does not end them); the rest are runc's.
  cat >"$hung/runc" <<WRAPPER
#!/bin/sh
for arg in "\$@"; do
  case " ${HUNG_COMMANDS:-create} " in *" \$arg "*)
    echo \$\$ >>"$hung/pids"; trap '' TERM INT; exec sleep 2147483647 ;;
  esac
done
exec "$real_runc" "\$@"
WRAPPER
  chmod +x "$hung/runc"
  : >"$hung/pids"
  hung_alive() { local n=0 p; while read -r p; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done <"$hung/pids"; echo "$n"; }
  # await_hung N : until N runtimes have hung (the Nth start is stuck in the fake runc).
  await_hung() { for _ in $(seq 600); do (($(wc -l <"$hung/pids") >= $1)) && return 0; sleep 0.1; done; die "no hung runtime"; }
  containers_left() { runc --root /run/isola/runc list -q 2>/dev/null | grep -c . || true; }
  since() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

  PATH="$hung:$PATH" BACKEND=runc isola_start
  jvm="$BENCH_LAST_PID"
  deploy_probe stuck
  curl -sS -o /dev/null -w '%{http_code}' --max-time 300 "$ISOLA_URL/function/stuck/" >"$BENCH_TMP/stuck.code" 2>/dev/null &
  call=$!
  await_hung 1
  start="$(date +%s.%N)"
  code="$(curl -sS -o "$BENCH_TMP/delete.out" -w '%{http_code}' --max-time 300 -X DELETE \
    -H "Authorization: Bearer $ISOLA_TOKEN_VALUE" "$ISOLA_ADMIN_URL/system/functions/stuck" || echo 000)"
  record hung_runtime delete_seconds "$(since "$start")"
  record hung_runtime delete_status "$code"
  wait "$call" || true
  record hung_runtime call_status "$(cat "$BENCH_TMP/stuck.code")"
  record hung_runtime seconds_call_to_answer "$(since "$start")"
  record hung_runtime hung_runtimes_left_after_delete "$(hung_alive)"

  deploy_probe stuck
  curl -sS -o /dev/null -w '%{http_code}' --max-time 300 "$ISOLA_URL/function/stuck/" >"$BENCH_TMP/stuck.code" 2>/dev/null &
  call=$!
  await_hung 2
  start="$(date +%s.%N)"
  kill -TERM "$jvm"
  status=0
  wait "$jvm" || status=$?
  record hung_runtime sigterm_seconds_to_exit "$(since "$start")"
  record hung_runtime sigterm_exit_status "$status"
  wait "$call" || true
  record hung_runtime call_status_at_stop "$(cat "$BENCH_TMP/stuck.code")"
  record hung_runtime hung_runtimes_left_after_stop "$(hung_alive)"
  record hung_runtime runc_containers_left "$(containers_left)"
fi

column -s, -t "$csv"
log "results in $csv"
