// node-hello is the no-op function of the paper's cold-start, burst, idle and network experiments: 200 "ok" on
// any path and method. A handler: Isola supplies the server (listening, readiness, graceful stop on SIGTERM,
// keep-alive). CommonJS, as its server-mode twin node-hello-server is, so that bench/handler-mode.sh compares like
// with like: an ES module (export default, .mjs) costs Node.js about 10 ms more at start, whatever serves it.
'use strict';

module.exports = async (request) => {
  // The body is read and discarded, as hello does; an unread body would be drained by Isola's wrapper.
  if (request.body) await request.arrayBuffer();
  return new Response('ok', { headers: { 'content-type': 'text/plain; charset=utf-8' } });
};
