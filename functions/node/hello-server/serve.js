// serve.js is the Isola function contract for Node.js in server mode: node-hello-server's own HTTP server (the
// workloads are handlers, served by Isola's wrapper, which carries the same contract).
//
// Contract: listen on $HOST (default 0.0.0.0) : $PORT (default 8080); once listening, POST an empty
// body to $ISOLA_READY_URL if set (once, errors ignored, never delaying serving); keep-alive on.
'use strict';

const http = require('node:http');
const https = require('node:https');

const fn = process.env.ISOLA_FUNCTION || '';
const inst = process.env.ISOLA_INSTANCE || '';

// How long an idle keep-alive connection is kept. Long (Node's default is 5 s) so that the gateway's
// connection pool, which should drop idle connections sooner, is the side that closes them: a server
// closing first races with a request the pool is just sending on that connection. Same as the Go twin.
const IDLE_TIMEOUT_MS = 5 * 60 * 1000;

function log(msg) {
  process.stderr.write(`fn=${fn} inst=${inst} ${msg}\n`);
}

// serve listens, fires the readiness callback and then serves handler. handler(req, res) may return a
// promise; a throw or rejection becomes a 500 instead of killing the instance.
function serve(handler) {
  const host = process.env.HOST || '0.0.0.0';
  const port = Number(process.env.PORT || 8080);
  const server = http.createServer((req, res) => {
    try {
      Promise.resolve(handler(req, res)).catch((err) => fail(res, err));
    } catch (err) {
      fail(res, err);
    }
  });
  server.keepAliveTimeout = IDLE_TIMEOUT_MS;
  server.headersTimeout = 60 * 1000;
  server.on('error', (err) => {
    log(`failed to listen on ${host}:${port}: ${err.message}`);
    process.exit(1);
  });
  // Exit on SIGTERM, the platform's stop signal, once the requests under way are answered. Node.js installs no
  // handler for it, and in a container Node.js is PID 1, which the kernel spares signals without a handler: the
  // platform would wait out its grace period and then SIGKILL.
  process.once('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
  server.listen(port, host, () => {
    const addr = server.address();
    log(`listening on ${addr.address}:${addr.port}`);
    const url = process.env.ISOLA_READY_URL;
    if (url) notifyReady(url);
  });
  return server;
}

// notifyReady does the single readiness POST. A failure is logged and otherwise ignored: the platform
// falls back to probing the port.
function notifyReady(url) {
  let req;
  try {
    const mod = new URL(url).protocol === 'https:' ? https : http;
    // agent: false = a fresh connection that is closed afterwards, not kept idle towards the platform.
    req = mod.request(url, { method: 'POST', agent: false, timeout: 10000,
      headers: { 'Content-Length': '0', Connection: 'close' } });
  } catch (err) {
    log(`bad ready URL ${JSON.stringify(url)}: ${err.message}`);
    return;
  }
  req.on('response', (res) => res.resume());
  req.on('timeout', () => req.destroy(new Error('timed out')));
  req.on('error', (err) => log(`ready callback failed: ${err.message}`));
  req.end();
}

function fail(res, err) {
  log(`request failed: ${err && err.stack ? err.stack : err}`);
  if (!res.headersSent) {
    text(res, 'internal error\n', 500);
  } else {
    res.destroy();
  }
}

// intParam reads query parameter name as an integer in [lo, hi]; absent or empty gives def. Returns
// {value} or {error} (the same message as the Go twin).
function intParam(req, name, def, lo, hi) {
  const s = new URL(req.url, 'http://function').searchParams.get(name);
  if (s === null || s === '') return { value: def };
  const v = /^[+-]?\d+$/.test(s) ? Number(s) : NaN;
  if (!(v >= lo && v <= hi)) return { error: `${name} must be an integer in ${lo}..${hi}` };
  return { value: v };
}

// text answers with a plain-text body (200 unless told).
function text(res, body, status = 200) {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

// badRequest answers 400 with a one-line plain-text reason.
function badRequest(res, message) {
  text(res, `${message}\n`, 400);
}

// drain reads and discards the request body, then runs then() (which may return a promise) — so that
// keep-alive connections stay usable. The returned promise settles with then()'s outcome.
function drain(req, then) {
  return new Promise((resolve, reject) => {
    const done = () => {
      try {
        resolve(then());
      } catch (err) {
        reject(err);
      }
    };
    if (req.complete) return done();
    req.on('end', done);
    req.on('error', reject);
    req.resume();
  });
}

module.exports = { serve, intParam, text, badRequest, drain, log };
