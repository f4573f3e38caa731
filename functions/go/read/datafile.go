// datafile.go creates the data file of the static and read workloads; both directories carry the same
// copy. The file is made once per instance, on first use, under os.TempDir() (Isola sets TMPDIR per
// instance): written to a temporary name, fsynced, then renamed, so a reader never sees a partial file
// and a complete file left by an earlier process with the same TMPDIR is reused.
package read

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

const mib = 1 << 20

var dataFiles = struct {
	sync.Mutex
	paths map[int]string
}{paths: map[int]string{}}

// dataFile returns the path of the size-MiB data file, creating it if needed. Concurrent first calls
// wait for one creation (the lock is held across it; creation happens once per size).
func dataFile(prefix string, size int) (string, error) {
	dataFiles.Lock()
	defer dataFiles.Unlock()
	if p, ok := dataFiles.paths[size]; ok {
		return p, nil
	}
	p := filepath.Join(os.TempDir(), fmt.Sprintf("isola-%s-%dMiB.bin", prefix, size))
	if st, err := os.Stat(p); err != nil || st.Size() != int64(size)*mib {
		if err := writeDataFile(p, size); err != nil {
			return "", fmt.Errorf("failed to create data file %s: %w", p, err)
		}
	}
	dataFiles.paths[size] = p
	return p, nil
}

// writeDataFile writes size MiB where the byte at offset i is i mod 251 (the same as the Node.js twin).
func writeDataFile(path string, size int) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	block := make([]byte, mib)
	for k := 0; k < size; k++ {
		start := (k * mib) % 251
		for j := range block {
			block[j] = byte((start + j) % 251)
		}
		if _, err := tmp.Write(block); err != nil {
			tmp.Close()
			return err
		}
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
