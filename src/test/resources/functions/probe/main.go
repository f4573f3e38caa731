// probe: a test function that can be told to misbehave. Used by the contract and gateway tests.
package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	flakyMu    sync.Mutex
	flakyCalls = map[string]int{}
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-exit" {
		os.Exit(0) // the child of /newns: it only has to exist
	}
	if os.Getenv("PROBE_FAIL_AT_START") != "" {
		fmt.Println("probe: configured to fail at start")
		os.Exit(2)
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	ln, err := net.Listen("tcp", os.Getenv("HOST")+":"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	fmt.Println("probe listening on", ln.Addr(), "instance", os.Getenv("ISOLA_INSTANCE"))
	if url := os.Getenv("ISOLA_READY_URL"); url != "" && os.Getenv("PROBE_NO_CALLBACK") == "" {
		go http.Post(url, "text/plain", nil)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		fmt.Fprint(w, "ok")
	})
	echo := func(w http.ResponseWriter, r *http.Request) {
		// Reflects the request so tests can check what the gateway forwarded.
		h := sha256.New()
		n, _ := io.Copy(h, r.Body)
		names := make([]string, 0, len(r.Header))
		for k := range r.Header {
			names = append(names, k)
		}
		sort.Strings(names)
		w.Header().Set("X-Echo-Method", r.Method)
		w.Header().Set("X-Echo-Uri", r.RequestURI)
		w.Header().Set("X-Echo-Headers", strings.Join(names, ","))
		w.Header().Set("X-Echo-Test", r.Header.Get("X-Test"))
		w.Header().Set("X-Echo-Call-Id", strings.Join(r.Header.Values("X-Call-Id"), ","))
		w.Header().Set("X-Echo-Body-Sha256", hex.EncodeToString(h.Sum(nil)))
		w.Header().Set("X-Echo-Body-Length", strconv.FormatInt(n, 10))
		w.WriteHeader(201)
		fmt.Fprint(w, "echo")
	}
	mux.HandleFunc("/echo", echo)
	mux.HandleFunc("/echo/", echo)
	mux.HandleFunc("/sleep", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
		fmt.Fprint(w, "slept")
	})
	mux.HandleFunc("/trickle", func(w http.ResponseWriter, r *http.Request) {
		// The head at once, the body ?ms= later (an answer that comes slowly).
		w.Write([]byte("started "))
		w.(http.Flusher).Flush()
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
		fmt.Fprint(w, "done")
	})
	mux.HandleFunc("/status", func(w http.ResponseWriter, r *http.Request) {
		// Answers ?code= (retries of asynchronous calls), after ?ms= if given.
		code, _ := strconv.Atoi(r.URL.Query().Get("code"))
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
		w.WriteHeader(code)
		fmt.Fprintf(w, "status %d", code)
	})
	mux.HandleFunc("/flaky", func(w http.ResponseWriter, r *http.Request) {
		// Answers 503 to the first ?fails= calls of each ?key=, then 200: a function that recovers.
		key := r.URL.Query().Get("key")
		fails, _ := strconv.Atoi(r.URL.Query().Get("fails"))
		flakyMu.Lock()
		flakyCalls[key]++
		n := flakyCalls[key]
		flakyMu.Unlock()
		if n <= fails {
			w.WriteHeader(503)
			fmt.Fprintf(w, "failing %d of %d", n, fails)
			return
		}
		fmt.Fprintf(w, "recovered after %d", n-1)
	})
	// /unlisten: closes the listener before it answers, and lives on: a sandbox that runs but takes no new
	// connection, which the gateway has to route around.
	var unlistened atomic.Bool
	mux.HandleFunc("/unlisten", func(w http.ResponseWriter, r *http.Request) {
		unlistened.Store(true)
		ln.Close()
		w.Header().Set("Connection", "close")
		fmt.Fprint(w, "no longer listening")
	})
	mux.HandleFunc("/crash", func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("crashing on request")
		os.Exit(3)
	})
	mux.HandleFunc("/bytes", func(w http.ResponseWriter, r *http.Request) {
		// Streams n bytes of a deterministic pattern; chunked unless ?length=1.
		n, _ := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
		if r.URL.Query().Get("length") == "1" {
			w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		}
		buf := make([]byte, 64*1024)
		for i := range buf {
			buf[i] = byte(i % 251)
		}
		for n > 0 {
			k := int64(len(buf))
			if n < k {
				k = n
			}
			w.Write(buf[:k])
			n -= k
		}
	})
	mux.HandleFunc("/print", func(w http.ResponseWriter, r *http.Request) {
		// Prints n bytes to stdout with no newline, then a newline and "printed": a line far past any sane length.
		n, _ := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
		buf := []byte(strings.Repeat("x", 64*1024))
		for n > 0 {
			k := int64(len(buf))
			if n < k {
				k = n
			}
			os.Stdout.Write(buf[:k])
			n -= k
		}
		fmt.Println()
		fmt.Println("printed")
		fmt.Fprint(w, "printed")
	})
	mux.HandleFunc("/env", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s\n", os.Getenv(r.URL.Query().Get("name")))
	})
	mux.HandleFunc("/dial", func(w http.ResponseWriter, r *http.Request) {
		// Reports whether this instance can open a TCP connection to addr (network isolation tests).
		c, err := net.DialTimeout("tcp", r.URL.Query().Get("addr"), 2*time.Second)
		if err != nil {
			fmt.Fprint(w, "failed: ", err)
			return
		}
		c.Close()
		fmt.Fprint(w, "connected")
	})
	mux.HandleFunc("/keyctl", func(w http.ResponseWriter, r *http.Request) {
		// keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, create): allowed to any unprivileged process
		// unless a seccomp filter denies it (the seccomp test).
		const keyctlGetKeyringID = 0
		keySpecSessionKeyring := -3
		_, _, errno := syscall.Syscall(syscall.SYS_KEYCTL, keyctlGetKeyringID, uintptr(keySpecSessionKeyring), 1)
		if errno != 0 {
			fmt.Fprint(w, "failed: ", errno.Error())
			return
		}
		fmt.Fprint(w, "ok")
	})
	mux.HandleFunc("/fallocate", func(w http.ResponseWriter, r *http.Request) {
		// fallocate(stdout, FALLOC_FL_KEEP_SIZE, 0, 1 MiB): disk for the console file that its size does not show.
		const keepSize = 1
		if err := syscall.Fallocate(1, keepSize, 0, 1<<20); err != nil {
			fmt.Fprint(w, "failed: ", err.Error())
			return
		}
		fmt.Fprint(w, "ok")
	})
	mux.HandleFunc("/newns", func(w http.ResponseWriter, r *http.Request) {
		// Starts a child in a new user and network namespace (clone with CLONE_NEWUSER|CLONE_NEWNET), which any
		// unprivileged process may do unless a seccomp filter denies it: inside, it would hold CAP_NET_ADMIN.
		cmd := exec.Command("/proc/self/exe", "-exit")
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET}
		if err := cmd.Run(); err != nil {
			fmt.Fprint(w, "failed: ", err)
			return
		}
		fmt.Fprint(w, "ok")
	})
	mux.HandleFunc("/tmpwrite", func(w http.ResponseWriter, r *http.Request) {
		// Reports whether the function can write to its temporary directory (every sandbox must allow it).
		f, err := os.CreateTemp("", "probe-*")
		if err != nil {
			fmt.Fprint(w, "failed: ", err)
			return
		}
		f.Close()
		os.Remove(f.Name())
		fmt.Fprint(w, "ok")
	})
	mux.HandleFunc("/oomscore", func(w http.ResponseWriter, r *http.Request) {
		b, err := os.ReadFile("/proc/self/oom_score_adj")
		if err != nil {
			fmt.Fprint(w, "failed: ", err)
			return
		}
		w.Write(b)
	})
	mux.HandleFunc("/pid", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, os.Getpid())
	})
	mux.HandleFunc("/random", func(w http.ResponseWriter, r *http.Request) {
		// 16 bytes from the kernel's generator and the wall clock (Unix ms), after ?ms= of sleep: clones of one
		// microVM template must differ in the first and be right in the second.
		if ms, err := strconv.Atoi(r.URL.Query().Get("ms")); err == nil {
			time.Sleep(time.Duration(ms) * time.Millisecond)
		}
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprintf(w, "%s %d", hex.EncodeToString(b), time.Now().UnixMilli())
	})
	mux.HandleFunc("/forkloop", func(w http.ResponseWriter, r *http.Request) {
		// A detached shell that forks for ever (each child lives a minute): what a stop must not let outlive it.
		cmd := exec.Command("/bin/sh", "-c", "while :; do sleep 60 & done")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			fmt.Fprint(w, "failed: ", err)
			return
		}
		fmt.Fprint(w, "started")
	})
	mux.HandleFunc("/uid", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, os.Getuid())
	})
	mux.HandleFunc("/nofile", func(w http.ResponseWriter, r *http.Request) {
		// The open-file limit, soft and hard (Go raises its soft limit to the hard one as it starts).
		var limit syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &limit); err != nil {
			fmt.Fprint(w, "failed: ", err)
			return
		}
		fmt.Fprintf(w, "%d %d", limit.Cur, limit.Max)
	})
	mux.HandleFunc("/read", func(w http.ResponseWriter, r *http.Request) {
		// Reports whether the function can read the file at ?path= (Isola's state, the host's secrets must not be).
		b, err := os.ReadFile(r.URL.Query().Get("path"))
		if err != nil {
			fmt.Fprint(w, "failed: ", err)
			return
		}
		fmt.Fprintf(w, "read %d bytes", len(b))
	})
	mux.HandleFunc("/corelimit", func(w http.ResponseWriter, r *http.Request) {
		// The core dump size limit, soft and hard.
		var limit syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_CORE, &limit); err != nil {
			fmt.Fprint(w, "failed: ", err)
			return
		}
		fmt.Fprintf(w, "%d %d", limit.Cur, limit.Max)
	})
	mux.HandleFunc("/reopen-stdout", func(w http.ResponseWriter, r *http.Request) {
		// Reports whether the function can open its own stdout anew for reading and writing: a console file the
		// function owned could be mapped and written past what the host's reader bounds.
		f, err := os.OpenFile("/proc/self/fd/1", os.O_RDWR, 0)
		if err != nil {
			fmt.Fprint(w, "failed: ", err)
			return
		}
		f.Close()
		fmt.Fprint(w, "opened")
	})
	// /connections: how many connections the server has accepted, so that tests can tell whether the platform
	// sent its first request on the connection its readiness probe opened.
	var accepted atomic.Int64
	mux.HandleFunc("/connections", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, accepted.Load())
	})
	server := &http.Server{Handler: mux, ConnState: func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			accepted.Add(1)
		}
	}}
	server.Serve(ln)
	if unlistened.Load() {
		for { // until the platform stops the instance (a bare select{} would be a deadlock to the runtime)
			time.Sleep(time.Hour)
		}
	}
}
