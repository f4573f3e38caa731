// Isola's handler-mode wrapper for Node.js; copied into each artefact, never into the function's sources.
// The function's module default-exports (or, CommonJS, module.exports =) async (request) => Response, with
// the fetch API's Request and Response; this file is the HTTP server around it and carries the whole function
// contract (functions/README.md), as functions/node/hello-server/serve.js does for server mode. The Request it
// hands the handler and the global Response are lazy-fetch.cjs's: real ones are made only when the handler reads
// them.
// CommonJS, as is lazy-fetch.cjs: Node.js's ES module loader adds about 10 ms to a start, which only a handler
// that is an ES module should pay.
//
//   node .isola/handler-wrapper.cjs <module>           serve
//   node .isola/handler-wrapper.cjs --check <module>   load the module and check its export (at deploy)
'use strict';

const http = require('node:http');
const https = require('node:https');
const path = require('node:path');
const { Readable } = require('node:stream');
const { pathToFileURL } = require('node:url');
const { install, lazyRequest, pendingResponse, realRequest } = require('./lazy-fetch.cjs');

install();

const fn = process.env.ISOLA_FUNCTION || '';
const inst = process.env.ISOLA_INSTANCE || '';

// How long an idle keep-alive connection is kept. Long (Node's default is 5 s) so that the gateway's
// connection pool, which should drop idle connections sooner, is the side that closes them: a server
// closing first races with a request the pool is just sending on that connection. Same as serve.js.
const IDLE_TIMEOUT_MS = 5 * 60 * 1000;
// Request headers taken, in all: as the Go and Python wrappers, well above what the gateway forwards (16 KiB of the
// caller's plus its own). Node.js's default, 16 KiB, closed the connection on such a request.
const MAX_HEADER_BYTES = 1 << 20;

// Set on SIGTERM: answers from then on close their connection, so that the server's close() can complete.
let stopping = false;

function log(msg) {
  process.stderr.write(`fn=${fn} inst=${inst} ${msg}\n`);
}

class HandlerError extends Error {}

// load loads the module and returns its handler, or throws an Error whose message the deployer can act on.
// CommonJS is required (module.exports is the handler); an ES module (.mjs, or a .js that require() refuses as
// one) is imported, its default export the handler.
async function load(file) {
  const full = path.resolve(file);
  let handler;
  if (file.endsWith('.mjs')) {
    handler = (await import(pathToFileURL(full).href)).default;
  } else {
    try {
      const exported = require(full);
      // A CommonJS module compiled from ESM (exports.default, __esModule) counts as its default export.
      handler = exported && exported.__esModule && 'default' in exported ? exported.default : exported;
    } catch (err) {
      if (err.code !== 'ERR_REQUIRE_ESM') throw err;
      handler = (await import(pathToFileURL(full).href)).default;
    }
  }
  if (typeof handler !== 'function') {
    const what = handler === undefined ? 'no default export' : `a default export that is ${typeof handler}`;
    throw new HandlerError(`${file} has ${what}; expected a function: export default async (request) => Response`
      + ' (or module.exports = async (request) => Response in CommonJS)');
  }
  return handler;
}

// toRequest turns the incoming message into a fetch Request: method, URL, headers and, except for GET and HEAD, the
// body as a stream the handler may read or leave. The Request is lazy (lazy-fetch.cjs): the conversion below runs
// only if the handler reads more than the method, URL or a GET's body. It passes no AbortSignal: one costs more
// than the rest of the conversion together (undici follows it per request, measured at about 16 µs of a 25 µs
// Request), so request.signal does not fire when the caller goes away; a streamed answer to a caller that is gone
// is cancelled instead (send).
function toRequest(req) {
  return lazyRequest(req, toNativeRequest);
}

function toNativeRequest(req, href) {
  const headers = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
  }
  const init = { method: req.method, headers };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    init.body = Readable.toWeb(req);
    init.duplex = 'half';
  }
  return realRequest(href, init);
}

// send writes the Response's status and headers, then its body chunk by chunk as the handler's stream yields it,
// with back-pressure from the socket; a caller that went away cancels the stream.
async function send(response, res) {
  const headers = {};
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie') headers[name] = value;
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  if (stopping) headers.connection = 'close';
  if (response.statusText) {
    res.writeHead(response.status, response.statusText, headers);
  } else {
    res.writeHead(response.status, headers);
  }
  if (response.body === null) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (res.destroyed) {
      await reader.cancel();
      return;
    }
    if (!res.write(value)) await drained(res);
  }
  res.end();
}

// sendAtOnce writes what a lazy Response of a string or bytes planned (lazy-fetch.cjs), with its length.
function sendAtOnce({ status, statusText, headers, content }, res) {
  const all = stopping ? { ...headers, connection: 'close' } : headers;
  if (statusText) {
    res.writeHead(status, statusText, all);
  } else {
    res.writeHead(status, all);
  }
  res.end(content ?? undefined);
}

function drained(res) {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function fail(res, err) {
  log(`request failed: ${err && err.stack ? err.stack : err}`);
  if (!res.headersSent) {
    res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '15',
      ...(stopping ? { Connection: 'close' } : {}) });
    res.end('internal error\n');
  } else {
    res.destroy();
  }
}

// respond sends the handler's response, or a 500 for anything that is not a Response or fails to send.
function respond(response, res) {
  if (!(response instanceof Response)) {
    fail(res, new TypeError(`the handler returned ${response === null ? 'null' : typeof response}, not a Response`));
    return;
  }
  const pending = pendingResponse(response);
  if (pending !== undefined) {
    try {
      sendAtOnce(pending, res);
    } catch (err) {
      fail(res, err);
    }
  } else {
    send(response, res).catch((err) => fail(res, err));
  }
}

// answered runs once an answer is out (`this` is node:http's ServerResponse). A body the handler did not read is
// drained, so that the connection stays usable. While stopping, a connection whose answer began before SIGTERM is
// closed once it is idle again.
function answered() {
  const req = this.req;
  if (!req.complete) {
    req.removeAllListeners('data');
    req.resume();
  }
  if (stopping) setImmediate(() => server.closeIdleConnections());
}

let server;

function serve(handler) {
  const host = process.env.HOST || '0.0.0.0';
  const port = Number(process.env.PORT || 8080);
  // Not an async function: the handler's promise is the only one per call (Promise.resolve returns a native one
  // as it is), and a handler that answers at once is answered at once.
  server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    res.on('finish', answered);
    let answer;
    try {
      answer = handler(toRequest(req));
    } catch (err) {
      fail(res, err);
      return;
    }
    if (answer instanceof Response) {
      respond(answer, res);
    } else {
      Promise.resolve(answer).then((response) => respond(response, res), (err) => fail(res, err));
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
    stopping = true;
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
  server.listen(port, host, () => {
    const addr = server.address();
    log(`listening on ${addr.address}:${addr.port}`);
    const url = process.env.ISOLA_READY_URL;
    if (url) notifyReady(url);
  });
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

async function main(args) {
  if (args[0] === '--check') {
    // At deploy, in the build jail: exit at once either way, whatever timers the module's top level started.
    try {
      await load(args[1]);
      process.exit(0);
    } catch (err) {
      // The module's own error (a syntax error, a missing import) with its stack, which names file and line.
      const plain = err instanceof HandlerError || !err || !err.stack;
      process.stderr.write(`${plain ? String(err && err.message || err) : err.stack}\n`);
      process.exit(1);
    }
  }
  let handler;
  try {
    handler = await load(args[0]);
  } catch (err) {
    log(`failed to load the handler: ${err && err.stack ? err.stack : err}`);
    process.exit(1);
  }
  serve(handler);
}

main(process.argv.slice(2));
