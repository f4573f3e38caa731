// node-probe: the Node.js twin of the Go probe test function (subset: /, /sleep, /crash, /env).
'use strict';
const http = require('http');

const port = Number(process.env.PORT || 8080);
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  req.resume();
  req.on('end', () => {
    if (url.pathname === '/crash') {
      console.log('crashing on request');
      process.exit(3);
    }
    if (url.pathname === '/sleep') {
      setTimeout(() => res.end('slept'), Number(url.searchParams.get('ms') || 0));
      return;
    }
    if (url.pathname === '/env') {
      res.end((process.env[url.searchParams.get('name')] || '') + '\n');
      return;
    }
    res.end('ok');
  });
});
function signalReady() {
  const ready = process.env.ISOLA_READY_URL;
  if (ready) {
    fetch(ready, { method: 'POST' }).catch(() => {});
  }
}

// LISTEN_DELAY_MS breaks the contract on purpose: it signals ready at once and listens only that much later.
const listenDelay = Number(process.env.LISTEN_DELAY_MS || 0);
if (listenDelay > 0) {
  signalReady();
}
setTimeout(() => server.listen(port, process.env.HOST || '0.0.0.0', () => {
  console.log(`node-probe listening on ${port} instance ${process.env.ISOLA_INSTANCE}`);
  if (listenDelay === 0) {
    signalReady();
  }
}), listenDelay);
