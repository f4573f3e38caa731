// static is the paper's network-throughput workload: it serves a ?mib= MiB file (default 50, 1..1024)
// with Content-Length, streamed from disk. http.ServeContent copies an *os.File with sendfile(2) and also
// answers HEAD and Range requests.
package static

import (
	"log"
	"net/http"
	"os"
)

// Handle is named in function.yaml (handler: Handle).
func Handle(w http.ResponseWriter, r *http.Request) {
	size, err := intParam(r, "mib", 50, 1, 1024)
	if err != nil {
		badRequest(w, err)
		return
	}
	path, err := dataFile("static", size)
	if err != nil {
		log.Print(err)
		http.Error(w, "failed to create the data file", http.StatusInternalServerError)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		log.Print(err)
		http.Error(w, "failed to open the data file", http.StatusInternalServerError)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		log.Print(err)
		http.Error(w, "failed to open the data file", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream") // skips content sniffing
	http.ServeContent(w, r, "", st.ModTime(), f)
}
