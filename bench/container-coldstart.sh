#!/usr/bin/env bash
# container-coldstart.sh — cold start of Go and Node.js hello in a container through Isola (single-use, so every
# call starts a container) against the same container started by hand with the runtime, interleaved in the same
# run. "By hand" times what Isola has to do too: a network namespace with a veth (two `ip -batch`), `<runtime>
# run` of the very bundle Isola writes (its config.json, copied from a live instance; bench/oci-bundle.py) and
# polling the function's address every 1 ms until it answers 200. Each measurement starts on a quiet host: the hand
# side removes its container before the next one, and Isola's single-use instance must be gone and its spare
# network remade (isola_quiet) - teardown that neither figure should carry nor push onto the other side's next run.
#
# With SECCOMP_BASELINE=1 a third method joins the rotation: the same by-hand start without Isola's seccomp filter,
# which prices the filter (hand / hand without seccomp).
#
# Usage: RUNTIME=runc|crun|runsc bench/container-coldstart.sh    (root; needs go, node, curl, ip, the runtime,
#        python3)
# Env:   R=30  WARMUP=5  PAUSE=0.1  LANGS="go node"  SECCOMP_BASELINE=0  RESULTS_DIR=...  KEEP_TMP=1
# Target (issue 3): Isola/hand p50 and p95 <= 1.2.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

RUNTIME="${RUNTIME:-runc}"
R="${R:-30}"
WARMUP="${WARMUP:-5}"
PAUSE="${PAUSE:-0.1}"
LANGS="${LANGS:-go node}"
SECCOMP_BASELINE="${SECCOMP_BASELINE:-0}"
[[ "$RUNTIME" != runsc || "$SECCOMP_BASELINE" == 0 ]] || die "runsc takes no seccomp filter from the bundle"
need go; need curl; need tar; need ip; need python3; need "$RUNTIME"
[[ "$(id -u)" == 0 ]] || die "needs root (namespaces, veths, cgroups)"

HAND_NS=ibench-hand          # not isola-*: Isola reaps those at start-up
HAND_HOST=ibh0
HAND_ROOT=/run/isola-bench/$RUNTIME
HAND_ID=ibench-hand

hand_cleanup() {
  local rc=0
  oci_delete_all || rc=1
  ip netns del "$HAND_NS" 2>/dev/null || true
  ip link del "$HAND_HOST" 2>/dev/null || true
  return "$rc"
}
cleanup_all() {
  local rc=$?
  hand_cleanup || true
  rmdir /sys/fs/cgroup/*/isola-bench "$HAND_ROOT" 2>/dev/null || true
  bench_cleanup "$rc"
}

bench_init
trap cleanup_all EXIT
oci_runtime_cmd "$RUNTIME" "$HAND_ROOT"
results="$(bench_results_dir container-coldstart-"$RUNTIME".csv)"
csv="$results/container-coldstart-$RUNTIME.csv"

log "building bench/coldstart-probe"
(cd bench/coldstart-probe && CGO_ENABLED=0 go build -o "$BENCH_TMP/coldstart-probe" .)
BACKEND="$RUNTIME" isola_start

fn_dir() { case "$1" in go) echo functions/go/hello-server ;; node) echo functions/node/hello-server ;; *) die "unknown language $1" ;; esac; }
fn_entry() { case "$1" in go) echo . ;; node) echo index.js ;; esac; }

for lang in $LANGS; do
  fn="$BENCH_TMP/hello-single-$lang"
  cp -r "$(fn_dir "$lang")" "$fn"
  printf 'name: hello-single-%s\nruntime: %s\nentry: %s\nscaling: {singleUse: true}\n' "$lang" "$lang" \
    "$(fn_entry "$lang")" >"$fn/function.yaml"
  isola_deploy "hello-single-$lang" "$fn"
  isola_bundle_config "hello-template-$lang" "$BENCH_TMP/template-$lang" "$(fn_dir "$lang")" \
    "runtime: $lang\nentry: $(fn_entry "$lang")"
  python3 bench/oci-bundle.py "$BENCH_TMP/template-$lang" "$BENCH_TMP/bundle-$lang" "$HAND_NS" /isola-bench/hand
  python3 bench/oci-bundle.py "$BENCH_TMP/template-$lang" "$BENCH_TMP/bundle-noseccomp-$lang" "$HAND_NS" \
    /isola-bench/hand --without-seccomp
  # The timed command: namespace + veth, then the runtime in the foreground (bundle $1, default with seccomp).
  cat >"$BENCH_TMP/hand-$lang.sh" <<EOF
#!/bin/sh
ip -batch - <<IP || exit 1
netns add $HAND_NS
link add $HAND_HOST type veth peer name eth0 netns $HAND_NS
addr add 10.201.0.1/30 dev $HAND_HOST
link set $HAND_HOST up
IP
ip -n $HAND_NS -batch - <<IP || exit 1
addr add 10.201.0.2/30 dev eth0
link set eth0 up
link set lo up
IP
# The probe polls from t0, before eth0 exists: forget the failed ARP lookup instead of waiting 1 s to retry.
ip neigh flush dev $HAND_HOST
exec ${runtime_cmd[*]@Q} run --bundle "\${1:-$BENCH_TMP/bundle-$lang}" $HAND_ID
EOF
  chmod +x "$BENCH_TMP/hand-$lang.sh"
done

# by_hand LANG [BUNDLE] : one start by hand, its time to the first 200 in ms.
by_hand() {
  local us
  hand_cleanup || die "the last by-hand container could not be deleted"
  us="$("$BENCH_TMP/coldstart-probe" -url http://10.201.0.2:8080/ -interval 1ms -timeout 20s -- \
    "$BENCH_TMP/hand-$1.sh" "${@:2}" 2>>"$BENCH_TMP/probe.log")" ||
    die "hand start failed: $(tail -n 3 "$BENCH_TMP/probe.log")"
  hand_cleanup || die "the by-hand container could not be deleted"
  settle
  awk -v us="$us" 'BEGIN { printf "%.3f", us / 1000 }'
}

# through_isola LANG : one single-use call through the gateway, curl's total time in ms.
through_isola() {
  local ms
  ms="$(call_ms "hello-single-$1")" || exit 1 # die ended only the substitution
  isola_quiet "hello-single-$1"
  echo "$ms"
}

{
  echo "date: $(date -u +%FT%TZ)"; echo "host: $(uname -srm), $(nproc) CPUs"
  echo "runtime: $("$RUNTIME" --version 2>&1 | head -n 1)"
  echo "R=$R WARMUP=$WARMUP PAUSE=$PAUSE LANGS=$LANGS SECCOMP_BASELINE=$SECCOMP_BASELINE"
} >"$results/container-coldstart-$RUNTIME-meta.txt"

echo "language,repetition,method,elapsed_ms" >"$csv"
for lang in $LANGS; do
  for ((w = 1; w <= WARMUP; w++)); do by_hand "$lang" >/dev/null; through_isola "$lang" >/dev/null; done
  for ((r = 1; r <= R; r++)); do
    order=(hand isola); ((r % 2)) || order=(isola hand)
    if [[ "$SECCOMP_BASELINE" == 1 ]]; then
      order=(hand isola hand-noseccomp); ((r % 2)) || order=(hand-noseccomp isola hand)
    fi
    line=""
    for m in "${order[@]}"; do
      case "$m" in
        hand) ms="$(by_hand "$lang")" ;;
        hand-noseccomp) ms="$(by_hand "$lang" "$BENCH_TMP/bundle-noseccomp-$lang")" ;;
        isola) ms="$(through_isola "$lang")" ;;
      esac
      echo "$lang,$r,$m,$ms" >>"$csv"
      line+="$m $ms ms  "
      sleep "$PAUSE"
    done
    log "$lang rep $r/$R: $line"
  done
done

{
  echo
  echo "Cold start of hello in $RUNTIME, $R repetitions (ms)"
  printf '%-6s %-34s %5s %9s %9s %9s\n' lang method n p50 p95 mean
  for lang in $LANGS; do
    read -r hn hp50 hp95 hmean <<<"$(awk -F, -v l="$lang" '$1 == l && $3 == "hand" { print $4 }' "$csv" | stats)"
    read -r in ip50 ip95 imean <<<"$(awk -F, -v l="$lang" '$1 == l && $3 == "isola" { print $4 }' "$csv" | stats)"
    printf '%-6s %-34s %5s %9.3f %9.3f %9.3f\n' "$lang" "by hand (netns+veth, $RUNTIME run)" "$hn" "$hp50" "$hp95" \
      "$hmean"
    printf '%-6s %-34s %5s %9.3f %9.3f %9.3f\n' "$lang" "through Isola (singleUse)" "$in" "$ip50" "$ip95" "$imean"
    printf '%-6s ratio isola/hand: p50 %.2f  p95 %.2f  mean %.2f   (target p50, p95 <= 1.2)\n' "$lang" \
      "$(awk -v a="$ip50" -v b="$hp50" 'BEGIN { print a / b }')" \
      "$(awk -v a="$ip95" -v b="$hp95" 'BEGIN { print a / b }')" \
      "$(awk -v a="$imean" -v b="$hmean" 'BEGIN { print a / b }')"
    if [[ "$SECCOMP_BASELINE" == 1 ]]; then
      read -r sn sp50 sp95 smean <<<"$(awk -F, -v l="$lang" '$1 == l && $3 == "hand-noseccomp" { print $4 }' "$csv" |
        stats)"
      printf '%-6s %-34s %5s %9.3f %9.3f %9.3f\n' "$lang" "by hand without seccomp" "$sn" "$sp50" "$sp95" "$smean"
      printf '%-6s ratio hand/without seccomp: p50 %.2f  p95 %.2f  mean %.2f   (the filter'"'"'s cost)\n' "$lang" \
        "$(awk -v a="$hp50" -v b="$sp50" 'BEGIN { print a / b }')" \
        "$(awk -v a="$hp95" -v b="$sp95" 'BEGIN { print a / b }')" \
        "$(awk -v a="$hmean" -v b="$smean" 'BEGIN { print a / b }')"
    fi
  done
} | tee "$results/container-coldstart-$RUNTIME-summary.txt"
log "results in $results"
