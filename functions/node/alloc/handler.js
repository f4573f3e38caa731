// node-alloc is the paper's memory-write workload: allocate ?mib= MiB (default 50, 1..4096) and write
// one byte to every 4 KiB page so that each page is backed by physical memory; the body is the number of
// bytes made resident (pages written × 4096).
//
// Buffer.allocUnsafe does not zero-fill and, for sizes this large, gets fresh untouched pages (outside
// the V8 heap, so no --max-old-space-size applies): the loop takes one page fault per page.
'use strict';

const { intParam, text, badRequest } = require('./param');

const PAGE_SIZE = 4096;

function touch(size) {
  const b = Buffer.allocUnsafe(size);
  let pages = 0;
  for (let i = 0; i < size; i += PAGE_SIZE) {
    b[i] = 1;
    pages++;
  }
  return pages * PAGE_SIZE;
}

module.exports = async (request) => {
  const mib = intParam(request, 'mib', 50, 1, 4096);
  if (mib.error) return badRequest(mib.error);
  return text(`${touch(mib.value * 1024 * 1024)}\n`);
};
