// datafile.js creates the data file of the node-static and node-read workloads; both directories carry
// the same copy. The file is made once per instance, on first use, under os.tmpdir() (Isola sets TMPDIR
// per instance): written to a temporary name, fsynced, then renamed, so a reader never sees a partial
// file and a complete file left by an earlier process with the same TMPDIR is reused.
'use strict';

const fs = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');

const MIB = 1024 * 1024;

// size (MiB) -> Promise<path>. Concurrent first calls share one creation; a failed one is forgotten so
// that the next request retries.
const files = new Map();

function dataFile(prefix, size) {
  let p = files.get(size);
  if (!p) {
    p = ensure(path.join(os.tmpdir(), `isola-${prefix}-${size}MiB.bin`), size);
    files.set(size, p);
    p.catch(() => files.delete(size));
  }
  return p;
}

async function ensure(file, size) {
  try {
    const st = await fs.stat(file);
    if (st.size === size * MIB) return file;
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  await write(file, size);
  return file;
}

// Writes size MiB where the byte at offset i is i mod 251 (the same as the Go twin).
async function write(file, size) {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fh = await fs.open(tmp, 'w');
  try {
    const block = Buffer.allocUnsafe(MIB);
    for (let k = 0; k < size; k++) {
      const start = (k * MIB) % 251;
      for (let j = 0; j < MIB; j++) block[j] = (start + j) % 251;
      await fh.write(block, 0, MIB);
    }
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await fs.rename(tmp, file);
}

module.exports = { dataFile };
