#!/usr/bin/env bash
# container-burst.sh — n concurrent cold starts of Go hello in containers through Isola against the same burst of
# containers started by hand with the runtime, in the same run (issue 3's burst figure).
#
#   by hand: n copies of what Isola does per instance, all at once: a network namespace with a veth (two
#            `ip -batch`), `<runtime> run` of the bundle Isola writes (bench/oci-bundle.py), all started and
#            polled every 1 ms by one bench/coldstart-probe -burst until each answers 200; a container's
#            completion is its elapsed time from the burst's start.
#   Isola:   n concurrent GET /function/hello-burst from zero instances (concurrency 1 per instance, so n cold
#            starts; every answer must say X-Isola-Cold-Start: true), all sent and timed by one
#            bench/coldstart-probe -calls process (like the hand side's single poller: n curl processes would
#            charge Isola for n process starts on a 2-core host). The instances stay up until the burst is over
#            and are then scaled to zero by the idle timeout (IDLE), unmeasured, as the hand side removes its
#            containers only after all have answered. SINGLE_USE=1 instead stops each instance right after its call,
#            which puts the first instances' teardown inside the burst (a cost the hand side does not pay).
# Per burst: mean and p95 of the n completions. Methods alternate first/second every other repetition.
#
# Usage: RUNTIME=runc|crun|runsc bench/container-burst.sh   (root; needs go, curl, ip, the runtime, python3)
# Env:   SIZES="10 20 30 40 50 60 70 80 90 100"  R=3  PAUSE=1  WARMUP_BURSTS=10  WARMUP_SIZE=30  RESULTS_DIR=...  KEEP_TMP=1
#        IDLE=4s (runsc: 12s; longer than the slowest burst)  SINGLE_USE=0
# Target (issue 3): Isola/hand mean and p95 completion <= 1.15.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

RUNTIME="${RUNTIME:-runc}"
SIZES="${SIZES:-10 20 30 40 50 60 70 80 90 100}"
R="${R:-3}"
PAUSE="${PAUSE:-1}"
WARMUP_BURSTS="${WARMUP_BURSTS:-10}"
WARMUP_SIZE="${WARMUP_SIZE:-30}"
SINGLE_USE="${SINGLE_USE:-0}"
if [[ "${RUNTIME:-runc}" == runsc ]]; then IDLE="${IDLE:-12s}"; else IDLE="${IDLE:-4s}"; fi
need go; need curl; need tar; need ip; need python3; need "$RUNTIME"
[[ "$(id -u)" == 0 ]] || die "needs root (namespaces, veths, cgroups)"

HAND_ROOT=/run/isola-bench/burst-$RUNTIME
max_n=0; for n in $SIZES; do ((n > max_n)) && max_n=$n; done
((max_n <= 250)) || die "sizes above 250 do not fit the by-hand address plan"

hand_cleanup() {
  local i rc=0
  oci_delete_all || rc=1
  for ((i = 1; i <= max_n; i++)); do echo "netns del ibb$i"; done | ip -force -batch - 2>/dev/null || true
  return "$rc"
}
cleanup_all() {
  local rc=$?
  hand_cleanup || true
  rmdir /sys/fs/cgroup/*/isola-bench/burst* /sys/fs/cgroup/*/isola-bench "$HAND_ROOT" 2>/dev/null || true
  bench_cleanup "$rc"
}

bench_init
trap cleanup_all EXIT
oci_runtime_cmd "$RUNTIME" "$HAND_ROOT"
results="$(bench_results_dir container-burst-"$RUNTIME".csv)"
csv="$results/container-burst-$RUNTIME.csv"

log "building bench/coldstart-probe"
(cd bench/coldstart-probe && CGO_ENABLED=0 go build -o "$BENCH_TMP/coldstart-probe" .)
fn="$BENCH_TMP/hello-burst"
cp -r functions/go/hello-server "$fn"
if [[ "$SINGLE_USE" == 1 ]]; then
  scaling="{singleUse: true, maxInstances: 250}"; cold_check=()
else
  scaling="{concurrency: 1, maxInstances: 250, idleTimeout: $IDLE}"; cold_check=(-cold)
fi
printf 'name: hello-burst\nruntime: go\nentry: .\nscaling: %s\nlimits: {timeout: 120s, memory: 64Mi}\n' "$scaling" \
  >"$fn/function.yaml"
BACKEND="$RUNTIME" isola_start
isola_deploy hello-burst "$fn"
isola_bundle_config hello-template "$BENCH_TMP/template"
for ((i = 1; i <= max_n; i++)); do
  b="$BENCH_TMP/bundle$i"
  python3 bench/oci-bundle.py "$BENCH_TMP/template" "$b" "ibb$i" "/isola-bench/burst$i"
  # Instance i: 10.202.i.0/30, host .1, container .2.
  cat >"$BENCH_TMP/hand$i.sh" <<SH
#!/bin/sh
ip -batch - <<IP || exit 1
netns add ibb$i
link add ibv$i type veth peer name eth0 netns ibb$i
addr add 10.202.$i.1/30 dev ibv$i
link set ibv$i up
IP
ip -n ibb$i -batch - <<IP || exit 1
addr add 10.202.$i.2/30 dev eth0
link set eth0 up
link set lo up
IP
ip neigh flush dev ibv$i
exec ${runtime_cmd[*]@Q} run --bundle $b ibb$i
SH
  chmod +x "$BENCH_TMP/hand$i.sh"
done

# hand_burst N : prints the N completion times (ms), one per line. One coldstart-probe starts all N and polls
# them all (every 1 ms each), as one gateway waits for Isola's N.
hand_burst() {
  local n="$1" i
  hand_cleanup || die "the by-hand containers of the last burst could not be deleted"
  for ((i = 1; i <= n; i++)); do echo "http://10.202.$i.2:8080/ $BENCH_TMP/hand$i.sh"; done |
    "$BENCH_TMP/coldstart-probe" -burst -interval 1ms -timeout 120s >"$BENCH_TMP/hand.out" \
      2>>"$BENCH_TMP/probe.log" || die "a hand start failed: $(tail -n 3 "$BENCH_TMP/probe.log")"
  hand_cleanup || die "the by-hand containers of this burst could not be deleted"
  settle
  awk '{ printf "%.3f\n", $1 / 1000 }' "$BENCH_TMP/hand.out"
}

# isola_burst N : prints the N completion times (ms) of N concurrent calls, then waits (unmeasured) until Isola is
# quiet again, as hand_burst cleans up before it returns. A burst in which a call arrived only after another call's
# instance had answered (and was taken warm) is not N cold starts: it is repeated, and counted in warm-retries.
isola_burst() {
  local attempt rc
  for ((attempt = 1; ; attempt++)); do
    rc=0
    "$BENCH_TMP/coldstart-probe" -calls "$1" "${cold_check[@]}" -url "$ISOLA_URL/function/hello-burst" \
      -timeout 180s >"$BENCH_TMP/isola.out" 2>>"$BENCH_TMP/probe.log" || rc=$?
    ((rc == 0)) && break
    ((rc == 3 && attempt < 5)) || die "a burst call through Isola failed: $(tail -n 1 "$BENCH_TMP/probe.log")"
    echo "$1" >>"$BENCH_TMP/warm-retries"
    isola_quiet hello-burst
  done
  awk '{ printf "%.3f\n", $1 / 1000 }' "$BENCH_TMP/isola.out"
  isola_quiet hello-burst
}

{
  echo "date: $(date -u +%FT%TZ)"; echo "host: $(uname -srm), $(nproc) CPUs"
  echo "runtime: $("$RUNTIME" --version 2>&1 | head -n 1)"; echo "SIZES=$SIZES R=$R PAUSE=$PAUSE SINGLE_USE=$SINGLE_USE IDLE=$IDLE WARMUP=${WARMUP_BURSTS}x$WARMUP_SIZE"
} >"$results/container-burst-$RUNTIME-meta.txt"

# Warm-up. Isola is a long-running JVM: 300 starts first get its start path compiled, as in a platform that has
# served for a while. Without them the first sizes measured the JIT compiling during the burst, on the same cores;
# after 50 (5 bursts of 10), a profile of measured runsc bursts of 40 still had the JIT compilers at 27 % of the
# JVM's CPU and 29 % of the request threads' time in the interpreter (each method of the start path runs once per
# start, and the JIT compiles a method after a few hundred calls).
for ((i = 0; i < WARMUP_BURSTS; i++)); do isola_burst "$WARMUP_SIZE" >/dev/null; done
hand_burst 2 >/dev/null
echo "size,repetition,method,mean_ms,p95_ms,max_ms" >"$csv"
for n in $SIZES; do
  for ((r = 1; r <= R; r++)); do
    order=(hand isola); ((r % 2)) || order=(isola hand)
    line=""
    for m in "${order[@]}"; do
      if [[ "$m" == hand ]]; then hand_burst "$n" >"$BENCH_TMP/times"; else isola_burst "$n" >"$BENCH_TMP/times"; fi
      read -r _ _ p95 mean <<<"$(stats <"$BENCH_TMP/times")"
      max="$(sort -g "$BENCH_TMP/times" | tail -n 1)"
      echo "$n,$r,$m,$mean,$p95,$max" >>"$csv"
      line+="$m mean $mean p95 $p95  "
      sleep "$PAUSE"
    done
    log "n=$n rep $r/$R: $line"
  done
done

{
  echo
  echo "Burst of n concurrent cold starts of Go hello in $RUNTIME, $R repetitions per n (ms; mean over repetitions)"
  printf '%5s %12s %12s %12s %12s %9s %9s\n' n hand_mean isola_mean hand_p95 isola_p95 mean_ratio p95_ratio
  for n in $SIZES; do
    awk -F, -v n="$n" '$1 == n { s[$3] += $4; p[$3] += $5; c[$3]++ }
      END { hm = s["hand"] / c["hand"]; im = s["isola"] / c["isola"]; hp = p["hand"] / c["hand"]; ip = p["isola"] / c["isola"]
            printf "%5d %12.1f %12.1f %12.1f %12.1f %9.2f %9.2f\n", n, hm, im, hp, ip, im / hm, ip / hp }' "$csv"
  done
  echo "(target, issue 3: isola/hand mean and p95 ratios <= 1.15)"
} | tee "$results/container-burst-$RUNTIME-summary.txt"
if [[ -f "$BENCH_TMP/warm-retries" ]]; then
  log "bursts repeated because a call was answered warm: $(sort -n "$BENCH_TMP/warm-retries" | uniq -c |
    awk '{ printf "%sn=%s x%s", sep, $2, $1; sep = ", " }')"
fi
log "results in $results"
