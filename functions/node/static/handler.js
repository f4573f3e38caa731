// node-static is the paper's network-throughput workload: it serves a ?mib= MiB file (default 50,
// 1..1024) with Content-Length, streamed from disk with fs.createReadStream (1 MiB chunks: fewer, larger
// writes; Node has no sendfile(2)).
'use strict';

const fs = require('node:fs');
const { Readable } = require('node:stream');
const { intParam, badRequest } = require('./param');
const { dataFile } = require('./datafile');

module.exports = async (request) => {
  const mib = intParam(request, 'mib', 50, 1, 1024);
  if (mib.error) return badRequest(mib.error);
  const file = await dataFile('static', mib.value);
  const size = (await fs.promises.stat(file)).size;
  const headers = { 'content-type': 'application/octet-stream', 'content-length': String(size) };
  if (request.method === 'HEAD') return new Response(null, { headers });
  // Isola's wrapper writes the stream to the caller chunk by chunk and cancels it (closing the file) if the
  // caller goes away.
  return new Response(Readable.toWeb(fs.createReadStream(file, { highWaterMark: 1024 * 1024 })), { headers });
};
