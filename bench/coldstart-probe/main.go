// coldstart-probe times a cold start by hand: it starts a command, polls a URL with a fresh TCP
// connection every interval until it answers 200, prints the elapsed microseconds (from just before
// the start to the 200) on stdout, and kills the command's process group.
//
//	coldstart-probe [-port-env PORT] [-url http://127.0.0.1:{port}/] [-interval 1ms] [-timeout 10s] -- cmd args...
//	coldstart-probe -free-port      # prints a free TCP port on 127.0.0.1 and exits
//	coldstart-probe -burst [-interval 1ms] [-timeout 10s] < LINES
//	coldstart-probe -calls N -url URL [-cold] [-timeout 10s]
//
// -burst starts many at once, for burst baselines: each stdin line is "URL COMMAND [ARGS...]" (split on
// spaces); all commands start together, one process polls every URL, and it prints one elapsed time in
// microseconds per line, in input order. One poller instead of one per command keeps the baseline from
// paying for n probe processes that the platform under test does not run.
//
// -calls is the platform's side of the same burst: N concurrent GETs of URL (one connection each) from this one
// process, all released together; it prints each call's elapsed microseconds, in call order, and fails unless
// every call answered 200; with -cold it exits with status 3 unless the platform said each was a cold start
// (X-Isola-Cold-Start: true).
//
// With -port-env the probe picks a free port, passes it to the command in that environment variable and
// substitutes it for {port} in the URL. Exit status: 0 on a 200, 1 on timeout or early exit, 2 on usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:{port}/", "URL to poll; {port} is replaced by the -port-env port")
	portEnv := flag.String("port-env", "", "pick a free port and pass it to the command in this variable")
	interval := flag.Duration("interval", time.Millisecond, "pause after a failed poll")
	attempt := flag.Duration("attempt", 100*time.Millisecond, "give up on one poll after this long (a SYN sent before the address is up would otherwise wait for TCP's 1 s retransmission)")
	timeout := flag.Duration("timeout", 10*time.Second, "give up after this long")
	freePort := flag.Bool("free-port", false, "print a free port and exit")
	burst := flag.Bool("burst", false, "start every stdin line's command at once and poll its URL")
	calls := flag.Int("calls", 0, "send this many concurrent GETs of -url and print each one's time")
	cold := flag.Bool("cold", false, "with -calls: fail unless every answer has X-Isola-Cold-Start: true")
	flag.Parse()

	if *calls > 0 {
		runCalls(*calls, *url, *cold, *timeout)
		return
	}
	if *burst {
		runBurst(*interval, *attempt, *timeout)
		return
	}
	if *freePort {
		p, err := pickPort()
		if err != nil {
			fail(1, "failed to find a free port: %v", err)
		}
		fmt.Println(p)
		return
	}
	if flag.NArg() == 0 {
		fail(2, "usage: coldstart-probe [flags] -- command args...")
	}
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	// Own process group, so that the kill below reaches the command and its children and nothing else.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	target := *url
	if *portEnv != "" {
		p, err := pickPort()
		if err != nil {
			fail(1, "failed to find a free port: %v", err)
		}
		cmd.Env = append(os.Environ(), *portEnv+"="+strconv.Itoa(p))
		target = strings.ReplaceAll(target, "{port}", strconv.Itoa(p))
	}

	// A fresh connection per poll: no keep-alive, no pooled connection that could hide a dead server.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	exited := make(chan error, 1)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		fail(1, "failed to start %s: %v", flag.Arg(0), err)
	}
	go func() { exited <- cmd.Wait() }()
	elapsed, err := poll(client, target, start, *interval, *attempt, *timeout, exited)
	// Killing -pid is safe: the group leader is our child and is not reaped (its PID cannot be reused)
	// until cmd.Wait returns, which happens only after it has died.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-exited
	if err != nil {
		fail(1, "%v", err)
	}
	fmt.Println(elapsed.Microseconds())
}

func poll(client *http.Client, url string, start time.Time, interval, attempt, timeout time.Duration, exited chan error) (time.Duration, error) {
	deadline := start.Add(timeout)
	for {
		attemptDeadline := time.Now().Add(attempt)
		if attemptDeadline.After(deadline) {
			attemptDeadline = deadline
		}
		ctx, cancel := context.WithDeadline(context.Background(), attemptDeadline)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				cancel()
				return time.Since(start), nil
			}
		}
		cancel()
		select {
		case werr := <-exited:
			exited <- werr // for main's <-exited
			return 0, fmt.Errorf("command exited before answering 200: %v", werr)
		default:
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("last answer was not 200")
			}
			return 0, fmt.Errorf("no 200 from %s within %s: %v", url, timeout, err)
		}
		time.Sleep(interval)
	}
}

type burstEntry struct {
	url  string
	argv []string
}

func runBurst(interval, attempt, timeout time.Duration) {
	var entries []burstEntry
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(1, "failed to read stdin: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if len(fields) < 2 {
			fail(2, "burst line %q: want URL COMMAND [ARGS...]", line)
		}
		entries = append(entries, burstEntry{fields[0], fields[1:]})
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	type result struct {
		elapsed time.Duration
		err     error
	}
	results := make([]result, len(entries))
	cmds := make([]*exec.Cmd, len(entries))
	exits := make([]chan error, len(entries))
	start := time.Now()
	for i, e := range entries {
		cmd := exec.Command(e.argv[0], e.argv[1:]...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			fail(1, "failed to start %s: %v", e.argv[0], err)
		}
		cmds[i] = cmd
		exits[i] = make(chan error, 1)
		go func(c *exec.Cmd, ch chan error) { ch <- c.Wait() }(cmd, exits[i])
	}
	var wg sync.WaitGroup
	for i, e := range entries {
		wg.Add(1)
		go func(i int, url string) {
			defer wg.Done()
			elapsed, err := poll(client, url, start, interval, attempt, timeout, exits[i])
			results[i] = result{elapsed, err}
		}(i, e.url)
	}
	wg.Wait()
	failed := false
	for i, c := range cmds {
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		<-exits[i]
		if results[i].err != nil {
			fmt.Fprintf(os.Stderr, "coldstart-probe: %s: %v\n", entries[i].url, results[i].err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
	for _, r := range results {
		fmt.Println(r.elapsed.Microseconds())
	}
}

func runCalls(n int, url string, cold bool, timeout time.Duration) {
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil,
		MaxConnsPerHost: 0}}
	elapsed := make([]time.Duration, n)
	errs := make([]error, n)
	warm := make([]bool, n)
	var ready, done sync.WaitGroup
	release := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	var start time.Time
	for i := 0; i < n; i++ {
		go func(i int) {
			defer done.Done()
			ready.Done()
			<-release
			resp, err := client.Get(url)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("answered %d", resp.StatusCode)
				}
				warm[i] = resp.Header.Get("X-Isola-Cold-Start") != "true"
			}
			elapsed[i], errs[i] = time.Since(start), err
		}(i)
	}
	ready.Wait()
	start = time.Now()
	close(release)
	done.Wait()
	for i, err := range errs {
		if err != nil {
			fail(1, "call %d of %s: %v", i+1, url, err)
		}
	}
	if cold {
		for i, w := range warm {
			if w {
				// A call that reached the platform after another one's instance had answered and was free again.
				fail(3, "call %d of %s was answered by a warm instance, not a cold start", i+1, url)
			}
		}
	}
	for _, e := range elapsed {
		fmt.Println(e.Microseconds())
	}
}

func pickPort() (int, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func fail(code int, format string, args ...any) {
	fmt.Fprintf(os.Stderr, "coldstart-probe: "+format+"\n", args...)
	os.Exit(code)
}
