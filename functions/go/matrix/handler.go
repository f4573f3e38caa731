// matrix is the paper's memory-read workload: C = A×B for two n×n float64 matrices (?n=, default
// 1024, 1..2048), naive triple loop in i-k-j order; the body is the sum of C's elements.
//
// The entries are small integers, so every product and partial sum is exact in float64: the checksum
// does not depend on summation order or FMA fusion, and the Node.js twin prints the same number.
package matrix

import (
	"net/http"
	"strconv"
)

func multiply(n int) float64 {
	a, b, c := make([]float64, n*n), make([]float64, n*n), make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			a[i*n+j] = float64((i + 2*j) % 7)
			b[i*n+j] = float64((3*i + j) % 5)
		}
	}
	for i := 0; i < n; i++ {
		ci := c[i*n : (i+1)*n]
		for k := 0; k < n; k++ {
			aik, bk := a[i*n+k], b[k*n:(k+1)*n]
			for j := range ci {
				ci[j] += aik * bk[j]
			}
		}
	}
	sum := 0.0
	for _, v := range c {
		sum += v
	}
	return sum
}

// Handle is named in function.yaml (handler: Handle).
func Handle(w http.ResponseWriter, r *http.Request) {
	n, err := intParam(r, "n", 1024, 1, 2048)
	if err != nil {
		badRequest(w, err)
		return
	}
	text(w, strconv.FormatFloat(multiply(n), 'f', -1, 64)+"\n")
}
