// Package handler is the Go handler-mode test function: Isola generates its main package. It echoes what
// it was called with, so that a test can see the request arrive unchanged.
package handler

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"
)

type echo struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Query  string `json:"query"`
	Test   string `json:"test"`
	Body   string `json:"body"`
}

// Handle: /slow?ms=N answers "slept" after N ms; /panic panics; any other path echoes the request as JSON.
func Handle(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/panic" {
		panic("handler failed on purpose")
	}
	if r.URL.Path == "/slow" {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		println("slow request started")
		time.Sleep(time.Duration(ms) * time.Millisecond)
		_, _ = io.WriteString(w, "slept")
		return
	}
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(echo{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("X-Test"), string(body)})
}
