// hello is the no-op function of the paper's cold-start, burst, idle and network experiments:
// 200 "ok" on any path and method.
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
