#!/usr/bin/env bash
# Asynchronous calls (issue 19), each figure against a baseline measured in the same run:
#   1. accepted calls per second at c=64 (POST /async-function/a: each 202 waits for its call to be synced to disk,
#      batches share a sync) against synchronous warm calls at c=64 (POST /function/b, the same hello);
#   2. the time from 202 to completion of a warm hello (the server's submittedAt → finishedAt), R calls one by one;
#   3. synchronous latency of another function (b, c=1) while a backlog of BACKLOG async calls of a drains,
#      against the same without a backlog.
#
#   bench/async.sh                 BACKEND=process|runc|crun  N=20000  R=50  BACKLOG=10000  SYNC_N=500
#                                  ASYNC_CONCURRENCY=n (a's async.concurrency; default: the manifest's default)
set -euo pipefail

source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

N="${N:-20000}"
R="${R:-50}"
BACKLOG="${BACKLOG:-10000}"
SYNC_N="${SYNC_N:-500}"
need curl; need jq; need hey; need python3

bench_init
trap 'bench_cleanup $?' EXIT
results="$(bench_results_dir async.csv)"
csv="$results/async.csv"
isola_start

admin_get() { curl -fsS --max-time 30 -H "Authorization: Bearer $ISOLA_TOKEN_VALUE" "$ISOLA_ADMIN_URL$1"; }
for fn in a b; do
  cp -r functions/go/hello "$BENCH_TMP/$fn"
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
# hey_field OUTPUT FIELD : Requests/sec, or a latency percentile (50%, 99%) in ms.
hey_field() {
  case "$2" in
    rps) awk '/Requests\/sec:/ { print $2 }' "$1" ;;
    *) awk -v p="$2" '$1 == p && $2 == "in" { printf "%.3f\n", $3 * 1000 }' "$1" ;;
  esac
}

echo "figure,what,value,unit" >"$csv"

log "1. throughput at c=64: $N synchronous calls, then $N asynchronous submissions"
hey -c 64 -n "$N" -m POST -d x "$ISOLA_URL/function/b" >"$BENCH_TMP/sync.txt"
drained
hey -c 64 -n "$N" -m POST -d x "$ISOLA_URL/async-function/a" >"$BENCH_TMP/async.txt"
sync_rps="$(hey_field "$BENCH_TMP/sync.txt" rps)"
async_rps="$(hey_field "$BENCH_TMP/async.txt" rps)"
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

log "3. synchronous latency of b at c=1 without a backlog, then while $BACKLOG calls of a drain"
hey -c 1 -n "$SYNC_N" "$ISOLA_URL/function/b" >"$BENCH_TMP/quiet.txt"
hey -c 64 -n "$BACKLOG" -m POST -d x "$ISOLA_URL/async-function/a" >/dev/null
before="$(queued)"
hey -c 1 -n "$SYNC_N" "$ISOLA_URL/function/b" >"$BENCH_TMP/backlog.txt"
after="$(queued)"
[[ "$after" -gt 0 ]] || log "   warning: the backlog drained before the synchronous calls ended (raise BACKLOG)"
for p in 50% 99%; do
  q="$(hey_field "$BENCH_TMP/quiet.txt" "$p")"; b="$(hey_field "$BENCH_TMP/backlog.txt" "$p")"
  echo "backlog,sync p${p%\%} without backlog,$q,ms" >>"$csv"
  echo "backlog,sync p${p%\%} during backlog,$b,ms" >>"$csv"
  log "   p${p%\%}: $q ms quiet, $b ms with the backlog ($before queued before, $after after); ratio $(python3 -c "print(round($b / $q, 2))")"
done
drained
log "results in $csv"
column -s, -t "$csv" >&2
