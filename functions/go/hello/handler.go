// hello is the no-op function of the paper's cold-start, burst, idle and network experiments:
// 200 "ok" on any path and method. A handler: Isola supplies the server (functions/README.md).
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
