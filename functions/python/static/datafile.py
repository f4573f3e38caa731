"""datafile.py creates the data file of the python-static and python-read workloads; both directories carry the same
copy. The file is made once per instance, on first use, under tempfile.gettempdir() ($TMPDIR, which Isola sets per
instance): written to a temporary name, fsynced, then renamed, so a reader never sees a partial file and a complete
file left by an earlier process with the same TMPDIR is reused."""

import contextlib
import os
import tempfile
import threading

MIB = 1 << 20

# size (MiB) -> path. Concurrent first calls wait for one creation: the lock is held across it, as in the Go twin.
_lock = threading.Lock()
_paths = {}


def data_file(prefix, size):
    """Returns the path of the size-MiB data file, creating it if needed; raises OSError if that fails."""
    with _lock:
        path = _paths.get(size)
        if path is None:
            path = os.path.join(tempfile.gettempdir(), f'isola-{prefix}-{size}MiB.bin')
            try:
                complete = os.stat(path).st_size == size * MIB
            except OSError:
                complete = False
            if not complete:
                _write(path, size)
            _paths[size] = path
        return path


def _write(path, size):
    """Writes size MiB where the byte at offset i is i mod 251 (the same as the Go and Node.js twins)."""
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + '.', suffix='.tmp', dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, 'wb') as f:
            pattern = bytes(range(251)) * (MIB // 251 + 2)
            for k in range(size):
                start = (k * MIB) % 251
                f.write(pattern[start:start + MIB])
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
