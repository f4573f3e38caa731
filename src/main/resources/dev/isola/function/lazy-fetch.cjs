// lazy-fetch.cjs — fetch-API Requests and Responses that cost nothing until a handler uses them; part of Isola's
// Node.js handler wrapper (handler-wrapper.cjs), copied beside it into each artefact.
//
// Why: Node.js makes its Request and Response with undici, which it loads on first use: about 40 ms and 12 MB of
// every instance's start and memory (a hello instance's first answer came 1.37 times later than a node:http
// server's), then about 25 µs for each Request and each Response, with the streams, AbortSignal and Headers they
// set up (together they halved a hello handler's throughput against the same function as a node:http server).
// Most handlers read little of the request and answer with a string or bytes, so:
//   - the handler gets a Request whose method and url are plain fields, and whose body is null for GET and HEAD;
//     reading anything else (headers, body, signal, clone(), ...) makes the real Request first, once;
//   - the global Response, for a string, bytes or no body and a plain init, records what to send and validates it as
//     the real constructor would; the wrapper writes it straight to the socket. Reading anything but status, ok
//     and statusText makes the real Response first (then the wrapper sends that one, as any other).
// undici is loaded only when a real object is made. Both lazy objects pass for real ones: `instanceof` holds (for
// the global classes always, for undici's own once loaded), every getter and method of the real class works (it
// runs on the real object), `constructor` is the global, and fetch() and new Request() take a lazy Request.
'use strict';

/** The real object behind a lazy one, once made. */
const REAL = Symbol('isola.real');
/** On a lazy object's prototype: makes its real object. */
const MAKE = Symbol('isola.make');
/** On a lazy Response: what to send while no real Response exists. */
const PLAN = Symbol('isola.plan');
/** On a lazy Request: node:http's IncomingMessage, what turns it into a real Request, and its URL once asked for. */
const INCOMING = Symbol('isola.incoming');
const CONVERT = Symbol('isola.convert');
const HREF = Symbol('isola.href');

// The members of Request and Response (the fetch standard's, as Node.js 20 has them); whatever else undici's
// classes have is added when it is loaded.
const BODY_METHODS = ['arrayBuffer', 'blob', 'bytes', 'formData', 'json', 'text', 'clone'];
const REQUEST_FIELDS = ['method', 'url', 'headers', 'destination', 'referrer', 'referrerPolicy', 'mode',
  'credentials', 'cache', 'redirect', 'integrity', 'keepalive', 'isReloadNavigation', 'isHistoryNavigation',
  'signal', 'body', 'bodyUsed', 'duplex'];
const RESPONSE_FIELDS = ['type', 'url', 'redirected', 'status', 'ok', 'statusText', 'headers', 'body', 'bodyUsed'];

// --- undici, on demand ---------------------------------------------------------------------------------------

// Node.js's own global properties, kept before install() replaces them; reading one is what loads undici.
const globals = {};
for (const name of ['Request', 'Response', 'fetch']) {
  globals[name] = Object.getOwnPropertyDescriptor(globalThis, name);
}

let native; // { Request, Response, fetch } once loaded
let installed = []; // [name, value] of what install() put in the global scope

function natives() {
  if (native === undefined) {
    const get = (name) => (globals[name].get ? globals[name].get.call(globalThis) : globals[name].value);
    native = { Request: get('Request'), Response: get('Response'), fetch: get('fetch') };
    adopt(requestPrototype, native.Request, Request);
    adopt(responsePrototype, native.Response, Response);
    // Node.js's getter puts what it loaded in the global scope in place of itself, and so of ours: put ours back.
    for (const [name, ours] of installed) {
      if (globalThis[name] === native[name]) define(name, ours);
    }
  }
  return native;
}

// real returns the real object behind a lazy one (made on first use), or the object itself (undici's, or a
// subclass's, which is undici's object with the subclass's prototype).
function real(object) {
  if (!Object.hasOwn(object, REAL)) return object;
  return object[REAL] ??= object[MAKE]();
}

// forward defines `key` on `proto` as running the real class's member of that name on the real object, so that
// no member of undici's ever sees a lazy one.
function forward(proto, Native, key, method) {
  let d;
  const member = () => (d ??= Object.getOwnPropertyDescriptor(Native().prototype, key));
  if (method) {
    Object.defineProperty(proto, key, {
      value(...args) { return member().value.apply(real(this), args); },
      writable: true, configurable: true,
    });
  } else {
    Object.defineProperty(proto, key, {
      get() { return member().get.call(real(this)); },
      configurable: true,
    });
  }
}

// adopt puts the real class's prototype under a lazy one, forwards what this file did not name, and makes the
// global class the real objects' constructor.
function adopt(proto, Native, Global) {
  for (const key of Reflect.ownKeys(Native.prototype)) {
    if (key === 'constructor' || key === Symbol.toStringTag || Object.hasOwn(proto, key)) continue;
    const d = Object.getOwnPropertyDescriptor(Native.prototype, key);
    if (d.get || typeof d.value === 'function') forward(proto, () => Native, key, !d.get);
  }
  Object.setPrototypeOf(proto, Native.prototype);
  Object.defineProperty(Native.prototype, 'constructor', { value: Global });
}

// lazyPrototype is the prototype of a global class (and of its lazy objects) whose members forward.
function lazyPrototype(name, fields) {
  const proto = {};
  const Native = () => natives()[name];
  for (const key of fields) forward(proto, Native, key, false);
  for (const key of BODY_METHODS) forward(proto, Native, key, true);
  Object.defineProperty(proto, Symbol.toStringTag, { value: name, configurable: true });
  return proto;
}

// globalClass makes `make` (a function called with new) the global class `name`: `instanceof` holds for lazy and,
// once loaded, for undici's objects, and subclasses get undici's objects with their own prototype.
function globalClass(make, proto, name) {
  make.prototype = proto;
  Object.defineProperty(proto, 'constructor', { value: make, writable: true, configurable: true });
  Object.defineProperty(make, Symbol.hasInstance, {
    value: (v) => proto.isPrototypeOf(v) || (native !== undefined && v instanceof native[name]),
  });
}

// --- Request -------------------------------------------------------------------------------------------------

const requestPrototype = lazyPrototype('Request', REQUEST_FIELDS);
// Immutable in a real Request, so answered without one.
Object.defineProperties(requestPrototype, {
  method: { get() { return this[INCOMING] ? this[INCOMING].method : unlazy(this, 'method'); }, configurable: true },
  url: { get() { return this[INCOMING] ? this[HREF] ??= hrefOf(this[INCOMING]) : unlazy(this, 'url'); },
    configurable: true },
  body: { get() { return bodiless(this) ? null : unlazy(this, 'body'); }, configurable: true },
  bodyUsed: { get() { return bodiless(this) ? false : unlazy(this, 'bodyUsed'); }, configurable: true },
});

// unlazy reads `key` of the real object behind a Request (or of a subclass's real object itself).
function unlazy(request, key) {
  return Object.getOwnPropertyDescriptor(natives().Request.prototype, key).get.call(real(request));
}

function bodiless(request) {
  const method = request[INCOMING]?.method;
  return method === 'GET' || method === 'HEAD';
}

function LazyRequest(incoming, convert) {
  this[INCOMING] = incoming;
  this[CONVERT] = convert;
  this[HREF] = undefined;
  this[REAL] = undefined;
}
LazyRequest.prototype = requestPrototype;
requestPrototype[MAKE] = function make() {
  return this[CONVERT](this[INCOMING], this.url);
};

// hrefOf: the URL the request was sent to, as a Request would serialise it. A Host header that makes no URL
// leaves the path and query to the handler under localhost.
function hrefOf(incoming) {
  try {
    return new URL(`http://${incoming.headers.host || 'localhost'}${incoming.url}`).href;
  } catch (err) {
    if (!(err instanceof TypeError) || !incoming.url.startsWith('/')) throw err;
    return new URL(`http://localhost${incoming.url}`).href;
  }
}

/**
 * A Request for `incoming` (node:http's IncomingMessage) whose real object, when one is needed, is
 * `convert(incoming, href)`, given the request's URL; convert makes it with realRequest.
 */
function lazyRequest(incoming, convert) {
  return new LazyRequest(incoming, convert);
}

/** A real (undici) Request. */
function realRequest(input, init) {
  return new (natives().Request)(input, init);
}

// A lazy Request given to the global Request or fetch stands for its real one.
function unwrap(input) {
  return input !== null && typeof input === 'object' ? real(input) : input;
}

function Request(input, init) {
  if (new.target === undefined) throw new TypeError("Class constructor Request cannot be invoked without 'new'");
  const Native = natives().Request;
  return Reflect.construct(Native, arguments.length < 2 ? [unwrap(input)] : [unwrap(input), init],
    new.target === Request ? Native : new.target);
}
globalClass(Request, requestPrototype, 'Request');

function fetch(input, ...rest) {
  return natives().fetch(unwrap(input), ...rest);
}

// --- Response ------------------------------------------------------------------------------------------------

// The fetch standard's checks of a Response's init, for the cases answered without a real Response.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// A header value as given must already be what a Response would keep: no surrounding whitespace, no NUL, CR or
// LF, nothing above U+00FF (a ByteString).
const VALUE = /^(?:[^\0\r\n\t \u0100-\uffff](?:[^\0\r\n\u0100-\uffff]*[^\0\r\n\t \u0100-\uffff])?)?$/;
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
// Headers the wrapper's own framing decides (it sets Content-Length); a Response that names one is sent real.
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

function isPlainObject(value) {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// plan returns what to send for (body, init), or undefined when a real Response must decide (a stream or other
// body, an init that is not a plain object, or anything the real constructor would reject or rewrite).
function plan(body, init, defaultType) {
  let content;
  if (body === null || body === undefined) {
    content = null;
  } else if (typeof body === 'string') {
    content = body;
    defaultType ??= 'text/plain;charset=UTF-8';
  } else if (body instanceof Uint8Array) {
    content = Buffer.from(body); // a copy, as a Response takes: later changes to the caller's bytes are not sent
  } else {
    return undefined;
  }
  let status = 200;
  let statusText = '';
  const headers = {};
  if (init !== undefined && init !== null) {
    if (!isPlainObject(init)) return undefined;
    if (init.status !== undefined) {
      if (!Number.isInteger(init.status) || init.status < 200 || init.status > 599) return undefined;
      status = init.status;
    }
    if (init.statusText !== undefined) {
      if (typeof init.statusText !== 'string' || !REASON_PHRASE.test(init.statusText)) return undefined;
      statusText = init.statusText;
    }
    if (init.headers !== undefined) {
      if (!isPlainObject(init.headers)) return undefined;
      for (const name of Object.keys(init.headers)) {
        const value = init.headers[name];
        const lower = name.toLowerCase();
        if (typeof value !== 'string' || !TOKEN.test(name) || !VALUE.test(value) || FRAMING.has(lower)
            || lower in headers) {
          return undefined;
        }
        headers[lower] = value;
      }
    }
  }
  if (content !== null && NULL_BODY_STATUS.has(status)) return undefined;
  if (defaultType !== undefined && !('content-type' in headers)) headers['content-type'] = defaultType;
  if (content !== null) headers['content-length'] = Buffer.byteLength(content);
  return { status, statusText, headers, content };
}

const responsePrototype = lazyPrototype('Response', RESPONSE_FIELDS);
// Immutable in a real Response, so answered without one (a subclass's object is a real one: read from undici).
for (const [key, fromPlan] of [['status', (p) => p.status], ['ok', (p) => p.status >= 200 && p.status <= 299],
  ['statusText', (p) => p.statusText]]) {
  Object.defineProperty(responsePrototype, key, {
    get() {
      const planned = this[PLAN];
      return planned ? fromPlan(planned)
        : Object.getOwnPropertyDescriptor(natives().Response.prototype, key).get.call(this);
    },
    configurable: true,
  });
}

function LazyResponse(planned) {
  this[PLAN] = planned;
  this[REAL] = undefined;
}
LazyResponse.prototype = responsePrototype;
// The real Response is made from the plan, not from the handler's arguments, which it may change afterwards.
responsePrototype[MAKE] = function make() {
  const { content, status, statusText, headers: { 'content-length': length, ...headers } } = this[PLAN];
  return new (natives().Response)(content, { status, statusText, headers });
};

function Response(body = null, init = undefined) {
  if (new.target === undefined) throw new TypeError("Class constructor Response cannot be invoked without 'new'");
  const planned = new.target === Response ? plan(body, init) : undefined;
  if (planned !== undefined) return new LazyResponse(planned);
  const Native = natives().Response;
  return Reflect.construct(Native, [body, init], new.target === Response ? Native : new.target);
}
globalClass(Response, responsePrototype, 'Response');
Response.error = () => natives().Response.error();
Response.redirect = (url, status) => natives().Response.redirect(url, status);
Response.json = (data, init = {}) => {
  const text = JSON.stringify(data);
  const planned = text === undefined ? undefined : plan(text, init, 'application/json');
  return planned === undefined ? natives().Response.json(data, init) : new LazyResponse(planned);
};

/**
 * What to send for `response` without reading it: { status, statusText, headers (lower-case names, with the
 * content-length of a body), content (string, Buffer or null) }, or undefined when it is a real Response (or a lazy
 * one whose real one was made). The wrapper must not change it: the real Response, if one is made, comes from it.
 */
function pendingResponse(response) {
  return Object.hasOwn(response, PLAN) && response[REAL] === undefined ? response[PLAN] : undefined;
}

/**
 * Puts the lazy Response, and the Request and fetch that take a lazy Request, in the global scope, as data
 * properties that load nothing when read.
 */
function install() {
  installed = [['Request', Request], ['Response', Response], ['fetch', fetch]];
  for (const [name, value] of installed) define(name, value);
}

function define(name, value) {
  Object.defineProperty(globalThis, name,
    { value, writable: true, configurable: true, enumerable: globals[name].enumerable });
}

module.exports = { install, lazyRequest, pendingResponse, realRequest };
