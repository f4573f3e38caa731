// hello-handler is hello in handler mode: the package exports a handler and Isola supplies the server
// (listening, readiness, graceful stop on SIGTERM, keep-alive), so there is no main and no serve.go.
// 200 "ok" on any path and method.
package hello

import (
	"io"
	"net/http"
)

// Handle is named in function.yaml (handler: Handle).
func Handle(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok")
}
