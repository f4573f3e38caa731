#!/usr/bin/env bash
# handler-mode.sh — what handler mode costs on the warm path, against server mode measured in the same run:
# Go hello-server (its own server, serve.go) vs hello (Isola's generated main), and Node.js node-hello-server
# (serve.js) vs node-hello (Isola's fetch-API wrapper), all four through the gateway on one Isola, and
# python-hello-handler (Isola's WSGI wrapper, waitress), which has no server mode: shown against Go's server.
# Warm p50 at c=1 (latency) and throughput at c=64, with hey.
#
# Runs are interleaved (the five targets, rotating the order each round) so that drift hits all alike; each is
# preceded by a short warm-up, and before the rounds every target gets JIT_WARMUP of c=64 load (the gateway is a
# long-running JVM; V8 compiles the wrapper's hot path too). The table shows the median over ROUNDS.
# hey prints latencies with 0.1 ms resolution; at c=1 the mean latency from 1/rps (1 µs resolution) is shown too.
# Then cold starts: a single-use copy of each target (every call a new instance), COLD calls each, rotated, each
# once the previous instance is gone and the host is idle; curl's total time through the gateway.
#
# Usage: bench/handler-mode.sh   (from anywhere; needs ./isola built, hey, curl, tar, go, node, python3-waitress)
# Env:   ISOLA=./isola  BACKEND=process|runc|...  N1=5000  N64=50000  WARMUP=1000  JIT_WARMUP=5s  ROUNDS=3
#        COLD=10 (0: no cold starts)  RESULTS_DIR=bench/results/<utc>  KEEP_TMP=1 (keep logs)
# Figures: handler/server ratios per runtime (p50 at c=1, throughput at c=64, cold start p50); reported as measured.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

N1="${N1:-5000}"
N64="${N64:-50000}"
WARMUP="${WARMUP:-1000}"
JIT_WARMUP="${JIT_WARMUP:-5s}"
ROUNDS="${ROUNDS:-3}"
COLD="${COLD:-10}"

need hey; need curl; need tar; need jq

bench_init
results="$(bench_results_dir handler-mode.csv)"
csv="$results/handler-mode.csv"

# --- Isola and the five functions ------------------------------------------------------------------------

isola_start
declare -A dir=(
  [go-server]=functions/go/hello-server
  [go-handler]=functions/go/hello
  [node-server]=functions/node/hello-server
  [node-handler]=functions/node/hello
  [python-handler]=functions/python/hello-handler
)
declare -A fn=(
  [go-server]=hello-server
  [go-handler]=hello
  [node-server]=node-hello-server
  [node-handler]=node-hello
  [python-handler]=python-hello-handler
)
targets=(go-server go-handler node-server node-handler python-handler)
declare -A url
for target in "${targets[@]}"; do
  isola_deploy "${fn[$target]}" "${dir[$target]}"
  url[$target]="$ISOLA_URL/function/${fn[$target]}"
  code="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 60 "${url[$target]}")"
  [[ "$code" == 200 ]] || die "warm-up call to ${url[$target]} answered $code"
  if ((COLD > 0)); then # the single-use copy: same sources, every call a new instance
    mkdir -p "$BENCH_TMP/cold"
    cp -r "${dir[$target]}" "$BENCH_TMP/cold/$target"
    { sed -e "s/^name: .*/name: cold-$target/" -e '/^scaling:/d' "${dir[$target]}/function.yaml"
      echo 'scaling: {singleUse: true}'; } >"$BENCH_TMP/cold/$target/function.yaml"
    isola_deploy "cold-$target" "$BENCH_TMP/cold/$target"
  fi
done

{
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(uname -srm), $(nproc) CPUs"
  echo "backend: ${BACKEND:-process}"
  echo "go: $(go version 2>/dev/null || echo none); node: $(node --version 2>/dev/null || echo none);" \
    "python: $(/usr/bin/python3 --version 2>/dev/null || echo none)"
  echo "N1=$N1 N64=$N64 WARMUP=$WARMUP JIT_WARMUP=$JIT_WARMUP ROUNDS=$ROUNDS"
} >"$results/handler-mode-meta.txt"

# --- one measurement -----------------------------------------------------------------------------------

# measure TARGET C ROUND : warm-up, measured run, one CSV row.
measure() {
  local target="$1" c="$2" round="$3" n f row
  f="$BENCH_TMP/hey-$target-c$c-r$round.txt"
  n="$N1"; [[ "$c" -gt 1 ]] && n="$N64"
  bench_fg hey -n "$((WARMUP > c ? WARMUP : c))" -c "$c" "${url[$target]}" >/dev/null
  bench_fg hey -n "$n" -c "$c" "${url[$target]}" >"$f"
  row="$(parse_hey "$f")" || die "could not parse hey output $f: $(head -c 500 "$f")"
  read -r n rps p50 p99 errors <<<"$row"
  echo "$target,$c,$round,$n,$rps,$p50,$p99,$errors" >>"$csv"
  log "$(printf '%-12s c=%-3s round %s: %10.1f req/s  p50 %7.3f ms  p99 %7.3f ms  errors %s' \
    "$target" "$c" "$round" "$rps" "$p50" "$p99" "$errors")"
}

for target in "${targets[@]}"; do
  log "JIT warm-up: $JIT_WARMUP of c=64 load on $target"
  bench_fg hey -z "$JIT_WARMUP" -c 64 "${url[$target]}" >/dev/null
done

echo "target,concurrency,round,requests,rps,p50_ms,p99_ms,errors" >"$csv"
for c in 1 64; do
  for ((round = 1; round <= ROUNDS; round++)); do
    for ((i = 0; i < ${#targets[@]}; i++)); do
      measure "${targets[(i + round - 1) % ${#targets[@]}]}" "$c" "$round" # rotate the order each round
    done
  done
done

# --- cold starts ---------------------------------------------------------------------------------------

# gone FUNCTION : waits until FUNCTION has no instance (a single-use one is stopped after its call), then for the
# host to be idle, so that no start pays for the previous one's teardown.
gone() {
  local t n
  for ((t = 0; t < 600; t++)); do
    n="$(curl -fsS --max-time 30 -H "Authorization: Bearer $ISOLA_TOKEN_VALUE" \
      "$ISOLA_ADMIN_URL/system/instances?function=$1" | jq length)"
    [[ "$n" == 0 ]] && break
    sleep 0.1
  done
  [[ "$n" == 0 ]] || die "$1 still has $n instances 60 s later"
  settle
}

cold_csv="$results/handler-mode-cold.csv"
echo "target,round,elapsed_ms" >"$cold_csv"
for ((round = 1; round <= COLD; round++)); do
  line=""
  for ((i = 0; i < ${#targets[@]}; i++)); do
    target="${targets[(i + round - 1) % ${#targets[@]}]}"
    gone "cold-$target"
    ms="$(call_ms "cold-$target")"
    echo "$target,$round,$ms" >>"$cold_csv"
    line+="$target $ms  "
  done
  log "cold round $round/$COLD (ms): $line"
done

# --- summary -------------------------------------------------------------------------------------------

declare -A med
col() { # TARGET C COLUMN -> median of that column over the rounds (sum for errors)
  if [[ "$3" == 8 ]]; then
    awk -F, -v g="$1" -v c="$2" '$1 == g && $2 == c { s += $8 } END { print s + 0 }' "$csv"
  else
    awk -F, -v g="$1" -v c="$2" -v k="$3" '$1 == g && $2 == c { print $k }' "$csv" | median
  fi
}
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }

{
  echo
  echo "Warm hello through the gateway on ${BACKEND:-process}, median of $ROUNDS interleaved rounds" \
    "(hey: -n $N1 at c=1, -n $N64 at c=64)"
  printf '%-14s %4s %12s %9s %9s %7s\n' target c rps "p50 ms" "p99 ms" errors
  for c in 1 64; do
    for target in "${targets[@]}"; do
      for k in 5 6 7 8; do med[$target.$c.$k]="$(col "$target" "$c" "$k")"; done
      printf '%-14s %4s %12.1f %9.3f %9.3f %7s\n' "$target" "$c" "${med[$target.$c.5]}" "${med[$target.$c.6]}" \
        "${med[$target.$c.7]}" "${med[$target.$c.8]}"
    done
  done
  echo
  echo "Handler mode / server mode, same run (throughput also as the median of each round's ratio, which the"
  echo "host's drift between rounds does not move):"
  for lang in go node; do
    printf '  %-4s p50 at c=1 %.3f   mean latency at c=1 (1/rps) %.3f   throughput at c=64 %.3f (per round %.3f)\n' \
      "$lang" "$(calc "${med[$lang-handler.1.6]} / ${med[$lang-server.1.6]}")" \
      "$(calc "${med[$lang-server.1.5]} / ${med[$lang-handler.1.5]}")" \
      "$(calc "${med[$lang-handler.64.5]} / ${med[$lang-server.64.5]}")" \
      "$(awk -F, -v h="$lang-handler" -v s="$lang-server" '$2 == 64 && $1 == h { a[$3] = $5 }
          $2 == 64 && $1 == s { b[$3] = $5 } END { for (r in a) if (b[r] > 0) print a[r] / b[r] }' "$csv" | median)"
  done
  echo "Python handler (no server mode) / Go server, for scale:"
  printf '  %-4s p50 at c=1 %.3f   mean latency at c=1 (1/rps) %.3f   throughput at c=64 %.3f\n' python \
    "$(calc "${med[python-handler.1.6]} / ${med[go-server.1.6]}")" \
    "$(calc "${med[go-server.1.5]} / ${med[python-handler.1.5]}")" \
    "$(calc "${med[python-handler.64.5]} / ${med[go-server.64.5]}")"
  if ((COLD > 0)); then
    echo
    echo "Cold start through the gateway on ${BACKEND:-process} (single use, curl's total time), median of $COLD:"
    for target in "${targets[@]}"; do
      med[$target.cold]="$(awk -F, -v g="$target" '$1 == g { print $3 }' "$cold_csv" | median)"
      printf '  %-14s %9.1f ms\n' "$target" "${med[$target.cold]}"
    done
    for lang in go node; do
      printf '  %-4s handler/server %.3f\n' "$lang" "$(calc "${med[$lang-handler.cold]} / ${med[$lang-server.cold]}")"
    done
  fi
  errs="$(awk -F, 'NR > 1 { s += $8 } END { print s + 0 }' "$csv")"
  [[ "$errs" == 0 ]] || echo "  WARNING: $errs failed requests in total; see $csv"
} | tee "$results/handler-mode-summary.txt"
log "results in $results"
