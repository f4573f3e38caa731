#!/usr/bin/env bash
# Rollbacks and traffic shifts under load (issue 19): hey keeps C concurrent callers on a function for SECONDS while
# the operator rolls back and forth between two versions and shifts traffic between them every STEP seconds. Every
# answer must be a 200: a switch lets calls in flight finish on the version they started on.
#
#   bench/rollback-load.sh         BACKEND=process|runc|crun  C=64  SECONDS_=20  STEP=0.5
set -euo pipefail

source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

C="${C:-64}"
DURATION="${SECONDS_:-20}"
STEP="${STEP:-0.5}"
need curl; need hey

bench_init
trap 'bench_cleanup $?' EXIT
results="$(bench_results_dir rollback-load.txt)"
isola_start

admin() { curl -fsS -o /dev/null --max-time 30 -H "Authorization: Bearer $ISOLA_TOKEN_VALUE" "$@"; }
for v in 1 2; do
  cp -r functions/go/hello-server "$BENCH_TMP/v$v"
  printf 'name: flip\nruntime: go\nenv: {VERSION: "%s"}\nscaling: {maxInstances: 4}\n' "$v" \
    >"$BENCH_TMP/v$v/function.yaml"
  isola_deploy flip "$BENCH_TMP/v$v"
done
curl -fsS -o /dev/null "$ISOLA_URL/function/flip"

log "hey -c $C for ${DURATION}s, a rollback or a traffic shift every ${STEP}s"
hey -c "$C" -z "${DURATION}s" "$ISOLA_URL/function/flip" >"$BENCH_TMP/hey.txt" &
hey_pid=$!
switches=0
end=$((SECONDS + DURATION))
while ((SECONDS < end)); do
  case $((switches % 4)) in
    0) admin -X POST "$ISOLA_ADMIN_URL/system/functions/flip/rollback" ;;
    1) admin -X PUT -H 'Content-Type: application/json' -d '{"weights": {"1": 50, "2": 50}}' \
         "$ISOLA_ADMIN_URL/system/functions/flip/traffic" ;;
    2) admin -X PUT -H 'Content-Type: application/json' -d '{"weights": {"1": 10, "2": 90}}' \
         "$ISOLA_ADMIN_URL/system/functions/flip/traffic" ;;
    3) admin -X POST -H 'Content-Type: application/json' -d '{"version": 2}' \
         "$ISOLA_ADMIN_URL/system/functions/flip/rollback" ;;
  esac
  switches=$((switches + 1))
  sleep "$STEP"
done
wait "$hey_pid"
total="$(awk '/\[[0-9]+\]/ { gsub(/[\[\]]/, "", $1); n += $2 } END { print n + 0 }' "$BENCH_TMP/hey.txt")"
ok="$(awk '$1 == "[200]" { print $2 }' "$BENCH_TMP/hey.txt")"
errors="$(grep -A20 '^Error distribution' "$BENCH_TMP/hey.txt" | grep -c '\[' || true)"
{
  echo "switches: $switches (rollbacks and traffic shifts)"
  echo "answers: $total, of them 200: ${ok:-0}, connection errors: $errors"
  grep -E 'Requests/sec|Status code distribution' -A4 "$BENCH_TMP/hey.txt"
} | tee "$results/rollback-load.txt" >&2
[[ "${ok:-0}" == "$total" && "$errors" == 0 ]] || die "some calls failed during the switches"
log "zero failed calls in $total across $switches switches"
