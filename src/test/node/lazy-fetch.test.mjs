// Tests of the Node.js handler wrapper's lazy Request and Response (src/main/resources/dev/isola/function/
// lazy-fetch.cjs): each must behave as the real object it stands for. Run by LazyFetchTest (node --test).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { test } from 'node:test';
import { install, lazyRequest, pendingResponse } from '../../main/resources/dev/isola/function/lazy-fetch.cjs';

const NativeRequest = globalThis.Request;
const NativeResponse = globalThis.Response;
install();
// Loads undici through the module, as any use of a real object does in a handler (which has no other way to
// Node.js's own classes): from then on, `instanceof` and `constructor` hold for real objects too.
Response.error();

// Run in a process of its own: Node's test runner itself may load undici.
test('a GET answered with a string or JSON loads no undici, until a real object is needed', () => {
  const module = new URL('../../main/resources/dev/isola/function/lazy-fetch.cjs', import.meta.url).href;
  const script = `
    import assert from 'node:assert/strict';
    import { install, lazyRequest, pendingResponse } from '${module}';
    const undici = () => process.moduleLoadList.some((m) => m.includes('undici'));
    assert.equal(undici(), false);
    install();
    const request = lazyRequest({ method: 'GET', url: '/a?b=1', headers: { host: 'h' } }, () => assert.fail());
    assert.equal(request.method, 'GET');
    assert.equal(new URL(request.url).searchParams.get('b'), '1');
    assert.equal(request.body, null);
    assert.ok(request instanceof Request);
    const response = new Response('ok', { status: 201, headers: { 'X-A': 'b' } });
    assert.ok(response instanceof Response);
    assert.equal(response.status, 201);
    assert.equal(response.ok, true);
    assert.equal(Object.prototype.toString.call(response), '[object Response]');
    assert.notEqual(pendingResponse(Response.json({ a: 1 })), undefined);
    assert.equal(undici(), false);
    assert.equal(await response.text(), 'ok');
    assert.equal(undici(), true);
    assert.ok(Object.getPrototypeOf(Response.prototype).isPrototypeOf(response)); // undici's prototype now
    assert.equal(response.constructor, Response);
    assert.notEqual(pendingResponse(new Response('x')), undefined); // the globals are still the lazy ones
    console.log('checked');
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout, 'checked\n');
});

// What code can see of a Response, body included (which consumes it).
async function observe(response) {
  return {
    status: response.status, statusText: response.statusText, ok: response.ok, type: response.type,
    url: response.url, redirected: response.redirected, headers: [...response.headers],
    body: Buffer.from(await response.arrayBuffer()).toString('latin1'), bodyUsed: response.bodyUsed,
    isResponse: response instanceof Response && response instanceof NativeResponse,
    constructor: response.constructor === Response, tag: Object.prototype.toString.call(response),
    keys: Object.keys(response),
  };
}

// outcome runs make() and returns what a caller sees: the observed Response, or the error's class.
async function outcome(make) {
  let response;
  try {
    response = make();
  } catch (err) {
    return { threw: err.constructor.name };
  }
  return observe(response);
}

const stream = () => new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('streamed')); c.close(); } });
const cases = [
  ['a string', ['ok']],
  ['no arguments', []],
  ['undefined body with a status', [undefined, { status: 201 }]],
  ['status, text and headers', ['made', { status: 201, statusText: 'Created', headers: { 'X-One': '1', b: '' } }]],
  ['a content type of its own', ['{}', { headers: { 'Content-Type': 'application/json' } }]],
  ['bytes', [new Uint8Array([0, 1, 255])]],
  ['a Buffer', [Buffer.from('buffer')]],
  ['null body, 204', [null, { status: 204 }]],
  ['a body with 204', ['x', { status: 204 }]],
  ['a body with 304', ['x', { status: 304 }]],
  ['status 199', ['x', { status: 199 }]],
  ['status 600', ['x', { status: 600 }]],
  ['status 201.5', ['x', { status: 201.5 }]],
  ['status as a string', ['x', { status: '202' }]],
  ['status text with a newline', ['x', { statusText: 'bad\n' }]],
  ['status text beyond latin-1', ['x', { statusText: 'caf\u0113' }]],
  ['a header name with a space', ['x', { headers: { 'bad name': 'v' } }]],
  ['a header value with surrounding space', ['x', { headers: { a: ' padded\t' } }]],
  ['a header value beyond latin-1', ['x', { headers: { a: '\u0100' } }]],
  ['a header value with a newline', ['x', { headers: { a: 'a\nb' } }]],
  ['a number as header value', ['x', { headers: { a: 5 } }]],
  ['one header named twice', ['x', { headers: { a: '1', A: '2' } }]],
  ['set-cookie', ['x', { headers: { 'Set-Cookie': 'a=1' } }]],
  ['a Content-Length of its own', ['x', { headers: { 'Content-Length': '1' } }]],
  ['Headers', ['x', { headers: new Headers({ a: '1' }) }]],
  ['header pairs', ['x', { headers: [['a', '1'], ['a', '2']] }]],
  ['a stream', [stream()]],
  ['a null init', ['x', null]],
  ['an init that is not an object', ['x', 5]],
  ['an ArrayBuffer', [new Uint8Array([7, 8]).buffer]],
  ['URLSearchParams', [new URLSearchParams('a=1')]],
];

// The cases sent from a plan, without a real Response; the others make one at once.
const planned = new Set(['a string', 'no arguments', 'undefined body with a status', 'status, text and headers',
  'a content type of its own', 'bytes', 'a Buffer', 'null body, 204', 'set-cookie', 'a null init']);

for (const [name, args] of cases) {
  test(`new Response: ${name}, as the real one`, async () => {
    const fresh = () => args.map((a) => (a instanceof ReadableStream ? stream() : a));
    const expected = await outcome(() => new NativeResponse(...fresh()));
    assert.deepEqual(await outcome(() => new Response(...fresh())), expected);
    if (!expected.threw) assert.equal(pendingResponse(new Response(...fresh())) !== undefined, planned.has(name));
  });
}

const jsonCases = [
  ['an object', [{ a: [1, 'two'] }]],
  ['a status and header', [{}, { status: 201, headers: { 'X-A': 'b' } }]],
  ['a content type of its own', [1, { headers: { 'content-type': 'text/json' } }]],
  ['undefined', [undefined]],
  ['a body-less status', [{}, { status: 204 }]],
];
for (const [name, args] of jsonCases) {
  test(`Response.json: ${name}, as the real one`, async () => {
    const expected = await outcome(() => NativeResponse.json(...args));
    assert.deepEqual(await outcome(() => Response.json(...args)), expected);
  });
}

test('a plain Response is sent from its plan, until something reads it', async () => {
  const response = new Response('hello', { status: 202, headers: { 'X-A': 'b' } });
  assert.deepEqual(pendingResponse(response), {
    status: 202, statusText: '', content: 'hello',
    headers: { 'x-a': 'b', 'content-type': 'text/plain;charset=UTF-8', 'content-length': 5 },
  });
  assert.equal(response.status, 202); // answered from the plan
  assert.equal(response.ok, true);
  assert.notEqual(pendingResponse(response), undefined);
  assert.equal(response.headers.get('x-a'), 'b'); // the real Response, made now
  assert.equal(pendingResponse(response), undefined);
  assert.equal(await response.text(), 'hello');
});

test('a Response keeps its bytes as given, and its init as given', async () => {
  const bytes = new Uint8Array([1, 2, 3]);
  const headers = { a: '1' };
  const response = new Response(bytes, { headers });
  bytes[0] = 9;
  headers.a = '2';
  assert.deepEqual([...pendingResponse(response).content], [1, 2, 3]);
  assert.equal(pendingResponse(response).headers.a, '1');
  assert.equal(response.headers.get('a'), '1');
  assert.deepEqual([...new Uint8Array(await response.arrayBuffer())], [1, 2, 3]);
});

test('subclasses, streams and clones are real Responses, sent as such', async () => {
  class Mine extends Response {
    greet() { return 'hi'; }
  }
  const mine = new Mine('x', { status: 201 });
  assert.ok(mine instanceof Mine && mine instanceof Response);
  assert.equal(mine.greet(), 'hi');
  assert.equal(mine.status, 201);
  assert.equal(await mine.text(), 'x');
  assert.equal(pendingResponse(mine), undefined);
  assert.equal(pendingResponse(new Response(stream())), undefined);
  assert.equal(pendingResponse(new NativeResponse('x')), undefined);
  const clone = new Response('twice').clone();
  assert.equal(await clone.text(), 'twice');
  assert.ok(clone instanceof Response);
  assert.throws(() => Response('x'), TypeError);
  assert.equal(Response.error().type, 'error');
  assert.equal(Response.redirect('http://example.test/', 307).headers.get('location'), 'http://example.test/');
});

// incoming stands for node:http's IncomingMessage, with what toRequest reads.
function incoming(method, url, host = 'fn.test:8080') {
  return { method, url, headers: { host } };
}

function counted(make) {
  const made = { count: 0 };
  return [made, (_, href) => {
    made.count++;
    return make(href);
  }];
}

test('a GET Request answers method, url and body without a real Request', async () => {
  const [made, make] = counted((href) => new NativeRequest(href, { headers: [['X-A', 'b']] }));
  const request = lazyRequest(incoming('GET', '/p/a?q=1%202'), make);
  assert.equal(request.method, 'GET');
  assert.equal(request.url, 'http://fn.test:8080/p/a?q=1%202');
  assert.equal(request.body, null);
  assert.equal(request.bodyUsed, false);
  assert.ok(request instanceof Request && request instanceof NativeRequest);
  assert.equal(request.constructor, Request);
  assert.equal(Object.prototype.toString.call(request), '[object Request]');
  assert.deepEqual(Object.keys(request), []);
  assert.equal(made.count, 0);
  assert.equal(request.headers.get('x-a'), 'b');
  assert.equal(request.signal.aborted, false);
  assert.equal(made.count, 1); // once, whatever is read afterwards
  assert.equal(new URL(request.url).searchParams.get('q'), '1 2');
});

test('a POST Request reads its body from the real Request', async () => {
  const [made, make] = counted((href) => new NativeRequest(href, { method: 'POST', body: 'payload' }));
  const request = lazyRequest(incoming('POST', '/'), make);
  assert.equal(request.method, 'POST');
  assert.ok(request.body instanceof ReadableStream);
  assert.equal(await request.text(), 'payload');
  assert.equal(request.bodyUsed, true);
  assert.equal(made.count, 1);
});

test('a Host header that makes no URL leaves the path and query under localhost', () => {
  const request = lazyRequest(incoming('GET', '/x?y', 'bad host'), (_, href) => new NativeRequest(href));
  assert.equal(request.url, 'http://localhost/x?y');
});

test('new Request, clone() and fetch() take a lazy Request as the real one', async (t) => {
  const server = http.createServer((req, res) => res.end(`${req.method} ${req.url} ${req.headers['x-a']}`));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const url = `/f?z=1`;
  const host = `127.0.0.1:${server.address().port}`;
  const lazy = () => lazyRequest(incoming('PUT', url, host),
    (_, href) => new NativeRequest(href, { method: 'PUT', headers: [['X-A', 'b']] }));

  const copied = new Request(lazy());
  assert.equal(copied.url, `http://${host}${url}`);
  assert.equal(copied.headers.get('x-a'), 'b');
  assert.equal(copied.method, 'PUT');
  assert.ok(copied instanceof Request);
  assert.equal(new Request(lazy(), { method: 'DELETE' }).method, 'DELETE');
  assert.equal(lazy().clone().url, `http://${host}${url}`);
  class Mine extends Request {}
  assert.ok(new Mine(lazy()) instanceof Mine);
  assert.throws(() => Request('http://x.test/'), TypeError);

  const answer = await fetch(lazy());
  assert.equal(await answer.text(), 'PUT /f?z=1 b');
  assert.ok(answer instanceof Response);
});
