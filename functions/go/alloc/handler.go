// alloc is the paper's memory-write workload: allocate ?mib= MiB (default 50, 1..4096) and write one
// byte to every 4 KiB page so that each page is backed by physical memory; the body is the number of
// bytes made resident (pages written × 4096).
//
// A fresh large allocation comes straight from the OS as untouched zero pages, so the loop below takes
// one page fault per page, as in the paper. Later calls may reuse memory the GC has not yet returned.
package alloc

import (
	"net/http"
	"runtime"
	"strconv"
)

const pageSize = 4096

func touch(size int) int {
	b := make([]byte, size)
	pages := 0
	for i := 0; i < size; i += pageSize {
		b[i] = 1
		pages++
	}
	runtime.KeepAlive(b)
	return pages * pageSize
}

// Handle is named in function.yaml (handler: Handle).
func Handle(w http.ResponseWriter, r *http.Request) {
	mib, err := intParam(r, "mib", 50, 1, 4096)
	if err != nil {
		badRequest(w, err)
		return
	}
	text(w, strconv.Itoa(touch(mib<<20))+"\n")
}
