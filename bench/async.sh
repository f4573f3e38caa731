#!/usr/bin/env bash
# Asynchronous calls (issue 19), each figure against a baseline measured in the same run:
#   1. accepted calls per second at c=64 (POST /async-function/a: each 202 waits for its call to be synced to disk,
#      batches share a sync) against synchronous warm calls at c=64 (POST /function/b, the same hello);
#   2. the time from 202 to completion of a warm hello (the server's submittedAt → finishedAt), R calls one by one;
#   3. synchronous latency of another function (b, c=1) while a backlog of BACKLOG async calls of a drains,
#      against the same without a backlog, alternated ROUNDS times.
#
#   bench/async.sh                 BACKEND=process|runc|crun  N=20000  R=50  BACKLOG=10000  SYNC_N=2000  ROUNDS=3
#                                  ASYNC_CONCURRENCY=n (a's async.concurrency; default: the manifest's default)
set -euo pipefail

source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

N="${N:-20000}"
R="${R:-50}"
BACKLOG="${BACKLOG:-10000}"
SYNC_N="${SYNC_N:-2000}"
need curl; need jq; need hey; need python3

bench_init
trap 'bench_cleanup $?' EXIT
results="$(bench_results_dir async.csv)"
csv="$results/async.csv"
isola_start

admin_get() { curl -fsS --max-time 30 -H "Authorization: Bearer $ISOLA_TOKEN_VALUE" "$ISOLA_ADMIN_URL$1"; }
for fn in a b; do
  cp -r functions/go/hello-server "$BENCH_TMP/$fn"
  printf 'name: %s\nruntime: go\nscaling: {maxInstances: 4, minInstances: 1}\n' "$fn" >"$BENCH_TMP/$fn/function.yaml"
  [[ -z "${ASYNC_CONCURRENCY:-}" ]] || printf 'async: {concurrency: %s}\n' "$ASYNC_CONCURRENCY" >>"$BENCH_TMP/$fn/function.yaml"
  isola_deploy "$fn" "$BENCH_TMP/$fn"
  curl -fsS -o /dev/null "$ISOLA_URL/function/$fn"
done

# queued : calls of a still queued or running.
queued() {
  local q r
  q="$(admin_get '/system/functions/a/calls?state=queued&limit=10000' | jq length)"
  r="$(admin_get '/system/functions/a/calls?state=running&limit=10000' | jq length)"
  echo $((q + r))
}
drained() {
  for _ in $(seq 6000); do [[ "$(queued)" == 0 ]] && return 0; sleep 0.1; done
  die "the async queue did not drain"
}

echo "figure,what,value,unit" >"$csv"

log "1. throughput at c=64: $N synchronous calls, then $N asynchronous submissions"
hey -c 64 -n "$N" -m POST -d x "$ISOLA_URL/function/b" >"$BENCH_TMP/sync.txt"
drained
hey -c 64 -n "$N" -m POST -d x "$ISOLA_URL/async-function/a" >"$BENCH_TMP/async.txt"
read -r _ sync_rps _ <<<"$(parse_hey "$BENCH_TMP/sync.txt")"
read -r _ async_rps _ <<<"$(parse_hey "$BENCH_TMP/async.txt")"
grep -q '\[202\]' "$BENCH_TMP/async.txt" || die "no 202 among the submissions: $(cat "$BENCH_TMP/async.txt")"
echo "throughput,sync calls per second,$sync_rps,1/s" >>"$csv"
echo "throughput,async accepted per second,$async_rps,1/s" >>"$csv"
log "   sync $sync_rps/s, async accepted $async_rps/s"
drained

log "2. from 202 to completion, $R warm calls one by one"
for _ in $(seq "$R"); do
  id="$(curl -fsS -o /dev/null -D - -X POST -d x "$ISOLA_URL/async-function/a" | tr -d '\r' \
    | awk -F': ' 'tolower($1) == "x-call-id" { print $2 }')"
  for _ in $(seq 2000); do
    call="$(admin_get "/system/calls/$id")"
    [[ "$(jq -r .state <<<"$call")" == succeeded ]] && break
    sleep 0.005
  done
  jq -c '{submittedAt, finishedAt}' <<<"$call"
done | python3 -c '
import sys, json, datetime, statistics
ms = []
for line in sys.stdin:
    c = json.loads(line)
    t = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    ms.append((t(c["finishedAt"]) - t(c["submittedAt"])).total_seconds() * 1000)
ms.sort()
print("completion,202 to succeeded p50,%.2f,ms" % statistics.median(ms))
print("completion,202 to succeeded p95,%.2f,ms" % ms[int(0.95 * (len(ms) - 1))])
' >>"$csv"
tail -n 2 "$csv" | sed 's/^/   /' >&2

# percentiles FILE... : p50 and p99 in ms of the requests of hey's CSVs together (hey records 0.1 ms steps).
percentiles() {
  python3 - "$@" <<'PY'
import csv, sys
t = sorted(float(r["response-time"]) * 1000 for f in sys.argv[1:] for r in csv.DictReader(open(f)))
print("%.3f %.3f" % (t[len(t) // 2], t[min(len(t) - 1, int(0.99 * len(t)))]))
PY
}
log "3. synchronous latency of b at c=1: ROUNDS=${ROUNDS:-3} rounds, each quiet and then while $BACKLOG calls of a drain"
for round in $(seq "${ROUNDS:-3}"); do
  drained
  hey -c 1 -n "$SYNC_N" -o csv "$ISOLA_URL/function/b" >"$BENCH_TMP/quiet-$round.csv"
  hey -c 64 -n "$BACKLOG" -m POST -d x "$ISOLA_URL/async-function/a" >/dev/null
  before="$(queued)"
  hey -c 1 -n "$SYNC_N" -o csv "$ISOLA_URL/function/b" >"$BENCH_TMP/backlog-$round.csv"
  after="$(queued)"
  [[ "$after" -gt 0 ]] || log "   warning: the backlog drained before the synchronous calls ended (raise BACKLOG)"
  log "   round $round: $before calls queued before, $after after"
done
read -r q50 q99 <<<"$(percentiles "$BENCH_TMP"/quiet-*.csv)"
read -r b50 b99 <<<"$(percentiles "$BENCH_TMP"/backlog-*.csv)"
{
  echo "backlog,sync p50 without backlog,$q50,ms"
  echo "backlog,sync p50 during backlog,$b50,ms"
  echo "backlog,sync p99 without backlog,$q99,ms"
  echo "backlog,sync p99 during backlog,$b99,ms"
} >>"$csv"
log "   p50 $q50 -> $b50 ms (ratio $(python3 -c "print(round($b50 / $q50, 2))")), p99 $q99 -> $b99 ms (ratio $(python3 -c "print(round($b99 / $q99, 2))"))"
drained
log "results in $csv"
column -s, -t "$csv" >&2
