#!/usr/bin/env bash
# gateway-latency.sh — what the Isola gateway costs on the warm path, against two baselines measured in
# the same run: the function instance called directly, and nginx (one worker, pooled keep-alive
# upstream) proxying to that same instance. A warm Go hello, c=1 (latency) and c=64 (throughput).
#
# Runs are interleaved (direct, gateway, nginx, rotating the order each round) so that drift hits all
# three alike; each is preceded by a short warm-up. The table shows the median over ROUNDS.
# hey prints latencies with 0.1 ms resolution, so when wrk is installed every run is repeated with wrk
# (1 µs resolution) and the c=1 latency targets are judged on wrk's figures.
#
# Usage: bench/gateway-latency.sh   (from anywhere; needs ./isola built, hey, nginx, curl, tar, jq|python3)
# The gateway is a long-running JVM: before the rounds, every target gets JIT_WARMUP of c=64 load and then of c=1
# load, so the rounds measure the proxy path compiled for both, as in a gateway that has served for a while (nginx
# and the function get the same load, which changes nothing for them). Without the c=1 part the JIT recompiled the
# path the single connection takes during the first c=1 rounds (a quarter of a core in C2 over a 5 s run).
#
# Env:   ISOLA=./isola  N1=20000  N64=100000  WARMUP=2000  JIT_WARMUP=10s  ROUNDS=3  WRK=auto|0|1  WRK_DURATION=5s
#        WRK_THREADS=2  NGINX=nginx  RESULTS_DIR=bench/results/<utc>  KEEP_TMP=1 (keep logs)
#        COMPARE_ENV="VAR=value;VAR=value"  a second gateway ("gateway-b", its own hello instance) run with these
#          environment variables added (e.g. "ISOLA_JAVA_OPTS=-XX:+UseParallelGC;ISOLA_GATEWAY_SPIN_MICROS=0"), measured
#          in the same rounds: settings compared on one noisy host
#        CONCURRENCY="1 64"  the concurrencies measured (the targets need both)
# Targets: gateway added p50 at c=1 <= 0.1 ms; added p99 at c=1 <= nginx's; gateway/nginx throughput at c=64
# >= 1.0 with every tool.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

N1="${N1:-20000}"
N64="${N64:-100000}"
WARMUP="${WARMUP:-2000}"
JIT_WARMUP="${JIT_WARMUP:-10s}"
ROUNDS="${ROUNDS:-3}"
WRK="${WRK:-auto}"
WRK_DURATION="${WRK_DURATION:-5s}"
WRK_THREADS="${WRK_THREADS:-2}"
read -ra concurrencies <<<"${CONCURRENCY:-1 64}"
NGINX="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
TARGET_ADDED_P50_MS=0.1
TARGET_RPS_RATIO=1.0

need hey; need curl; need tar
[[ -x "$NGINX" ]] || die "nginx not found (set NGINX=/path/to/nginx)"
command -v jq >/dev/null || need python3 "to read JSON when jq is missing"
tools=(hey)
case "$WRK" in
  auto) command -v wrk >/dev/null && tools+=(wrk) ;;
  1) need wrk; tools+=(wrk) ;;
  0) ;;
  *) die "WRK must be auto, 0 or 1" ;;
esac

bench_init
results="$(bench_results_dir gateway-latency.csv)"
csv="$results/gateway-latency.csv"

# --- Isola, the function, nginx ---------------------------------------------------------------------

isola_start
isola_deploy hello functions/go/hello
code="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 60 "$ISOLA_URL/function/hello")"
[[ "$code" == 200 ]] || die "warm-up call to /function/hello answered $code"
read -r endpoint instance <<<"$(isola_ready_endpoint hello)" || true
[[ -n "${endpoint:-}" ]] || die "no ready instance in: $(isola_describe hello)"
log "instance $instance at $endpoint"

if [[ -n "${COMPARE_ENV:-}" ]]; then
  first=("$ISOLA_URL" "$ISOLA_ADMIN_URL" "$ISOLA_TOKEN_VALUE")
  IFS=';' read -ra ISOLA_ENV <<<"$COMPARE_ENV"
  isola_start state-b
  ISOLA_ENV=()
  isola_deploy hello functions/go/hello
  code="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 60 "$ISOLA_URL/function/hello")"
  [[ "$code" == 200 ]] || die "warm-up call to gateway-b's /function/hello answered $code"
  gateway_b_url="$ISOLA_URL/function/hello"
  ISOLA_URL="${first[0]}" ISOLA_ADMIN_URL="${first[1]}" ISOLA_TOKEN_VALUE="${first[2]}"
  log "gateway-b runs with $COMPARE_ENV"
fi

ngx="$BENCH_TMP/nginx"
mkdir -p "$ngx"
chmod 755 "$BENCH_TMP" "$ngx" # nginx workers run as nobody when started by root
nginx_port="$(bench_free_port)"
# keepalive_requests/timeouts are raised so that nginx never closes a benchmark connection: the baseline
# is nginx at its best, not its defaults (100/1000 requests per connection).
cat >"$ngx/nginx.conf" <<NGINX
daemon off;
worker_processes 1;
pid $ngx/nginx.pid;
error_log $ngx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $ngx/client_body;
  proxy_temp_path $ngx/proxy;
  fastcgi_temp_path $ngx/fastcgi;
  uwsgi_temp_path $ngx/uwsgi;
  scgi_temp_path $ngx/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  upstream fn {
    server $endpoint;
    keepalive 64;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
  }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://fn;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
NGINX
"$NGINX" -t -q -p "$ngx" -c "$ngx/nginx.conf" -e "$ngx/error.log" 2>"$BENCH_TMP/nginx-t.log" ||
  die "nginx rejected its config: $(cat "$BENCH_TMP/nginx-t.log")"
bench_spawn "$BENCH_TMP/nginx.log" "$NGINX" -p "$ngx" -c "$ngx/nginx.conf" -e "$ngx/error.log"
bench_wait_http "http://127.0.0.1:$nginx_port/" 10 "$BENCH_LAST_PID"

declare -A url=(
  [direct]="http://$endpoint/"
  [gateway]="$ISOLA_URL/function/hello"
  [nginx]="http://127.0.0.1:$nginx_port/"
)
targets=(direct gateway nginx)
gateways=(gateway)
if [[ -n "${gateway_b_url:-}" ]]; then
  url[gateway-b]="$gateway_b_url"
  targets+=(gateway-b)
  gateways+=(gateway-b)
fi

{
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(uname -srm), $(nproc) CPUs"
  echo "nginx: $("$NGINX" -v 2>&1)"
  echo "tools: ${tools[*]}; N1=$N1 N64=$N64 WARMUP=$WARMUP JIT_WARMUP=$JIT_WARMUP ROUNDS=$ROUNDS WRK_DURATION=$WRK_DURATION"
  echo "instance: $instance $endpoint"
  echo "gateway JVM options: ${ISOLA_JAVA_OPTS:-(default)}"
  [[ -z "${gateway_b_url:-}" ]] || echo "gateway-b environment: $COMPARE_ENV"
} >"$results/gateway-latency-meta.txt"

# --- one measurement -----------------------------------------------------------------------------------

# parse_wrk FILE -> "requests rps p50_ms p99_ms errors" (errors = non-2xx/3xx + socket errors).
parse_wrk() {
  awk '
    function ms(s) {
      if (s ~ /us$/) return substr(s, 1, length(s) - 2) / 1000
      if (s ~ /ms$/) return substr(s, 1, length(s) - 2) + 0
      if (s ~ /m$/) return substr(s, 1, length(s) - 1) * 60000
      if (s ~ /s$/) return substr(s, 1, length(s) - 1) * 1000
      return s + 0
    }
    / requests in / { n = $1 }
    /Requests\/sec:/ { rps = $2 }
    /Latency Distribution/ { ld = 1; next }
    ld && $1 == "50%" { p50 = ms($2) }
    ld && $1 == "99%" { p99 = ms($2); ld = 0 }
    /Non-2xx or 3xx responses:/ { err += $NF }
    /Socket errors:/ { for (i = 3; i <= NF; i++) { v = $i; gsub(",", "", v); if (v ~ /^[0-9]+$/) err += v } }
    END {
      if (rps == "") exit 1
      printf "%d %s %.3f %.3f %d\n", n, rps, p50, p99, err
    }' "$1"
}

# measure TOOL TARGET C ROUND : warm-up, measured run, one CSV row.
measure() {
  local tool="$1" target="$2" c="$3" round="$4" n f row threads
  f="$BENCH_TMP/$tool-$target-c$c-r$round.txt"
  n="$N1"; [[ "$c" -gt 1 ]] && n="$N64"
  if [[ "$tool" == hey ]]; then
    bench_fg hey -n "$((WARMUP > c ? WARMUP : c))" -c "$c" "${url[$target]}" >/dev/null
    bench_fg hey -n "$n" -c "$c" "${url[$target]}" >"$f"
    row="$(parse_hey "$f")" || die "could not parse hey output $f: $(head -c 500 "$f")"
  else
    threads=$((c < WRK_THREADS ? c : WRK_THREADS))
    bench_fg wrk -t "$threads" -c "$c" -d 1s "${url[$target]}" >/dev/null
    bench_fg wrk -t "$threads" -c "$c" -d "$WRK_DURATION" --latency "${url[$target]}" >"$f"
    row="$(parse_wrk "$f")" || die "could not parse wrk output $f: $(head -c 500 "$f")"
  fi
  read -r n rps p50 p99 errors <<<"$row"
  echo "$tool,$target,$c,$round,$n,$rps,$p50,$p99,$errors" >>"$csv"
  log "$(printf '%-4s %-9s c=%-3s round %s: %10.1f req/s  p50 %7.3f ms  p99 %7.3f ms  errors %s' \
    "$tool" "$target" "$c" "$round" "$rps" "$p50" "$p99" "$errors")"
}

has_c() { [[ " ${concurrencies[*]} " == *" $1 "* ]]; }

for target in "${targets[@]}"; do
  log "JIT warm-up: $JIT_WARMUP of c=64 load, then of c=1, on $target"
  bench_fg hey -z "$JIT_WARMUP" -c 64 "${url[$target]}" >/dev/null
  bench_fg hey -z "$JIT_WARMUP" -c 1 "${url[$target]}" >/dev/null
done

echo "tool,target,concurrency,round,requests,rps,p50_ms,p99_ms,errors" >"$csv"
for c in "${concurrencies[@]}"; do
  for ((round = 1; round <= ROUNDS; round++)); do
    for ((i = 0; i < ${#targets[@]}; i++)); do
      target="${targets[(i + round - 1) % ${#targets[@]}]}" # rotate the order each round
      for tool in "${tools[@]}"; do measure "$tool" "$target" "$c" "$round"; done
    done
  done
done

read -r endpoint_after _ <<<"$(isola_ready_endpoint hello)" || true
[[ "${endpoint_after:-}" == "$endpoint" ]] ||
  log "warning: the ready instance changed during the run ($endpoint -> ${endpoint_after:-none}); direct/nginx rows may hold errors"

# --- summary -------------------------------------------------------------------------------------------

declare -A med
col() { # TOOL TARGET C COLUMN -> median of that column over the rounds (sum for errors)
  if [[ "$4" == 9 ]]; then
    awk -F, -v t="$1" -v g="$2" -v c="$3" '$1 == t && $2 == g && $3 == c { s += $9 } END { print s + 0 }' "$csv"
  else
    awk -F, -v t="$1" -v g="$2" -v c="$3" -v k="$4" '$1 == t && $2 == g && $3 == c { print $k }' "$csv" | median
  fi
}
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
verdict() { awk -v v="$1" -v t="$3" "BEGIN { print (v $2 t) ? \"MET\" : \"MISSED\" }"; }

{
  echo
  echo "Warm Go hello, median of $ROUNDS interleaved rounds (hey: -n $N1 at c=1, -n $N64 at c=64)"
  printf '%-5s %-9s %4s %12s %9s %9s %7s\n' tool target c rps "p50 ms" "p99 ms" errors
  for tool in "${tools[@]}"; do
    for c in "${concurrencies[@]}"; do
      for target in "${targets[@]}"; do
        for k in 6 7 8 9; do med[$tool.$target.$c.$k]="$(col "$tool" "$target" "$c" "$k")"; done
        printf '%-5s %-9s %4s %12.1f %9.3f %9.3f %7s\n' "$tool" "$target" "$c" "${med[$tool.$target.$c.6]}" \
          "${med[$tool.$target.$c.7]}" "${med[$tool.$target.$c.8]}" "${med[$tool.$target.$c.9]}"
      done
    done
  done
  echo
  for tool in "${tools[@]}"; do
    res="0.001"; [[ "$tool" == hey ]] && res="0.1"
    echo "Derived ($tool; latency resolution $res ms):"
    has_c 1 && for t in "${gateways[@]}" nginx; do
      printf '  %-9s added latency vs direct at c=1:  p50 %+.3f ms   p99 %+.3f ms\n' "$t" \
        "$(calc "${med[$tool.$t.1.7]} - ${med[$tool.direct.1.7]}")" "$(calc "${med[$tool.$t.1.8]} - ${med[$tool.direct.1.8]}")"
    done
    if [[ "$tool" == hey ]] && has_c 1; then
      # At c=1, 1/rps is the mean latency with 1 µs resolution: a finer view than hey's percentiles.
      printf '  gateway added mean latency at c=1 (from 1/rps): %+.3f ms; nginx: %+.3f ms\n' \
        "$(calc "1000 / ${med[hey.gateway.1.6]} - 1000 / ${med[hey.direct.1.6]}")" \
        "$(calc "1000 / ${med[hey.nginx.1.6]} - 1000 / ${med[hey.direct.1.6]}")"
    fi
    has_c 64 || continue
    for t in "${gateways[@]}"; do
      printf '  throughput at c=64: %s/nginx %.3f   %s/direct %.3f\n' "$t" \
        "$(calc "${med[$tool.$t.64.6]} / ${med[$tool.nginx.64.6]}")" "$t" \
        "$(calc "${med[$tool.$t.64.6]} / ${med[$tool.direct.64.6]}")"
    done
    printf '  throughput at c=64: nginx/direct %.3f\n' "$(calc "${med[$tool.nginx.64.6]} / ${med[$tool.direct.64.6]}")"
  done
  # The latency targets are judged on the finest tool run; the throughput target on every tool.
  lt="${tools[-1]}"
  echo
  echo "Targets:"
  if has_c 1; then
    added="$(calc "${med[$lt.gateway.1.7]} - ${med[$lt.direct.1.7]}")"
    added99="$(calc "${med[$lt.gateway.1.8]} - ${med[$lt.direct.1.8]}")"
    nginx99="$(calc "${med[$lt.nginx.1.8]} - ${med[$lt.direct.1.8]}")"
    printf '  gateway added p50 at c=1 (%s)   %+.3f ms  target <= %s ms  %s\n' "$lt" "$added" \
      "$TARGET_ADDED_P50_MS" "$(verdict "$added" '<=' "$TARGET_ADDED_P50_MS")"
    printf '  gateway added p99 at c=1 (%s)   %+.3f ms  target <= nginx %+.3f ms  %s\n' "$lt" "$added99" \
      "$nginx99" "$(verdict "$added99" '<=' "$nginx99")"
  fi
  has_c 64 && for tool in "${tools[@]}"; do
    ratio="$(calc "${med[$tool.gateway.64.6]} / ${med[$tool.nginx.64.6]}")"
    printf '  gateway/nginx throughput at c=64 (%s) %.3f     target >= %s     %s\n' "$tool" "$ratio" \
      "$TARGET_RPS_RATIO" "$(verdict "$ratio" '>=' "$TARGET_RPS_RATIO")"
  done
  errs="$(awk -F, 'NR > 1 { s += $9 } END { print s + 0 }' "$csv")"
  [[ "$errs" == 0 ]] || echo "  WARNING: $errs failed requests in total; see $csv"
} | tee "$results/gateway-latency-summary.txt"
log "results in $results"
