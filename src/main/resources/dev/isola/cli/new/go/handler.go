// Package handler is the function __NAME__. Isola supplies the HTTP server (listening, readiness, graceful stop,
// keep-alive) and calls Handle for every request to /function/__NAME__/...; the path and query are the caller's.
package handler

import (
	"fmt"
	"net/http"
)

// Handle is named in function.yaml (handler: Handle).
func Handle(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	if name == "" {
		name = "world"
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "Hello, %s!\n", name)
}
