// fib is the paper's CPU workload: fib(n) computed by naive recursion (?n=, default 30, 0..45).
package fib

import (
	"net/http"
	"strconv"
)

func fib(n int) uint64 {
	if n < 2 {
		return uint64(n)
	}
	return fib(n-1) + fib(n-2)
}

// Handle is named in function.yaml (handler: Handle).
func Handle(w http.ResponseWriter, r *http.Request) {
	n, err := intParam(r, "n", 30, 0, 45)
	if err != nil {
		badRequest(w, err)
		return
	}
	text(w, strconv.FormatUint(fib(n), 10)+"\n")
}
