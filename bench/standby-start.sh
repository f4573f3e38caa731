#!/usr/bin/env bash
# Standby start against cold start through Isola (issue 17), interleaved in one run: the same hello twice, both
# single-use (every call a new instance), one of them with `scaling: {standby: 1}` (a container created ahead of
# need, started by the call). curl's total time through the gateway, in ms.
#
#   RUNTIME=runc|crun|runsc bench/standby-start.sh       (root)
#   R=20 WARMUP=3 LANGS="go node" PAUSE=0.1 BURST=20 BURST_R=3 JIT_WARMUP=10s
#
# The gateway is a long-running JVM: before the starts, JIT_WARMUP of calls (hey, c=4), then 2,000 calls on a
# connection each, to a warm Go hello compile the path every call takes, as in a server that has served for a while
# (0 skips it; without it, that path ran interpreted and took 2-3 ms of each start's time). Both kinds of start
# share that path, so it lowers both by the same milliseconds; the per-start path (dispatch, launch, readiness)
# stays as a fresh server runs it, since a few starts compile none of it.
#
# Then, for Go hello: a burst of BURST concurrent calls to a single-use function with `standby: BURST` against the
# same burst cold (BURST_R times each, alternated; hey's time until the last answer), and the host memory one standby
# sandbox holds (the drop of MemAvailable with BURST of them on standby, against the same version without).
#
# Before each measurement the host is quiet: the last single-use instance is gone, the standby function has its
# replacement sandbox made, the spare networks are refilled and the CPU is 90 % idle (lib.sh's settle), so that
# neither side pays for the other's teardown or the standby's replacement.
set -euo pipefail

source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

RUNTIME="${RUNTIME:-runc}"
R="${R:-20}"
WARMUP="${WARMUP:-3}"
PAUSE="${PAUSE:-0.1}"
LANGS="${LANGS:-go node}"
BURST="${BURST:-20}"
BURST_R="${BURST_R:-3}"
JIT_WARMUP="${JIT_WARMUP:-10s}"
# The server stops its BURST standby sandboxes before it exits, side by side (runsc's 20: about 5 s on 2 cores; one
# after another they took 42 s), and a server killed before then leaves them to its state directory's next run.
export BENCH_STOP_GRACE="${BENCH_STOP_GRACE:-120}"
need curl; need jq; need hey; need "$RUNTIME"
[[ "$(id -u)" == 0 ]] || die "needs root (namespaces, veths, cgroups)"

bench_init
trap 'bench_cleanup $?' EXIT
results="$(bench_results_dir standby-start-"$RUNTIME".csv)"
csv="$results/standby-start-$RUNTIME.csv"
BACKEND="$RUNTIME" isola_start

admin_get() { curl -fsS --max-time 30 -H "Authorization: Bearer $ISOLA_TOKEN_VALUE" "$ISOLA_ADMIN_URL$1"; }
fn_dir() { case "$1" in go) echo functions/go/hello-server ;; node) echo functions/node/hello-server ;; *) die "unknown language $1" ;; esac; }
fn_entry() { case "$1" in go) echo . ;; node) echo index.js ;; esac; }

for lang in $LANGS; do
  for kind in cold standby; do
    fn="$BENCH_TMP/$kind-$lang"
    cp -r "$(fn_dir "$lang")" "$fn"
    extra=""; [[ "$kind" == standby ]] && extra=", standby: 1"
    printf 'name: %s-%s\nruntime: %s\nentry: %s\nscaling: {singleUse: true%s}\n' "$kind" "$lang" "$lang" \
      "$(fn_entry "$lang")" "$extra" >"$fn/function.yaml"
    isola_deploy "$kind-$lang" "$fn"
  done
done

# standby_quiet FUNCTION [N] : waits until FUNCTION's instances are exactly N standby sandboxes (default 1: the last
# single-use instance gone, its replacement made), the spare networks are refilled and the host is idle.
standby_quiet() {
  local t states want
  want="$(printf 'standby,%.0s' $(seq "${2:-1}"))"; want="${want%,}"
  for ((t = 0; t < 3000; t++)); do
    states="$(admin_get "/system/instances?function=$1" | jq -r '[.[].state] | join(",")')"
    [[ "$states" == "$want" ]] && break
    sleep 0.1
  done
  [[ "$states" == "$want" ]] || die "$1 has instances '$states' 300 s later, not ${2:-1} standby sandboxes"
  spares_settled
}

# call KIND LANG : one call, curl's total time in ms; then waits for the host to be quiet again.
call() {
  local ms fn="$1-$2"
  ms="$(call_ms "$fn")" || exit 1 # die ended only the substitution
  if [[ "$1" == standby ]]; then standby_quiet "$fn"; else isola_quiet "$fn"; fi
  echo "$ms"
}

{
  echo "date: $(date -u +%FT%TZ)"; echo "host: $(uname -srm), $(nproc) CPUs"
  echo "runtime: $("$RUNTIME" --version 2>&1 | head -n 1)"; echo "R=$R WARMUP=$WARMUP PAUSE=$PAUSE LANGS=$LANGS JIT_WARMUP=$JIT_WARMUP"
} >"$results/standby-start-$RUNTIME-meta.txt"

if [[ "$JIT_WARMUP" != 0 ]]; then
  warm="$BENCH_TMP/warm-hello"
  cp -r functions/go/hello-server "$warm"
  printf 'name: warm-hello\nruntime: go\nentry: .\n' >"$warm/function.yaml"
  isola_deploy warm-hello "$warm"
  log "JIT warm-up: $JIT_WARMUP of calls to warm-hello"
  hey -z "$JIT_WARMUP" -c 4 "$ISOLA_URL/function/warm-hello" >/dev/null
  hey -n 2000 -c 2 -disable-keepalive "$ISOLA_URL/function/warm-hello" >/dev/null # a connection each, as curl's
  # Removed, so that its idle timeout does not stop it in the middle of the measurements.
  curl -fsS -o /dev/null --max-time 60 -X DELETE -H "Authorization: Bearer $ISOLA_TOKEN_VALUE" \
    "$ISOLA_ADMIN_URL/system/functions/warm-hello"
  isola_quiet warm-hello
fi

echo "language,repetition,start,elapsed_ms" >"$csv"
for lang in $LANGS; do
  standby_quiet "standby-$lang"
  for ((w = 1; w <= WARMUP; w++)); do call cold "$lang" >/dev/null; call standby "$lang" >/dev/null; done
  for ((r = 1; r <= R; r++)); do
    order=(cold standby); ((r % 2)) || order=(standby cold)
    line=""
    for kind in "${order[@]}"; do
      ms="$(call "$kind" "$lang")"
      echo "$lang,$r,$kind,$ms" >>"$csv"
      line+="$kind $ms ms  "
      sleep "$PAUSE"
    done
    log "$lang rep $r/$R: $line"
  done
done

{
  echo
  echo "Start of a single-use hello in $RUNTIME through Isola, $R repetitions each, interleaved (ms)"
  printf '%-6s %-26s %5s %9s %9s %9s\n' lang start n p50 p95 mean
  for lang in $LANGS; do
    read -r cn cp50 cp95 cmean <<<"$(awk -F, -v l="$lang" '$1 == l && $3 == "cold" { print $4 }' "$csv" | stats)"
    read -r sn sp50 sp95 smean <<<"$(awk -F, -v l="$lang" '$1 == l && $3 == "standby" { print $4 }' "$csv" | stats)"
    printf '%-6s %-26s %5s %9.3f %9.3f %9.3f\n' "$lang" "cold" "$cn" "$cp50" "$cp95" "$cmean"
    printf '%-6s %-26s %5s %9.3f %9.3f %9.3f\n' "$lang" "standby (scaling.standby)" "$sn" "$sp50" "$sp95" "$smean"
    printf '%-6s ratio standby/cold: p50 %.2f  p95 %.2f  (target for Go: p50 <= 0.2 on runc and crun, 0.3 on runsc)\n' \
      "$lang" \
      "$(awk -v a="$sp50" -v b="$cp50" 'BEGIN { print a / b }')" \
      "$(awk -v a="$sp95" -v b="$cp95" 'BEGIN { print a / b }')"
  done
} | tee "$results/standby-start-$RUNTIME-summary.txt"
# deploy_hello NAME SCALING [QUERY] : Go hello as NAME with the given scaling map.
deploy_hello() {
  local fn="$BENCH_TMP/$1-$RANDOM"
  cp -r functions/go/hello-server "$fn"
  printf 'name: %s\nruntime: go\nscaling: %s\n' "$1" "$2" >"$fn/function.yaml"
  isola_deploy "$1" "$fn" "${3:-}"
}

# burst FUNCTION : BURST concurrent calls; seconds until the last answer (hey's total), all of them 200.
burst() {
  local out
  out="$(hey -n "$BURST" -c "$BURST" -t 120 "$ISOLA_URL/function/$1")"
  grep -q "\[200\][[:space:]]*$BURST responses" <<<"$out" || die "burst to $1 was not $BURST times 200: $out"
  awk '/Total:/ { printf "%.3f", $2 * 1000; exit }' <<<"$out"
}

mem_available_kib() { awk '/^MemAvailable:/ {print $2}' /proc/meminfo; }

deploy_hello burst-cold "{singleUse: true, maxInstances: $BURST}"
deploy_hello burst-standby "{singleUse: true, maxInstances: $BURST, standby: $BURST}"
# Version 2, the same code without standby, staged now: activating it later removes the standby sandboxes without a
# build between the two memory readings (a build's page cache moved MemAvailable by more than 20 sandboxes).
deploy_hello burst-standby "{singleUse: true, maxInstances: $BURST}" "?activate=false"
echo "kind,repetition,burst_ms" >"$results/standby-burst-$RUNTIME.csv"
for ((r = 1; r <= BURST_R; r++)); do
  standby_quiet burst-standby "$BURST"
  isola_quiet burst-cold
  ms="$(burst burst-cold)"; echo "cold,$r,$ms" >>"$results/standby-burst-$RUNTIME.csv"; line="cold $ms ms  "
  isola_quiet burst-cold
  standby_quiet burst-standby "$BURST"
  ms="$(burst burst-standby)"; echo "standby,$r,$ms" >>"$results/standby-burst-$RUNTIME.csv"; line+="standby $ms ms"
  log "burst of $BURST, rep $r/$BURST_R: $line"
done

# Memory: BURST standby sandboxes, then the staged version 2 without standby (which removes them).
standby_quiet burst-standby "$BURST"
with_kib="$(mem_available_kib)"
curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $ISOLA_TOKEN_VALUE" -H 'Content-Type: application/json' \
  -d '{"version": 2}' "$ISOLA_ADMIN_URL/system/functions/burst-standby/rollback" || die "activating version 2 failed"
for ((t = 0; t < 600; t++)); do
  [[ "$(admin_get "/system/instances?function=burst-standby" | jq length)" == 0 ]] && break
  sleep 0.1
done
spares_settled
without_kib="$(mem_available_kib)"
per_mib="$(awk -v a="$without_kib" -v b="$with_kib" -v n="$BURST" 'BEGIN { printf "%.2f", (a - b) / n / 1024 }')"

{
  echo
  echo "Burst of $BURST concurrent single-use calls of Go hello in $RUNTIME, $BURST_R repetitions (ms until the last)"
  for kind in cold standby; do
    printf '%-8s median %9.1f ms\n' "$kind" \
      "$(awk -F, -v k="$kind" '$1 == k { print $3 }' "$results/standby-burst-$RUNTIME.csv" | median)"
  done
  echo "Host memory held by one standby sandbox (MemAvailable, $BURST of them): $per_mib MiB"
} | tee -a "$results/standby-start-$RUNTIME-summary.txt"
log "results in $results"
