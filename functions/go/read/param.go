// param.go holds the query and answer helpers of the workloads that take a size. Each function is
// uploaded on its own (its directory is the archive), so the workloads that need it carry this copy
// (functions/README.md shows a one-line check that the copies are identical, package line aside).
package read

import (
	"fmt"
	"net/http"
	"strconv"
)

// intParam reads query parameter name as an integer in [lo, hi]; absent or empty gives def.
func intParam(r *http.Request, name string, def, lo, hi int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("%s must be an integer in %d..%d", name, lo, hi)
	}
	return v, nil
}

// badRequest answers 400 with a one-line plain-text reason.
func badRequest(w http.ResponseWriter, err error) {
	http.Error(w, err.Error(), http.StatusBadRequest)
}

// text answers 200 with a plain-text body.
func text(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(body))
}
