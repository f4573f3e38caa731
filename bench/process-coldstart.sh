#!/usr/bin/env bash
# process-coldstart.sh — a cold start through Isola's process backend against the floor: the same Go
# hello binary started by hand and polled until it answers.
#
#   by hand: bench/coldstart-probe starts the binary with PORT=<free port>, polls GET / over a fresh TCP
#            connection every 1 ms until 200, prints the elapsed µs and kills the binary's process group.
#   Isola:   hello deployed as hello-single with scaling {singleUse: true}, so every
#            GET /function/hello-single starts a new instance; curl's time_total is the cold start as a
#            client sees it (start, readiness callback, proxying, teardown not included).
# The two methods alternate within each repetition (and swap order every other one) so that drift and
# page-cache effects hit both alike. One discarded warm-up of each precedes the measured repetitions.
#
# Usage: bench/process-coldstart.sh   (from anywhere; needs ./isola built, go, curl, tar)
# Env:   ISOLA=./isola  BACKEND=process  R=50  WARMUP=30  PAUSE=0.1 (s between repetitions)  RESULTS_DIR=bench/results/<utc>
#        MANIFEST_EXTRA='backend: process' (lines appended to hello-single's function.yaml)  KEEP_TMP=1
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

R="${R:-50}"
WARMUP="${WARMUP:-30}"
PAUSE="${PAUSE:-0.1}"
need go; need curl; need tar

bench_init
results="$(bench_results_dir process-coldstart.csv)"
csv="$results/process-coldstart.csv"

log "building bench/coldstart-probe and functions/go/hello-server"
(cd bench/coldstart-probe && CGO_ENABLED=0 go build -o "$BENCH_TMP/coldstart-probe" .)
(cd functions/go/hello-server && CGO_ENABLED=0 go build -o "$BENCH_TMP/hello" .)
probe="$BENCH_TMP/coldstart-probe"

# hello-single: the hello sources under another name, one request per instance.
fn="$BENCH_TMP/hello-single"
cp -r functions/go/hello-server "$fn"
{
  echo "name: hello-single"
  echo "runtime: go"
  echo "entry: ."
  echo "scaling: {singleUse: true}"
  [[ -z "${MANIFEST_EXTRA:-}" ]] || printf '%s\n' "$MANIFEST_EXTRA"
} >"$fn/function.yaml"

isola_start
isola_deploy hello-single "$fn"

{
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(uname -srm), $(nproc) CPUs"
  echo "go: $(go version)"
  echo "R=$R WARMUP=$WARMUP PAUSE=$PAUSE"
  echo "function.yaml:"; sed 's/^/  /' "$fn/function.yaml"
} >"$results/process-coldstart-meta.txt"

# by_hand -> elapsed ms
by_hand() {
  local us
  us="$("$probe" -port-env PORT -interval 1ms -timeout 10s -- "$BENCH_TMP/hello" 2>>"$BENCH_TMP/probe.log")" ||
    die "hand start failed: $(tail -n 3 "$BENCH_TMP/probe.log")"
  awk -v us="$us" 'BEGIN { printf "%.3f", us / 1000 }'
}

# through_isola -> "elapsed_ms cold" (cold = the X-Isola-Cold-Start header, "?" if absent)
through_isola() {
  local out code secs cold
  out="$(curl -sS -o /dev/null -D "$BENCH_TMP/headers" -w '%{http_code} %{time_total}' --max-time 60 \
    "$ISOLA_URL/function/hello-single")" || die "request to /function/hello-single failed"
  read -r code secs <<<"$out"
  [[ "$code" == 200 ]] || die "/function/hello-single answered $code"
  cold="$(tr -d '\r' <"$BENCH_TMP/headers" | awk -F': *' 'tolower($1) == "x-isola-cold-start" { print $2 }')"
  awk -v s="$secs" -v c="${cold:-?}" 'BEGIN { printf "%.3f %s", s * 1000, c }'
}

# Discarded warm-up: the JVM interprets the cold-start path until it has run it a few dozen times, and a
# long-running server has long compiled it; what we compare is the platform's steady-state cost.
for ((w = 1; w <= WARMUP; w++)); do
  warm_hand="$(by_hand)"
  warm_isola="$(through_isola)"
done
log "warm-up ($WARMUP discarded): last hand $warm_hand ms, isola ${warm_isola% *} ms (cold=${warm_isola#* })"
echo "repetition,method,elapsed_ms,cold_start" >"$csv"
for ((r = 1; r <= R; r++)); do
  order=(hand isola); ((r % 2)) || order=(isola hand)
  line=""
  for m in "${order[@]}"; do
    if [[ "$m" == hand ]]; then
      ms="$(by_hand)"; cold=true
    else
      out="$(through_isola)"
      read -r ms cold <<<"$out"
    fi
    echo "$r,$m,$ms,$cold" >>"$csv"
    line+="$m ${ms} ms (cold=$cold)  "
    sleep "$PAUSE"
  done
  log "rep $r/$R: $line"
done

warm="$(awk -F, '$2 == "isola" && $4 != "true"' "$csv" | wc -l)"
{
  echo
  echo "Cold start of Go hello, $R repetitions (ms)"
  printf '%-28s %5s %9s %9s %9s\n' method n p50 p95 mean
  read -r hn hp50 hp95 hmean <<<"$(awk -F, '$2 == "hand" { print $3 }' "$csv" | stats)"
  read -r in ip50 ip95 imean <<<"$(awk -F, '$2 == "isola" { print $3 }' "$csv" | stats)"
  printf '%-28s %5s %9.3f %9.3f %9.3f\n' "by hand (start, poll 1 ms)" "$hn" "$hp50" "$hp95" "$hmean"
  printf '%-28s %5s %9.3f %9.3f %9.3f\n' "through Isola (singleUse)" "$in" "$ip50" "$ip95" "$imean"
  printf 'ratio isola/hand: p50 %.2f  p95 %.2f  mean %.2f   (isola - hand at p50: %+.3f ms)\n' \
    "$(awk -v a="$ip50" -v b="$hp50" 'BEGIN { print a / b }')" \
    "$(awk -v a="$ip95" -v b="$hp95" 'BEGIN { print a / b }')" \
    "$(awk -v a="$imean" -v b="$hmean" 'BEGIN { print a / b }')" \
    "$(awk -v a="$ip50" -v b="$hp50" 'BEGIN { print a - b }')"
  [[ "$warm" == 0 ]] || echo "WARNING: $warm Isola calls were not reported as cold starts (X-Isola-Cold-Start != true)"
} | tee "$results/process-coldstart-summary.txt"
log "results in $results"
