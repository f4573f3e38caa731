// node-read is the paper's file-system workload: it reads a ?mib= MiB file (default 50, 1..1024) fully
// into memory and answers {"bytes":N,"micros":T}, T being the time of the read alone. The file is
// written (and fsynced) once per instance, so later reads are usually served from the page cache, as in
// the paper's repeated runs.
'use strict';

const fs = require('node:fs');
const { intParam, badRequest } = require('./param');
const { dataFile } = require('./datafile');

function readFile(file) {
  return new Promise((resolve, reject) => fs.readFile(file, (err, data) => (err ? reject(err) : resolve(data))));
}

module.exports = async (request) => {
  const mib = intParam(request, 'mib', 50, 1, 1024);
  if (mib.error) return badRequest(mib.error);
  const file = await dataFile('read', mib.value);
  const start = process.hrtime.bigint();
  const data = await readFile(file);
  const micros = (process.hrtime.bigint() - start) / 1000n;
  return new Response(`${JSON.stringify({ bytes: data.length, micros: Number(micros) })}\n`,
    { headers: { 'content-type': 'application/json' } });
};
