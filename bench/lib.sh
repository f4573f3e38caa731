# shellcheck shell=bash
# Helpers shared by the bench/ scripts; sourced, never run. Nothing here starts a process by itself.
#
# Every long-running process a script starts goes through bench_spawn, which puts it in a new session
# (so its group can be signalled as a whole) and records its PID; bench_cleanup, installed as the EXIT
# trap by bench_init, stops exactly those groups and removes the temp dir. No pkill, no killall.

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck disable=SC2034 # used by the scripts that source this file
REPO_ROOT="$(cd "$BENCH_DIR/.." && pwd)"
BENCH_TMP=""
BENCH_LAST_PID=""
_bench_pids=()
_bench_fg=""

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is required${2:+ ($2)}"; }

bench_init() {
  BENCH_TMP="$(mktemp -d -t isola-bench.XXXXXX)"
  # Searchable by others: the process backend runs instances as their own uids, which must reach the state
  # directory's sibling of artefact copies through this one.
  chmod 711 "$BENCH_TMP"
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# bench_spawn LOGFILE CMD ARGS... : starts CMD in its own session, output to LOGFILE; PID in BENCH_LAST_PID.
bench_spawn() {
  local logfile="$1"; shift
  setsid "$@" >"$logfile" 2>&1 </dev/null &
  BENCH_LAST_PID=$!
  _bench_pids+=("$BENCH_LAST_PID")
}

# bench_stop PID : TERM, then KILL after BENCH_STOP_GRACE seconds (default 10; an Isola stopping many sandboxes
# needs more). The group is signalled only if PID is still our own child
# and leads its group (setsid in a non-interactive shell execs in place, so it does): a PID that has
# exited and been reused by an unrelated process fails the parent check and is left alone.
bench_stop() {
  local pid="$1" ppid pgid target sig
  for sig in TERM KILL; do
    ppid="$(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ')" || return 0
    [[ "$ppid" == "$$" ]] || return 0
    pgid="$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')" || return 0
    target="$pid"; [[ "$pgid" == "$pid" ]] && target="-$pid"
    kill "-$sig" -- "$target" 2>/dev/null || true
    for _ in $(seq $((${BENCH_STOP_GRACE:-10} * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if ! kill -0 "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null || true; return 0; fi
    log "pid $pid ignored SIG$sig"
  done
}

# bench_fg CMD ARGS... : runs CMD as if in the foreground, but so that INT/TERM run the traps at once
# (bash defers traps until a foreground child exits; `wait` is interruptible). Cleanup stops it.
bench_fg() {
  local rc=0
  "$@" &
  _bench_fg=$!
  wait "$_bench_fg" || rc=$?
  _bench_fg=""
  return "$rc"
}

# bench_cleanup [RC] : stops what bench_spawn started, removes the temp dir, exits with RC (default: $?). Scripts
# with their own EXIT trap pass their status explicitly: under `set -e` a failing command inside a trap ends the
# shell at once, so `(exit "$rc")` before this call would skip the cleanup.
bench_cleanup() {
  local rc=${1:-$?} i
  trap - EXIT
  [[ -z "$_bench_fg" ]] || bench_stop "$_bench_fg"
  for ((i = ${#_bench_pids[@]} - 1; i >= 0; i--)); do bench_stop "${_bench_pids[i]}"; done
  if [[ -n "${_bench_mntns:-}" ]]; then
    umount -l "$_bench_mntns/ns" "$_bench_mntns" 2>/dev/null || true
    rm -rf "$_bench_mntns"
  fi
  if [[ -n "$BENCH_TMP" ]]; then
    if [[ $rc -ne 0 && -z "${KEEP_TMP:-}" ]]; then
      log "logs of the failed run (set KEEP_TMP=1 to keep $BENCH_TMP):"
      tail -n 20 "$BENCH_TMP"/*.log >&2 2>/dev/null || true
    fi
    if [[ -n "${KEEP_TMP:-}" ]]; then log "kept $BENCH_TMP"; else rm -rf "$BENCH_TMP"; fi
  fi
  exit "$rc"
}

# bench_free_port : a TCP port on 127.0.0.1 nobody listens on, below the default ephemeral range.
bench_free_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  die "no free port found"
}

# bench_wait_http URL SECONDS [PID] : until URL answers 2xx; fails early if PID has exited.
bench_wait_http() {
  local url="$1" secs="$2" pid="${3:-}" i
  for ((i = 0; i < secs * 20; i++)); do
    curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then die "process $pid exited while waiting for $url"; fi
    sleep 0.05
  done
  die "$url did not answer within ${secs}s"
}

# bench_results_dir NAME : a new bench/results/<UTC timestamp>/ (or $RESULTS_DIR), never an old one.
bench_results_dir() {
  local dir="${RESULTS_DIR:-$BENCH_DIR/results/$(date -u +%Y%m%dT%H%M%SZ)}"
  mkdir -p "$dir"
  [[ -e "$dir/$1" ]] && die "$dir/$1 exists; results are never overwritten"
  echo "$dir"
}

# --- Isola -------------------------------------------------------------------------------------------

ISOLA="${ISOLA:-./isola}"
ISOLA_URL=""
ISOLA_ADMIN_URL=""
ISOLA_TOKEN_VALUE=""

# isola_start [NAME] : runs `isola serve` on a free port with a temp state dir ($BENCH_TMP/NAME, default "state";
# its log NAME.log) and backend $BACKEND (default process); sets ISOLA_URL (functions), ISOLA_ADMIN_URL (admin API,
# /metrics), ISOLA_TOKEN_VALUE. The operator running a benchmark allows the process backend (the study's baseline).
# ISOLA_ENV: an array of VAR=value the server runs with (e.g. ISOLA_JAVA_OPTS=..., ISOLA_GATEWAY_SPIN_MICROS=0).
ISOLA_ENV=()
isola_start() {
  local port admin_port state name="${1:-state}"
  port="$(bench_free_port)"
  admin_port="$(bench_free_port)"
  while [[ "$admin_port" == "$port" ]]; do admin_port="$(bench_free_port)"; done
  state="$BENCH_TMP/$name"
  mkdir -p "$state"
  # STATE_CACHE: a persistent build cache (Go builds, guest kernels) shared by runs instead of a cold one.
  [[ -z "${STATE_CACHE:-}" ]] || { mkdir -p "$STATE_CACHE"; ln -sfn "$(cd "$STATE_CACHE" && pwd)" "$state/cache"; }
  # Relative to the current directory, which the scripts set to the repo root (the launcher expects it).
  [[ -x "$ISOLA" ]] || command -v "$ISOLA" >/dev/null || die "$ISOLA not found or not executable (set ISOLA=...)"
  log "starting $ISOLA serve --port $port --state-dir $state --backend ${BACKEND:-process}"
  local logfile="$BENCH_TMP/isola.log"
  [[ "$name" == state ]] || logfile="$BENCH_TMP/$name.log"
  bench_spawn "$logfile" env "${ISOLA_ENV[@]}" "$ISOLA" serve --port "$port" --admin-port "$admin_port" --state-dir "$state" \
    --backend "${BACKEND:-process}" --isolation-floor none
  ISOLA_URL="http://127.0.0.1:$port"
  ISOLA_ADMIN_URL="http://127.0.0.1:$admin_port"
  bench_wait_http "$ISOLA_URL/healthz" "${ISOLA_START_TIMEOUT:-90}" "$BENCH_LAST_PID"
  for _ in $(seq 100); do [[ -s "$state/admin-token" ]] && break; sleep 0.05; done
  [[ -s "$state/admin-token" ]] || die "no admin token in $state/admin-token"
  ISOLA_TOKEN_VALUE="$(cat "$state/admin-token")"
  # The admin API opens last, once the stored functions are served again: wait for it too.
  for _ in $(seq 600); do
    curl -fsS -o /dev/null --max-time 1 -H "Authorization: Bearer $ISOLA_TOKEN_VALUE" \
      "$ISOLA_ADMIN_URL/system/functions" 2>/dev/null && break
    sleep 0.05
  done
  log "isola is up at $ISOLA_URL"
}

# isola_deploy NAME DIR : PUT a tar.gz of DIR to /system/functions/NAME (a deploy builds the function).
isola_deploy() {
  local name="$1" dir="$2" query="${3:-}" code
  log "deploying $name from $dir${query:+ ($query)}"
  code="$(tar czf - -C "$dir" . | curl -sS -o "$BENCH_TMP/deploy-$name.out" -w '%{http_code}' \
    --max-time "${ISOLA_DEPLOY_TIMEOUT:-300}" -X PUT \
    -H "Authorization: Bearer $ISOLA_TOKEN_VALUE" -H 'Content-Type: application/gzip' \
    --data-binary @- "$ISOLA_ADMIN_URL/system/functions/$name$query")"
  [[ "$code" == 2* ]] || die "deploy of $name answered $code: $(head -c 2000 "$BENCH_TMP/deploy-$name.out")"
}

# isola_bundle_config NAME DIR [FUNCTION_DIR MANIFEST] : deploys FUNCTION_DIR (default Go hello-server; MANIFEST: its
# function.yaml lines after the name, "runtime: go\nentry: ." by default) as NAME, keeping its instance warm, calls
# it once and copies the config.json Isola wrote for that container instance to DIR/config.json and the artefact it
# mounts at /fn to DIR/fn, then removes NAME again. By-hand baselines start that very bundle
# (bench/oci-bundle.py DIR ...), so they differ from Isola in nothing but who starts them.
isola_bundle_config() {
  local name="$1" dir="$2" src="${3:-functions/go/hello-server}" manifest="${4:-runtime: go\nentry: .}" id config
  cp -r "$src" "$BENCH_TMP/$name"
  printf "name: %s\n$manifest\n" "$name" >"$BENCH_TMP/$name/function.yaml"
  isola_deploy "$name" "$BENCH_TMP/$name"
  curl -fsS -o /dev/null --max-time 60 "$ISOLA_URL/function/$name" || die "first call of $name failed"
  read -r _ id <<<"$(isola_ready_endpoint "$name")"
  [[ -n "$id" ]] || die "$name has no ready instance"
  config="$BENCH_TMP/state/run/$id/config.json"
  [[ -s "$config" ]] || die "instance $id of $name has no OCI bundle"
  mkdir -p "$dir"
  cp "$config" "$dir/config.json"
  cp -r "$(python3 -c 'import json, sys
print(next(m["source"] for m in json.load(open(sys.argv[1]))["mounts"] if m["destination"] == "/fn"))' "$config")" \
    "$dir/fn"
  curl -fsS -o /dev/null --max-time 60 -X DELETE -H "Authorization: Bearer $ISOLA_TOKEN_VALUE" \
    "$ISOLA_ADMIN_URL/system/functions/$name" || die "delete of $name failed"
}

# settle : waits (up to 60 s) until the host is idle again: at least 90 % of its CPU time idle over half a second.
# Removing containers and network namespaces goes on in the kernel (and in gVisor's exiting sandboxes) after the
# commands that remove them return; without this the next measurement shared the host with that, and which side
# paid depended on who went second (runsc bursts, n >= 40: Isola's right after a by-hand burst were 10-40 % slower).
settle() {
  local t i total before after
  for ((t = 0; t < 120; t++)); do
    read -ra before < /proc/stat; sleep 0.5; read -ra after < /proc/stat
    total=0
    for ((i = 1; i < ${#before[@]}; i++)); do total=$((total + after[i] - before[i])); done
    # idle + iowait: both are a CPU with nothing to run (some guests account an idle CPU as iowait)
    ((total > 0 && (after[4] - before[4] + after[5] - before[5]) * 100 >= total * 90)) && return 0
  done
  return 0
}

# isola_quiet FUNCTION : waits until Isola has stopped every container of FUNCTION on $RUNTIME (single use, or its
# idle timeout), has refilled its spare networks (their marker count holds still for 1 s) and the host is idle.
# Otherwise the next measurement, Isola's or the by-hand one, would share the host with container teardowns and
# namespace creations, work the by-hand side does only after its own measurement and outside it.
isola_quiet() {
  local t
  for ((t = 0; t < 3000; t++)); do
    compgen -G "/run/isola/$RUNTIME/$1.*" >/dev/null || break
    sleep 0.1
  done
  ((t < 3000)) || die "Isola still has $1 containers 300 s later"
  spares_settled
}

# spares_settled : waits until Isola's spare networks are refilled (their marker count holds still for 1 s), then
# for the host to be idle (settle).
spares_settled() {
  local t stable=0 count last=-1
  for ((t = 0; t < 600 && stable < 5; t++)); do
    count="$(find "$BENCH_TMP/state/spare-networks" -type f 2>/dev/null | wc -l)"
    if [[ "$count" == "$last" ]]; then stable=$((stable + 1)); else stable=0; last="$count"; fi
    sleep 0.2
  done
  settle
}

# oci_delete_all : force-deletes every container under runtime_cmd's state root (the script's own), retrying for up
# to 10 s; fails if any is left. A gVisor sandbox killed in a burst of 100 once outlived its `delete --force`, and
# the next burst's `run` of that name failed ("container already exists").
oci_delete_all() {
  local t ids id
  for ((t = 0; t < 50; t++)); do
    ids="$("${runtime_cmd[@]}" list --quiet 2>/dev/null || true)"
    [[ -n "$ids" ]] || return 0
    ((t == 0)) || sleep 0.2
    for id in $ids; do "${runtime_cmd[@]}" delete --force "$id" >/dev/null 2>&1 || true; done
  done
  log "containers left after deleting them for 10 s: $ids"
  return 1
}

# oci_runtime_cmd RUNTIME ROOT : sets the array runtime_cmd to RUNTIME with its state under ROOT, run by hand as
# Isola runs it: runsc with the ptrace platform and its own network stack (netstack) in the instance's namespace,
# in a mount namespace with an empty tmpfs over /proc/sys/net (this runsc takes any namespace that shows
# net.core.rmem_default for the host's, and refuses netstack there); crun on hybrid cgroup hosts (which it refuses)
# in a mount namespace without the cgroup2 mount. Each namespace is made once (as Isola's RuntimeMountNamespace: a
# slave of the host's, /run/netns shared so that later netns mounts reach it) and entered with nsenter;
# bench_cleanup removes it.
oci_runtime_cmd() {
  local change=()
  runtime_cmd=("$1" --root "$2")
  if [[ "$1" == runsc ]]; then
    runtime_cmd+=(--platform=ptrace --network=sandbox)
    change=(mount -t tmpfs -o size=4k,mode=0555 isola-no-net-sysctls /proc/sys/net)
  fi
  # cgroupfs files report size 0: test the content, not -s.
  if [[ "$1" == crun && -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]]; then
    change=(umount /sys/fs/cgroup/unified)
  fi
  ((${#change[@]})) || return 0
  _bench_mntns="$2.mntns"
  mkdir -p /run/netns "$_bench_mntns"
  mount --make-shared /run/netns 2>/dev/null ||
    { mount --bind /run/netns /run/netns && mount --make-shared /run/netns; }
  mount --bind "$_bench_mntns" "$_bench_mntns" && mount --make-private "$_bench_mntns"
  : >"$_bench_mntns/ns"
  unshare --mount="$_bench_mntns/ns" --propagation slave "${change[@]}" ||
    die "could not make a mount namespace for $1 in $_bench_mntns"
  runtime_cmd=(nsenter --mount="$_bench_mntns/ns" "${runtime_cmd[@]}")
}

# isola_describe NAME : the describe JSON on stdout.
isola_describe() {
  curl -fsS --max-time 10 -H "Authorization: Bearer $ISOLA_TOKEN_VALUE" "$ISOLA_ADMIN_URL/system/functions/$1"
}

# isola_ready_endpoint NAME : "host:port id" of the first instance in state "ready".
isola_ready_endpoint() {
  local filter='.instances[]? | select(.state == "ready") | "\(.endpoint) \(.id)"'
  if command -v jq >/dev/null 2>&1; then
    isola_describe "$1" | jq -r "$filter" | head -n 1
  else
    isola_describe "$1" | python3 -c '
import json, sys
for i in json.load(sys.stdin).get("instances", []):
    if i.get("state") == "ready":
        print(i["endpoint"], i["id"]); break'
  fi
}

# --- statistics --------------------------------------------------------------------------------------

# call_ms FUNCTION [MAX_SECONDS] : one GET /function/FUNCTION through the gateway; curl's total time in ms. Dies
# unless the answer is a 200.
call_ms() {
  local out code secs
  out="$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' --max-time "${2:-60}" "$ISOLA_URL/function/$1")" ||
    die "request to /function/$1 failed"
  read -r code secs <<<"$out"
  [[ "$code" == 200 ]] || die "/function/$1 answered $code"
  awk -v s="$secs" 'BEGIN { printf "%.3f", s * 1000 }'
}

# parse_hey FILE -> "requests rps p50_ms p99_ms errors". requests counts what hey sent (it sends
# c * floor(n / c), not n); errors = non-200 answers + transport errors.
parse_hey() {
  awk '
    /Requests\/sec:/ { rps = $2 }
    $1 == "50%" && $2 == "in" { p50 = $3 * 1000 }
    $1 == "99%" && $2 == "in" { p99 = $3 * 1000 }
    /^Status code distribution:/ { sec = "status"; next }
    /^Error distribution:/ { sec = "error"; next }
    sec == "status" && $1 ~ /^\[[0-9]+\]$/ { all += $2; if ($1 == "[200]") ok += $2 }
    sec == "error" && $1 ~ /^\[[0-9]+\]$/ { v = $1; gsub(/[][]/, "", v); all += v }
    END {
      if (rps == "") exit 1
      printf "%d %s %s %s %d\n", all, rps, (p50 == "" ? "nan" : sprintf("%.3f", p50)),
        (p99 == "" ? "nan" : sprintf("%.3f", p99)), all - ok
    }' "$1"
}

# stats : numbers on stdin -> "n p50 p95 mean" (nearest-rank percentiles).
stats() {
  sort -g | awk '{ v[NR] = $1; s += $1 }
    function pct(p,  r) { r = int(p * NR + 0.999999); if (r < 1) r = 1; return v[r] }
    END { if (NR == 0) { print "0 nan nan nan"; exit }
          printf "%d %.3f %.3f %.3f\n", NR, pct(0.50), pct(0.95), s / NR }'
}

# median : numbers on stdin -> their median (mean of the middle two for an even count).
median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan";
    else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
