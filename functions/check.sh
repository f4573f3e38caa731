#!/usr/bin/env bash
# Conformance check of the example functions, without Isola: builds/starts each Go, Node.js and Python
# workload by hand as Isola would (PORT, HOST, TMPDIR, ISOLA_* env; the Python ones through Isola's
# handler-mode wrapper and waitress), and checks the readiness callback, keep-alive, the answers (the
# twins must agree byte for byte) and the 400s.
#
# Usage: functions/check.sh [go|node|python ...]   (default: all three). Needs go, node, curl, python3,
# and for python Debian's /usr/bin/python3 with python3-waitress.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
langs=("$@")
[[ ${#langs[@]} -gt 0 ]] || langs=(go node python)
for lang in "${langs[@]}"; do
  [[ "$lang" == go || "$lang" == node || "$lang" == python ]] || { echo "unknown language: $lang (go, node or python)" >&2; exit 2; }
done

work="$(mktemp -d -t isola-check.XXXXXX)"
pids=()
cleanup() {
  # Only the processes this script started, by PID (each function runs in its own process group).
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Python and Node.js functions run as Isola runs them: its wrapper (Python's on Debian's interpreter, isolated,
# waitress from here).
py_wrapper="$here/../src/main/resources/dev/isola/function/handler-wrapper.py"
node_wrapper="$here/../src/main/resources/dev/isola/function/handler-wrapper.cjs"
node_lazy_fetch="$here/../src/main/resources/dev/isola/function/lazy-fetch.cjs"
go_main="$here/../src/main/resources/dev/isola/function/handler-main.go.tmpl"
py_interpreter=/usr/bin/python3
py_packages=/usr/lib/python3/dist-packages

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

failures=0
ok()   { printf '  ok   %s\n' "$1"; }
bad()  { printf '  FAIL %s\n' "$1"; failures=$((failures + 1)); }
expect() { # name want got
  if [[ "$2" == "$3" ]]; then ok "$1"; else bad "$1: want [$2] got [$3]"; fi
}

# Readiness callback listener: appends the path of every POST with an empty body to $work/ready.log.
cb_port="$(free_port)"
# shellcheck disable=SC2016 # JavaScript, not shell
node -e '
  const fs = require("fs");
  require("http").createServer((q, s) => {
    let n = 0; q.on("data", (c) => n += c.length);
    q.on("end", () => { fs.appendFileSync(process.argv[1], `${q.method} ${q.url} ${n}\n`); s.end("ok"); });
  }).listen(Number(process.argv[2]), "127.0.0.1");' "$work/ready.log" "$cb_port" &
pids+=("$!")
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$cb_port/" 2>/dev/null && break; sleep 0.05; done
: > "$work/ready.log"

# Expected bodies, computed independently of the functions.
matrix_sum() { python3 -c '
import sys; n=int(sys.argv[1])
rb=[sum((3*k+j)%5 for j in range(n)) for k in range(n)]
print(sum((i+2*k)%7*rb[k] for i in range(n) for k in range(n)))' "$1"; }
data_sha() { python3 -c '
import hashlib,sys; n=int(sys.argv[1])<<20; p=bytes(range(251)); h=hashlib.sha256()
b=(p*(n//251+1))[:n]; h.update(b); print(h.hexdigest())' "$1"; }

# start LANG WORKLOAD -> sets $url and $name; waits for the readiness callback.
start() {
  local lang="$1" w="$2" port tmp
  name="$w"; [[ "$lang" == go ]] || name="$lang-$w"
  port="$(free_port)"; tmp="$work/tmp-$name"; mkdir -p "$tmp"
  local cmd
  if [[ "$lang" == go ]] && ! grep -q '^handler:' "$here/go/$w/function.yaml"; then
    (cd "$here/go/$w" && CGO_ENABLED=0 go build -o "$work/$name" .)   # server mode: its own main
    cmd=("$work/$name")
  elif [[ "$lang" == go ]]; then
    # The binary Isola builds in handler mode: the function's module plus the main it generates beside it.
    local dir="$work/src-$name" module
    cp -r "$here/go/$w" "$dir"; mkdir "$dir/isola_handler_main"
    module="$(sed -n 's/^module  *//p' "$dir/go.mod")"
    sed -e "s|__ISOLA_IMPORT__|$module|" -e "s|__ISOLA_HANDLER__|Handle|" "$go_main" >"$dir/isola_handler_main/main.go"
    (cd "$dir" && CGO_ENABLED=0 go build -o "$work/$name" ./isola_handler_main)
    cmd=("$work/$name")
  elif [[ "$lang" == node && -f "$here/node/$w/index.js" ]]; then # server mode: its own serve.js
    cmd=(node "$here/node/$w/index.js")
  elif [[ "$lang" == node ]]; then
    # The artefact Isola builds: the function's directory plus the wrapper in .isola/.
    local dir="$work/src-$name"
    cp -r "$here/node/$w" "$dir"; mkdir "$dir/.isola"; cp "$node_wrapper" "$node_lazy_fetch" "$dir/.isola/"
    cmd=(env -C "$dir" node .isola/handler-wrapper.cjs handler.js)
  else
    # The artefact Isola builds: the function's directory plus the wrapper in .isola/; one waitress thread per
    # request the manifest lets an instance serve at once, at most 16.
    local dir="$work/src-$name" threads
    cp -r "$here/python/$w" "$dir"; mkdir "$dir/.isola"; cp "$py_wrapper" "$dir/.isola/handler_wrapper.py"
    threads="$(sed -n 's/.*concurrency: *\([0-9]*\).*/\1/p' "$dir/function.yaml")"
    cmd=(env -C "$dir" "$py_interpreter" -I -B -S -u .isola/handler_wrapper.py "$py_packages"
         "$(( threads < 16 ? threads : 16 ))" main:app)
  fi
  PORT="$port" HOST=127.0.0.1 TMPDIR="$tmp" ISOLA_FUNCTION="$name" ISOLA_INSTANCE="check-$name" \
    ISOLA_READY_URL="http://127.0.0.1:$cb_port/ready/$name" setsid "${cmd[@]}" 2>"$work/$name.log" &
  pids+=("$!")
  url="http://127.0.0.1:$port"
  for _ in $(seq 200); do grep -q "/ready/$name " "$work/ready.log" && break; sleep 0.025; done
  expect "$name: one ready callback (POST, empty body)" "POST /ready/$name 0" "$(grep "/ready/$name " "$work/ready.log" || true)"
}
get() { curl -s "$@"; }
status() { curl -s -o /dev/null -w '%{http_code}\n' "$@"; }
ctype() { curl -s -o /dev/null -w '%{content_type}\n' "$@"; }

declare -A answers
for lang in "${langs[@]}"; do
  echo "== $lang"
  start "$lang" hello
  expect "hello GET" ok "$(get "$url/")"
  expect "hello POST body, sub-path" ok "$(get -X POST --data-binary @"$here/README.md" "$url/a/b?c=d")"
  # Two requests in one curl: the second must reuse the connection (num_connects 0).
  expect "hello keep-alive" "1 0" "$(curl -s -o /dev/null -o /dev/null -w '%{num_connects} ' "$url/" "$url/" | xargs)"
  answers[$lang.hello]="$(get "$url/")"
  if [[ "$lang" != python ]]; then # hello again, as a server-mode function: its own serve.go / serve.js
    start "$lang" hello-server
    expect "hello-server GET" ok "$(get "$url/")"
    expect "hello-server keep-alive" "1 0" \
      "$(curl -s -o /dev/null -o /dev/null -w '%{num_connects} ' "$url/" "$url/" | xargs)"
  fi

  start "$lang" fib
  answers[$lang.fib]="$(get "$url/")"
  expect "fib default (30)" 832040 "${answers[$lang.fib]}"
  expect "fib n=0" 0 "$(get "$url/?n=0")"
  if [[ "$lang" == python ]]; then # naive recursion in CPython: n=40 would take about 15 s
    expect "fib n=32" 2178309 "$(get "$url/x?n=32")"
  else
    expect "fib n=40" 102334155 "$(get "$url/x?n=40")"
  fi
  expect "fib 400s" "400 400 400 400" "$(for q in n=46 n=-1 n=abc n=1.5; do status "$url/?$q"; done | xargs)"
  answers[$lang.fib400]="$(get "$url/?n=46")"
  answers[$lang.fibtypes]="$(ctype "$url/" | xargs) / $(ctype "$url/?n=46" | xargs)"
  # Query edge cases: sign, leading zeros, an encoded key, a repeated parameter, an empty value.
  answers[$lang.fibquery]="$(for q in n=%2B7 n=-0 n=0008 %6E=9 n=3\&n=4 n= n=%2B n=0x1 n=1e1 n=%207; do
    printf '%s ' "$(status "$url/?$q")"; get "$url/?$q"; done)"

  start "$lang" matrix
  expect "matrix n=3" "$(matrix_sum 3)" "$(get "$url/?n=3")"
  answers[$lang.matrix]="$(get "$url/")"
  expect "matrix default (1024)" "$(matrix_sum 1024)" "${answers[$lang.matrix]}"
  expect "matrix 400s" "400 400" "$(status "$url/?n=0") $(status "$url/?n=2049")"
  answers[$lang.matrix400]="$(get "$url/?n=2049")"

  start "$lang" alloc
  answers[$lang.alloc]="$(get "$url/")"
  expect "alloc default (50 MiB)" 52428800 "${answers[$lang.alloc]}"
  expect "alloc mib=1" 1048576 "$(get "$url/?mib=1")"
  expect "alloc 400s" "400 400" "$(status "$url/?mib=0") $(status "$url/?mib=4097")"
  answers[$lang.alloc400]="$(get "$url/?mib=4097")"

  start "$lang" static
  # Four concurrent first requests: one creation, four identical complete bodies.
  curls=()
  for i in 1 2 3 4; do curl -s -D "$work/static-h$i" -o "$work/static-b$i" "$url/" & curls+=("$!"); done
  for p in "${curls[@]}"; do wait "$p" || true; done
  want="$(data_sha 50)"
  for i in 1 2 3 4; do expect "static concurrent first #$i sha256" "$want" "$(sha256sum < "$work/static-b$i" | cut -d' ' -f1)"; done
  expect "static Content-Length" 52428800 "$(tr -d '\r' < "$work/static-h1" | awk -F': ' 'tolower($1)=="content-length"{print $2}')"
  expect "static mib=1 sha256" "$(data_sha 1)" "$(get "$url/?mib=1" | sha256sum | cut -d' ' -f1)"
  expect "static HEAD" "200 0" "$(curl -s -I -o /dev/null -w '%{http_code} %{size_download}' "$url/?mib=1")"
  expect "static one data file per size" 2 "$(find "$work/tmp-$name" -name 'isola-static-*' | wc -l)"
  expect "static 400" 400 "$(status "$url/?mib=0")"
  answers[$lang.static400]="$(get "$url/?mib=0")"
  answers[$lang.statictypes]="$(ctype "$url/?mib=1" | xargs) / $(ctype "$url/?mib=0" | xargs)"

  start "$lang" read
  body="$(get "$url/")"
  expect "read default shape" 1 "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(int(d["bytes"]==52428800 and isinstance(d["micros"],int) and d["micros"]>0))' "$body")"
  echo "       read: $body"
  answers[$lang.read]="$(get "$url/?mib=1" | sed 's/"micros":[0-9]*/"micros":_/')"
  expect "read 400" 400 "$(status "$url/?mib=1025")"
  answers[$lang.read400]="$(get "$url/?mib=1025")"
  answers[$lang.readtypes]="$(ctype "$url/?mib=1" | xargs) / $(ctype "$url/?mib=1025" | xargs)"
done

# Every language against the first one given: the twins answer byte for byte the same.
ref="${langs[0]}"
for lang in "${langs[@]:1}"; do
  echo "== $lang and $ref twins agree"
  for k in hello fib fib400 fibtypes fibquery matrix matrix400 alloc alloc400 static400 statictypes read read400 \
      readtypes; do
    expect "$k" "${answers[$ref.$k]}" "${answers[$lang.$k]}"
  done
done

if [[ $failures -gt 0 ]]; then echo "$failures check(s) failed (logs in $work are removed on exit)"; exit 1; fi
echo "all checks passed"
