#!/usr/bin/env bash
# MicroVM clone start against boot through Isola (issue 17), interleaved in one run, and the memory a VM holds.
#
#   bench/clone-start.sh       (root; KERNEL=minimal|generic, R=20 VMS=10)
#
# Start: a single-use Go hello (every call a new VM). Each repetition deploys a new version (its environment
# changed), so its first call boots (no template yet) and makes the template in the background; once that is saved,
# the next call resumes a clone of it. curl's total time through the gateway, in ms.
#
# Memory: VMS instances of one version kept live (minInstances), first booted, then clones of that version's
# template (a rollback to a staged version and back restarts them, now from the template). Reported per VM as the
# proportional set size of its QEMU (PSS: shared pages counted once, split between the VMs sharing them) and as the
# drop of the host's MemAvailable against the same instances gone.
set -euo pipefail

source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

KERNEL="${KERNEL:-minimal}"
R="${R:-20}"
VMS="${VMS:-10}"
need curl; need jq
[[ "$(id -u)" == 0 ]] || die "needs root (taps, cgroups)"

bench_init
trap 'bench_cleanup $?' EXIT
results="$(bench_results_dir clone-start-"$KERNEL".csv)"
csv="$results/clone-start-$KERNEL.csv"
BACKEND=microvm isola_start

admin() { curl -fsS --max-time 60 -H "Authorization: Bearer $ISOLA_TOKEN_VALUE" "$@"; }
instances() { admin "$ISOLA_ADMIN_URL/system/instances?function=$1"; }
templates() { find "$BENCH_TMP/state" -path '*/template-*/state' 2>/dev/null | wc -l; }
mem_available_kib() { awk '/^MemAvailable:/ {print $2}' /proc/meminfo; }

# deploy NAME SCALING ENV [QUERY] : Go hello with the given scaling map and one environment variable.
deploy() {
  local fn="$BENCH_TMP/$1-$RANDOM"
  cp -r functions/go/hello-server "$fn"
  printf 'name: %s\nruntime: go\nkernel: %s\nscaling: %s\nlimits: {memory: 256Mi}\nenv: {ROUND: "%s"}\n' \
    "$1" "$KERNEL" "$2" "$3" >"$fn/function.yaml"
  isola_deploy "$1" "$fn" "${4:-}"
}

# gone NAME : waits until NAME has no instance left.
gone() {
  for ((t = 0; t < 1200; t++)); do [[ "$(instances "$1" | jq length)" == 0 ]] && return; sleep 0.1; done
  die "$1 still has instances 120 s later"
}

# templates_at_least N : waits until N templates are saved.
templates_at_least() {
  for ((t = 0; t < 3000; t++)); do (($(templates) >= $1)) && return; sleep 0.1; done
  die "fewer than $1 templates saved 300 s later: $(grep -i template "$BENCH_TMP/isola.log" | tail -n 3)"
}

# call NAME : one call of the single-use NAME in ms, once its VM is gone.
call() {
  local ms
  ms="$(call_ms "$1" 120)" || exit 1 # die ended only the substitution
  gone "$1"
  echo "$ms"
}

{
  echo "date: $(date -u +%FT%TZ)"; echo "host: $(uname -srm), $(nproc) CPUs"
  echo "qemu: $(qemu-system-x86_64 --version | head -n 1)"; echo "kernel: $KERNEL R=$R VMS=$VMS"
} >"$results/clone-start-$KERNEL-meta.txt"

echo "repetition,start,elapsed_ms" >"$csv"
for ((r = 1; r <= R; r++)); do
  deploy start "{singleUse: true}" "$r"
  before="$(templates)"
  boot="$(call start)"
  templates_at_least $((before + 1))
  settle
  clone="$(call start)"
  printf '%s,boot,%s\n%s,clone,%s\n' "$r" "$boot" "$r" "$clone" >>"$csv"
  log "rep $r/$R: boot $boot ms  clone $clone ms"
done

# pss_per_vm NAME : mean PSS (KiB) of NAME's QEMU processes.
pss_per_vm() {
  instances "$1" | jq -r '.[].pid' | while read -r pid; do
    awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup"
  done | awk '{ s += $1; n++ } END { printf "%.0f", n ? s / n : 0 }'
}

# live NAME : waits until NAME has $VMS instances ready for calls.
live() {
  for ((t = 0; t < 3000; t++)); do
    [[ "$(instances "$1" | jq '[.[] | select(.state == "ready")] | length')" \
      == "$VMS" ]] && return
    sleep 0.1
  done
  die "$1 did not reach $VMS live instances: $(instances "$1" | jq -c '[.[].state]')"
}

rollback() {
  admin -o /dev/null -X POST -H 'Content-Type: application/json' -d "{\"version\": $2}" \
    "$ISOLA_ADMIN_URL/system/functions/$1/rollback"
}

settle
idle_kib="$(mem_available_kib)"
deploy mem "{minInstances: $VMS, maxInstances: $VMS}" boot
before="$(templates)"
live mem
templates_at_least $((before + 1))
settle
booted_kib="$(mem_available_kib)"; booted_pss="$(pss_per_vm mem)"
deploy mem "{maxInstances: $VMS}" staged "?activate=false"
rollback mem 2; gone mem
settle
none_kib="$(mem_available_kib)"
rollback mem 1; live mem
settle
cloned_kib="$(mem_available_kib)"; cloned_pss="$(pss_per_vm mem)"

{
  echo
  echo "Start of a single-use Go hello in a microVM ($KERNEL kernel) through Isola, $R repetitions, interleaved (ms)"
  printf '%-6s %5s %9s %9s %9s\n' start n p50 p95 mean
  for kind in boot clone; do
    read -r n p50 p95 mean <<<"$(awk -F, -v k="$kind" '$2 == k { print $3 }' "$csv" | stats)"
    printf '%-6s %5s %9.1f %9.1f %9.1f\n' "$kind" "$n" "$p50" "$p95" "$mean"
    eval "${kind}_p50=$p50 ${kind}_p95=$p95"
  done
  printf 'ratio clone/boot: p50 %.2f  p95 %.2f  (target <= 0.25)\n' \
    "$(awk -v a="$clone_p50" -v b="$boot_p50" 'BEGIN { print a / b }')" \
    "$(awk -v a="$clone_p95" -v b="$boot_p95" 'BEGIN { print a / b }')"
  echo
  echo "Memory per VM, $VMS idle instances of Go hello (256 MiB guests)"
  printf '%-7s PSS %8.1f MiB   MemAvailable drop %8.1f MiB\n' booted "$(awk -v k="$booted_pss" 'BEGIN { print k / 1024 }')" \
    "$(awk -v a="$idle_kib" -v b="$booted_kib" -v n="$VMS" 'BEGIN { print (a - b) / n / 1024 }')"
  printf '%-7s PSS %8.1f MiB   MemAvailable drop %8.1f MiB\n' clones "$(awk -v k="$cloned_pss" 'BEGIN { print k / 1024 }')" \
    "$(awk -v a="$none_kib" -v b="$cloned_kib" -v n="$VMS" 'BEGIN { print (a - b) / n / 1024 }')"
  printf 'ratio clone/booted PSS: %.2f  (target <= 0.5)\n' "$(awk -v a="$cloned_pss" -v b="$booted_pss" 'BEGIN { print a / b }')"
} | tee "$results/clone-start-$KERNEL-summary.txt"
log "results in $results"
