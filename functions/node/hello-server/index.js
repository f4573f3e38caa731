// node-hello-server is node-hello in server mode (its own HTTP server, serve.js), for the benchmarks that compare
// handler mode with server mode and for by-hand baselines. The no-op function of the paper:
// 200 "ok" on any path and method.
'use strict';

const { serve, text, drain } = require('./serve');

serve((req, res) => drain(req, () => text(res, 'ok')));
