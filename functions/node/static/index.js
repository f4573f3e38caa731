// node-static is the paper's network-throughput workload: it serves a ?mib= MiB file (default 50,
// 1..1024) with Content-Length, streamed from disk with fs.createReadStream (1 MiB chunks: fewer, larger
// writes; Node has no sendfile(2)).
'use strict';

const fs = require('node:fs');
const { pipeline } = require('node:stream');
const { serve, intParam, badRequest, drain, log } = require('./serve');
const { dataFile } = require('./datafile');

serve((req, res) => drain(req, async () => {
  const mib = intParam(req, 'mib', 50, 1, 1024);
  if (mib.error) return badRequest(res, mib.error);
  const file = await dataFile('static', mib.value);
  const size = (await fs.promises.stat(file)).size;
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size });
  if (req.method === 'HEAD') return res.end();
  pipeline(fs.createReadStream(file, { highWaterMark: 1024 * 1024 }), res, (err) => {
    // A client that hangs up early is normal; anything else is worth a line.
    if (err && err.code !== 'ERR_STREAM_PREMATURE_CLOSE') log(`failed to stream ${file}: ${err.message}`);
  });
}));
