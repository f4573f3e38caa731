// serve.go is the Isola function contract for Go, written out as a server-mode function must: the
// workloads beside it are handlers, for which Isola generates the same server at build time.
//
// Contract: listen on $HOST (default 0.0.0.0) : $PORT (default 8080); once listening, POST an empty
// body to $ISOLA_READY_URL if set (once, errors ignored, never delaying serving); keep-alive on.
package main

import (
	"log"
	"net"
	"net/http"
	"os"
	"time"
)

// idleTimeout bounds how long an idle keep-alive connection is kept. It is long so that the gateway's
// connection pool, which should drop idle connections sooner, is the side that closes them: a server
// closing first races with a request the pool is just sending on that connection.
const idleTimeout = 5 * time.Minute

// serve listens, fires the readiness callback and then serves h until the process is killed.
func serve(h http.Handler) {
	log.SetFlags(0)
	host := envOr("HOST", "0.0.0.0")
	port := envOr("PORT", "8080")
	fn, inst := os.Getenv("ISOLA_FUNCTION"), os.Getenv("ISOLA_INSTANCE")
	// "tcp" with 0.0.0.0 would open a dual-stack [::] socket; an IPv4 literal gets exactly that address.
	network := "tcp"
	if ip := net.ParseIP(host); ip != nil && ip.To4() != nil {
		network = "tcp4"
	}
	// Listen before the callback so that the platform never routes a request to a closed port.
	ln, err := net.Listen(network, net.JoinHostPort(host, port))
	if err != nil {
		log.Fatalf("fn=%s inst=%s failed to listen on %s:%s: %v", fn, inst, host, port, err)
	}
	log.Printf("fn=%s inst=%s listening on %s", fn, inst, ln.Addr())
	if url := os.Getenv("ISOLA_READY_URL"); url != "" {
		go notifyReady(url, fn, inst)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: time.Minute, IdleTimeout: idleTimeout}
	log.Fatalf("fn=%s inst=%s stopped serving: %v", fn, inst, srv.Serve(ln))
}

// notifyReady does the single readiness POST. A failure is logged and otherwise ignored: the platform
// falls back to probing the port.
func notifyReady(url, fn, inst string) {
	client := &http.Client{Timeout: 10 * time.Second}
	req, err := http.NewRequest(http.MethodPost, url, http.NoBody)
	if err != nil {
		log.Printf("fn=%s inst=%s bad ready URL %q: %v", fn, inst, url, err)
		return
	}
	req.Close = true // one-shot: do not leave an idle connection open to the platform
	resp, err := client.Do(req)
	if err != nil {
		log.Printf("fn=%s inst=%s ready callback failed: %v", fn, inst, err)
		return
	}
	resp.Body.Close()
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}



// text answers 200 with a plain-text body.
func text(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(body))
}
