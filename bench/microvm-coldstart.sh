#!/usr/bin/env bash
# microvm-coldstart.sh — the microvm backend with Isola's minimal guest kernel against Debian's generic cloud
# kernel, in one run: cold start of Go and Node.js hello (single-use, so every call boots a VM), then host
# memory per idle VM (MemAvailable drop and QEMU RSS) for 1..N idle instances.
#
#   cold start: GET /function/<fn> on a single-use function, curl's time_total; the four variants (kernel x
#               runtime) rotate within each repetition so that drift hits all alike.
#   idle memory: per kernel and runtime, hello with minInstances N: after all N are ready and a settle pause,
#               MemAvailable before minus after (page cache dropped first), and the VMs' QEMU RSS from
#               /proc/<pid>/status (the pids from Isola's VM cgroups). Repeated for each TB size (MiB of TCG
#               translation cache; ignored under KVM).
# The accelerator used is printed and recorded; TCG figures are not claims about KVM.
#
# Usage: bench/microvm-coldstart.sh   (root; needs ./isola, qemu-system-x86_64, curl, tar)
# Env:   R=10  IDLE_N="1 4 8"  TB_SIZES="32 128"  SETTLE=5  RESULTS_DIR=...  KEEP_TMP=1
#        STATE_CACHE=target/test-build-cache (persistent cache holding the built minimal kernel and Go builds)
# Target (issue 4): minimal/generic cold start p50 <= 0.4 under TCG.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

R="${R:-10}"
IDLE_N="${IDLE_N:-1 4 8}"
TB_SIZES="${TB_SIZES:-32 128}"
SETTLE="${SETTLE:-5}"
export STATE_CACHE="${STATE_CACHE:-$REPO_ROOT/target/test-build-cache}"
need curl; need tar; need qemu-system-x86_64
[[ "$(id -u)" == 0 ]] || die "needs root (taps, cgroups)"

bench_init
results="$(bench_results_dir microvm-coldstart.csv)"
csv="$results/microvm-coldstart.csv"
mem_csv="$results/microvm-idle-memory.csv"

# fn_dir NAME SRC KERNEL SCALING : a copy of SRC deployed as NAME on microvm with KERNEL.
fn_dir() {
  local name="$1" src="$2" kernel="$3" scaling="$4" dir="$BENCH_TMP/$1" runtime=go entry=.
  cp -r "$src" "$dir"
  if [[ -f "$dir/index.js" ]]; then runtime=node; entry=index.js; fi
  printf 'name: %s\nruntime: %s\nentry: %s\nbackend: microvm\nkernel: %s\nscaling: %s\nlimits: {memory: 512Mi, timeout: 60s}\n' \
    "$name" "$runtime" "$entry" "$kernel" "$scaling" >"$dir/function.yaml"
  echo "$dir"
}

coldstart_ms() { call_ms "$1" 120; }

mem_available_kib() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }

# qemu_rss_kib : summed VmRSS of the QEMU processes in Isola's VM cgroups.
qemu_rss_kib() {
  local total=0 pid rss
  for pid in $(cat /sys/fs/cgroup/memory/isola/vm/*/cgroup.procs /sys/fs/cgroup/isola/vm/*/cgroup.procs 2>/dev/null); do
    rss="$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)"
    total=$((total + ${rss:-0}))
  done
  echo "$total"
}

ready_count() {
  isola_describe "$1" | python3 -c 'import json,sys; print(sum(1 for i in json.load(sys.stdin).get("instances",[]) if i.get("state")=="ready"))'
}

{
  echo "date: $(date -u +%FT%TZ)"; echo "host: $(uname -srm), $(nproc) CPUs, $(awk '/MemTotal/ {print $2" kB"}' /proc/meminfo)"
  echo "qemu: $(qemu-system-x86_64 --version | head -n 1)"; echo "R=$R IDLE_N=$IDLE_N TB_SIZES=$TB_SIZES SETTLE=$SETTLE"
} >"$results/microvm-meta.txt"

# --- cold start ------------------------------------------------------------------------------------
BACKEND=microvm isola_start
accel="$(./isola doctor 2>/dev/null | sed -n 's/.*accelerator: \([a-z]*\).*/\1/p' | head -n 1)"
log "accelerator: ${accel:-unknown}"
echo "accelerator: ${accel:-unknown}" >>"$results/microvm-meta.txt"
variants=()
for kernel in minimal generic; do
  for rt in go node; do
    src=functions/go/hello-server; [[ "$rt" == node ]] && src=functions/node/hello-server
    name="cs-$rt-$kernel"
    isola_deploy "$name" "$(fn_dir "$name" "$src" "$kernel" '{singleUse: true}')"
    variants+=("$name")
  done
done
for v in "${variants[@]}"; do coldstart_ms "$v" >/dev/null; done   # warm-up: builds the images
echo "repetition,variant,kernel,runtime,accelerator,elapsed_ms" >"$csv"
for ((r = 1; r <= R; r++)); do
  line=""
  for ((k = 0; k < ${#variants[@]}; k++)); do
    v="${variants[$(((k + r) % ${#variants[@]}))]}"
    ms="$(coldstart_ms "$v")"
    IFS=- read -r _ rt kernel <<<"$v"
    echo "$r,$v,$kernel,$rt,${accel:-unknown},$ms" >>"$csv"
    line+="$v $ms  "
  done
  log "rep $r/$R: $line"
done
bench_stop "$BENCH_LAST_PID"

# --- idle memory -----------------------------------------------------------------------------------
echo "tb_mib,kernel,runtime,instances,mem_available_drop_mib,qemu_rss_mib,per_vm_drop_mib,per_vm_rss_mib" >"$mem_csv"
for tb in $TB_SIZES; do
  ISOLA_MICROVM_TB_MIB="$tb" BACKEND=microvm isola_start
  for kernel in minimal generic; do
   for rt in go node; do
    src=functions/go/hello-server; [[ "$rt" == node ]] && src=functions/node/hello-server
    for n in $IDLE_N; do
      name="idle-$rt-$kernel-$n-$tb"
      sync; echo 3 >/proc/sys/vm/drop_caches
      sleep 1
      before="$(mem_available_kib)"
      isola_deploy "$name" "$(fn_dir "$name" "$src" "$kernel" "{minInstances: $n, maxInstances: $n}")"
      for _ in $(seq 600); do [[ "$(ready_count "$name")" -ge "$n" ]] && break; sleep 0.2; done
      [[ "$(ready_count "$name")" -ge "$n" ]] || die "$name: $n instances did not become ready"
      sleep "$SETTLE"
      after="$(mem_available_kib)"; rss="$(qemu_rss_kib)"
      awk -v tb="$tb" -v k="$kernel" -v rt="$rt" -v n="$n" -v b="$before" -v a="$after" -v r="$rss" 'BEGIN {
        d = (b - a) / 1024; m = r / 1024
        printf "%s,%s,%s,%d,%.1f,%.1f,%.1f,%.1f\n", tb, k, rt, n, d, m, d / n, m / n }' >>"$mem_csv"
      log "tb=$tb $kernel $rt n=$n: $(tail -n 1 "$mem_csv")"
      curl -fsS -o /dev/null -X DELETE -H "Authorization: Bearer $ISOLA_TOKEN_VALUE" "$ISOLA_ADMIN_URL/system/functions/$name"
      for _ in $(seq 100); do [[ "$(qemu_rss_kib)" == 0 ]] && break; sleep 0.1; done
    done
   done
  done
  bench_stop "$BENCH_LAST_PID"
done

{
  echo
  echo "microvm cold start, $R repetitions, accelerator ${accel:-unknown} (ms)"
  printf '%-8s %-8s %4s %9s %9s %9s\n' kernel runtime n p50 p95 mean
  for rt in go node; do
    for kernel in minimal generic; do
      read -r n p50 p95 mean <<<"$(awk -F, -v k="$kernel" -v rt="$rt" '$3 == k && $4 == rt { print $6 }' "$csv" | stats)"
      printf '%-8s %-8s %4s %9.1f %9.1f %9.1f\n' "$kernel" "$rt" "$n" "$p50" "$p95" "$mean"
      eval "p50_${rt}_${kernel}=$p50; p95_${rt}_${kernel}=$p95"
    done
    printf 'ratio minimal/generic (%s): p50 %.2f  p95 %.2f   (target p50 <= 0.4 under TCG)\n' "$rt" \
      "$(awk -v a="$(eval echo "\$p50_${rt}_minimal")" -v b="$(eval echo "\$p50_${rt}_generic")" 'BEGIN { print a / b }')" \
      "$(awk -v a="$(eval echo "\$p95_${rt}_minimal")" -v b="$(eval echo "\$p95_${rt}_generic")" 'BEGIN { print a / b }')"
  done
  echo
  echo "host memory per idle VM (hello, MiB): MemAvailable drop and QEMU RSS"
  column -s, -t "$mem_csv"
} | tee "$results/microvm-summary.txt"
log "results in $results"
