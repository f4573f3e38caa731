// hello-server is hello in server mode: a whole HTTP server that keeps Isola's function contract itself
// (serve.go), for functions that must own their server. 200 "ok" on any path and method.
package main

import (
	"io"
	"net/http"
)

func main() {
	serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		text(w, "ok")
	}))
}
