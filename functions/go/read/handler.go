// read is the paper's file-system workload: it reads a ?mib= MiB file (default 50, 1..1024) fully into
// memory and answers {"bytes":N,"micros":T}, T being the time of the read alone. The file is written
// (and fsynced) once per instance, so later reads are usually served from the page cache, as in the
// paper's repeated runs.
package read

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"time"
)

// Handle is named in function.yaml (handler: Handle).
func Handle(w http.ResponseWriter, r *http.Request) {
	size, err := intParam(r, "mib", 50, 1, 1024)
	if err != nil {
		badRequest(w, err)
		return
	}
	path, err := dataFile("read", size)
	if err != nil {
		log.Print(err)
		http.Error(w, "failed to create the data file", http.StatusInternalServerError)
		return
	}
	start := time.Now()
	data, err := os.ReadFile(path)
	elapsed := time.Since(start)
	if err != nil {
		log.Print(err)
		http.Error(w, "failed to read the data file", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, "{\"bytes\":%d,\"micros\":%d}\n", len(data), elapsed.Microseconds())
}
