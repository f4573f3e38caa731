// node-read is the paper's file-system workload: it reads a ?mib= MiB file (default 50, 1..1024) fully
// into memory and answers {"bytes":N,"micros":T}, T being the time of the read alone. The file is
// written (and fsynced) once per instance, so later reads are usually served from the page cache, as in
// the paper's repeated runs.
'use strict';

const fs = require('node:fs');
const { serve, intParam, badRequest, drain } = require('./serve');
const { dataFile } = require('./datafile');

function readFile(file) {
  return new Promise((resolve, reject) => fs.readFile(file, (err, data) => (err ? reject(err) : resolve(data))));
}

serve((req, res) => drain(req, async () => {
  const mib = intParam(req, 'mib', 50, 1, 1024);
  if (mib.error) return badRequest(res, mib.error);
  const file = await dataFile('read', mib.value);
  const start = process.hrtime.bigint();
  const data = await readFile(file);
  const micros = (process.hrtime.bigint() - start) / 1000n;
  const body = `${JSON.stringify({ bytes: data.length, micros: Number(micros) })}\n`;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}));
