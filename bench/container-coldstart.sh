#!/usr/bin/env bash
# container-coldstart.sh — cold start of Go hello in a container through Isola (single-use, so every call
# starts a container) against the same kind of container started by hand with the runtime, interleaved in
# the same run. "By hand" times what Isola has to do too: a network namespace with a veth (one `ip -batch`),
# `<runtime> run` of a bundle with the same essentials (read-only root, user nobody, no capabilities, memory
# and CPU limits), and polling the function's address every 1 ms until it answers 200.
#
# Usage: RUNTIME=runc|runsc bench/container-coldstart.sh    (root; needs go, curl, ip, the runtime, python3)
# Env:   R=30  WARMUP=5  PAUSE=0.1  RESULTS_DIR=...  KEEP_TMP=1
# Target (issue 3): Isola/hand p50 <= 1.2.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

RUNTIME="${RUNTIME:-runc}"
R="${R:-30}"
WARMUP="${WARMUP:-5}"
PAUSE="${PAUSE:-0.1}"
need go; need curl; need tar; need ip; need python3; need "$RUNTIME"
[[ "$(id -u)" == 0 ]] || die "needs root (namespaces, veths, cgroups)"

HAND_NS=ibench-hand          # not isola-*: Isola reaps those at start-up
HAND_HOST=ibh0
HAND_ROOT=/run/isola-bench/$RUNTIME
HAND_ID=ibench-hand
runtime_flags=(--root "$HAND_ROOT")
[[ "$RUNTIME" == runsc ]] && runtime_flags+=(--platform=ptrace --network=host)

hand_cleanup() {
  "$RUNTIME" "${runtime_flags[@]}" delete --force "$HAND_ID" >/dev/null 2>&1 || true
  ip netns del "$HAND_NS" 2>/dev/null || true
  ip link del "$HAND_HOST" 2>/dev/null || true
}
cleanup_all() {
  local rc=$?
  hand_cleanup
  rmdir /sys/fs/cgroup/*/isola-bench "$HAND_ROOT" 2>/dev/null || true
  bench_cleanup "$rc"
}

bench_init
trap cleanup_all EXIT
results="$(bench_results_dir container-coldstart-"$RUNTIME".csv)"
csv="$results/container-coldstart-$RUNTIME.csv"

log "building bench/coldstart-probe and functions/go/hello"
(cd bench/coldstart-probe && CGO_ENABLED=0 go build -o "$BENCH_TMP/coldstart-probe" .)
bundle="$BENCH_TMP/bundle"
mkdir -p "$bundle/rootfs"/{proc,dev,sys,tmp,fn}
(cd functions/go/hello && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$BENCH_TMP/fn/fn" .)
python3 bench/oci-bundle.py "$bundle" "$BENCH_TMP/fn" "$HAND_NS" /isola-bench/hand

# The timed command: namespace + veth, then the runtime in the foreground.
cat >"$BENCH_TMP/hand.sh" <<EOF
#!/bin/sh
ip -batch - <<IP || exit 1
netns add $HAND_NS
link add $HAND_HOST type veth peer name ibc0
link set ibc0 netns $HAND_NS
addr add 10.201.0.1/30 dev $HAND_HOST
link set $HAND_HOST up
IP
ip -n $HAND_NS -batch - <<IP || exit 1
link set ibc0 name eth0
addr add 10.201.0.2/30 dev eth0
link set eth0 up
link set lo up
IP
# The probe polls from t0, before eth0 exists: forget the failed ARP lookup instead of waiting 1 s to retry.
ip neigh flush dev $HAND_HOST
exec $RUNTIME ${runtime_flags[*]} run --bundle $bundle $HAND_ID
EOF
chmod +x "$BENCH_TMP/hand.sh"

by_hand() {
  local us
  hand_cleanup
  us="$("$BENCH_TMP/coldstart-probe" -url http://10.201.0.2:8080/ -interval 1ms -timeout 20s -- \
    "$BENCH_TMP/hand.sh" 2>>"$BENCH_TMP/probe.log")" || die "hand start failed: $(tail -n 3 "$BENCH_TMP/probe.log")"
  hand_cleanup
  awk -v us="$us" 'BEGIN { printf "%.3f", us / 1000 }'
}

fn="$BENCH_TMP/hello-single"
cp -r functions/go/hello "$fn"
printf 'name: hello-single\nruntime: go\nentry: .\nscaling: {singleUse: true}\n' >"$fn/function.yaml"
BACKEND="$RUNTIME" isola_start
isola_deploy hello-single "$fn"

through_isola() {
  local out code secs
  out="$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' --max-time 60 "$ISOLA_URL/function/hello-single")" ||
    die "request to /function/hello-single failed"
  read -r code secs <<<"$out"
  [[ "$code" == 200 ]] || die "/function/hello-single answered $code"
  awk -v s="$secs" 'BEGIN { printf "%.3f", s * 1000 }'
}

{
  echo "date: $(date -u +%FT%TZ)"; echo "host: $(uname -srm), $(nproc) CPUs"
  echo "runtime: $("$RUNTIME" --version 2>&1 | head -n 1)"; echo "R=$R WARMUP=$WARMUP PAUSE=$PAUSE"
} >"$results/container-coldstart-$RUNTIME-meta.txt"

for ((w = 1; w <= WARMUP; w++)); do by_hand >/dev/null; through_isola >/dev/null; done
echo "repetition,method,elapsed_ms" >"$csv"
for ((r = 1; r <= R; r++)); do
  order=(hand isola); ((r % 2)) || order=(isola hand)
  line=""
  for m in "${order[@]}"; do
    if [[ "$m" == hand ]]; then ms="$(by_hand)"; else ms="$(through_isola)"; fi
    echo "$r,$m,$ms" >>"$csv"
    line+="$m $ms ms  "
    sleep "$PAUSE"
  done
  log "rep $r/$R: $line"
done

{
  echo
  echo "Cold start of Go hello in $RUNTIME, $R repetitions (ms)"
  printf '%-34s %5s %9s %9s %9s\n' method n p50 p95 mean
  read -r hn hp50 hp95 hmean <<<"$(awk -F, '$2 == "hand" { print $3 }' "$csv" | stats)"
  read -r in ip50 ip95 imean <<<"$(awk -F, '$2 == "isola" { print $3 }' "$csv" | stats)"
  printf '%-34s %5s %9.3f %9.3f %9.3f\n' "by hand (netns+veth, $RUNTIME run)" "$hn" "$hp50" "$hp95" "$hmean"
  printf '%-34s %5s %9.3f %9.3f %9.3f\n' "through Isola (singleUse)" "$in" "$ip50" "$ip95" "$imean"
  printf 'ratio isola/hand: p50 %.2f  p95 %.2f  mean %.2f   (target p50 <= 1.2)\n' \
    "$(awk -v a="$ip50" -v b="$hp50" 'BEGIN { print a / b }')" \
    "$(awk -v a="$ip95" -v b="$hp95" 'BEGIN { print a / b }')" \
    "$(awk -v a="$imean" -v b="$hmean" 'BEGIN { print a / b }')"
} | tee "$results/container-coldstart-$RUNTIME-summary.txt"
log "results in $results"
