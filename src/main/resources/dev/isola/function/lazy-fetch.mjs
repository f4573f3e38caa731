// lazy-fetch.mjs — fetch-API Requests and Responses that cost nothing until a handler uses them; part of Isola's
// Node.js handler wrapper (handler-wrapper.mjs), copied beside it into each artefact.
//
// Why: a real (undici) Request and Response cost about 25 µs each, with the streams, AbortSignal and Headers they
// set up. A hello handler through the wrapper made both on every call and served 0.54-0.59 of the same function
// written as a plain node:http server (bench/handler-mode.sh). Most handlers read little of the request and answer
// with a string or bytes, so:
//   - the handler gets a Request whose method and url are plain fields, and whose body is null for GET and HEAD;
//     reading anything else (headers, body, signal, clone(), ...) makes the real Request first, once;
//   - the global Response, for a string, bytes or no body and a plain init, records what to send and validates it as
//     the real constructor would; the wrapper writes it straight to the socket. Reading anything but status, ok
//     and statusText makes the real Response first (then the wrapper sends that one, as any other).
// Both are real instances as far as code can tell: `instanceof` holds, every getter and method of the real class
// works (it runs on the real object), `constructor` is the global, and fetch() and new Request() accept a lazy
// Request. What stays different: the lazy object itself is not the one undici's internals know, so the real one
// behind it is what those internals see.

const NativeRequest = globalThis.Request;
const NativeResponse = globalThis.Response;
const nativeFetch = globalThis.fetch;

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

// real returns the real object behind a lazy one (made on first use), or the object itself.
function real(object) {
  if (object[MAKE] === undefined) return object;
  return object[REAL] ??= object[MAKE]();
}

// forwarding builds a prototype below Native.prototype on which every accessor and method of Native.prototype runs
// on the real object, so that none of them ever sees the lazy one.
function forwarding(Native) {
  const proto = Object.create(Native.prototype);
  for (const key of Reflect.ownKeys(Native.prototype)) {
    if (key === 'constructor' || key === Symbol.toStringTag) continue;
    const d = Object.getOwnPropertyDescriptor(Native.prototype, key);
    if (d.get) {
      Object.defineProperty(proto, key, {
        get() { return d.get.call(real(this)); },
        set: d.set && function set(value) { d.set.call(real(this), value); },
        enumerable: d.enumerable, configurable: true,
      });
    } else if (typeof d.value === 'function') {
      Object.defineProperty(proto, key, {
        value(...args) { return d.value.apply(real(this), args); },
        enumerable: d.enumerable, writable: true, configurable: true,
      });
    }
  }
  return proto;
}

// --- Request -------------------------------------------------------------------------------------------------

const requestPrototype = forwarding(NativeRequest);
// Immutable in a real Request, so answered without one.
Object.defineProperties(requestPrototype, {
  method: { get() { return this[INCOMING].method; }, configurable: true },
  url: { get() { return this[HREF] ??= hrefOf(this[INCOMING]); }, configurable: true },
  body: { get() { return bodiless(this) ? null : real(this).body; }, configurable: true },
  bodyUsed: { get() { return bodiless(this) ? false : real(this).bodyUsed; }, configurable: true },
});

function bodiless(request) {
  const method = request[INCOMING].method;
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
 * `convert(incoming, href)`, given the request's URL.
 */
export function lazyRequest(incoming, convert) {
  return new LazyRequest(incoming, convert);
}

// The global Request and fetch take a lazy Request as the real one it stands for.
function unwrap(input) {
  return input instanceof LazyRequest ? real(input) : input;
}

function Request(input, init) {
  if (new.target === undefined) throw new TypeError("Class constructor Request cannot be invoked without 'new'");
  return Reflect.construct(NativeRequest, arguments.length < 2 ? [unwrap(input)] : [unwrap(input), init],
    new.target === Request ? NativeRequest : new.target);
}
Request.prototype = NativeRequest.prototype;

function fetch(input, ...rest) {
  return nativeFetch(unwrap(input), ...rest);
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
    const proto = typeof init === 'object' ? Object.getPrototypeOf(init) : undefined;
    if (proto !== Object.prototype && proto !== null) return undefined;
    if (init.status !== undefined) {
      if (!Number.isInteger(init.status) || init.status < 200 || init.status > 599) return undefined;
      status = init.status;
    }
    if (init.statusText !== undefined) {
      if (typeof init.statusText !== 'string' || !REASON_PHRASE.test(init.statusText)) return undefined;
      statusText = init.statusText;
    }
    if (init.headers !== undefined) {
      const given = init.headers;
      const hproto = typeof given === 'object' && given !== null ? Object.getPrototypeOf(given) : undefined;
      if (hproto !== Object.prototype && hproto !== null) return undefined;
      for (const name of Object.keys(given)) {
        const value = given[name];
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

const responsePrototype = forwarding(NativeResponse);
// Immutable in a real Response, so answered without one.
Object.defineProperties(responsePrototype, {
  status: { get() { return this[PLAN].status; }, configurable: true },
  ok: { get() { return this[PLAN].status >= 200 && this[PLAN].status <= 299; }, configurable: true },
  statusText: { get() { return this[PLAN].statusText; }, configurable: true },
});

function LazyResponse(planned) {
  this[PLAN] = planned;
  this[REAL] = undefined;
}
LazyResponse.prototype = responsePrototype;
// The real Response is made from the plan, not from the handler's arguments, which it may change afterwards.
responsePrototype[MAKE] = function make() {
  const { content, status, statusText, headers: { 'content-length': length, ...headers } } = this[PLAN];
  return new NativeResponse(content, { status, statusText, headers });
};

function Response(body = null, init = undefined) {
  if (new.target === undefined) throw new TypeError("Class constructor Response cannot be invoked without 'new'");
  const planned = new.target === Response ? plan(body, init) : undefined;
  if (planned === undefined) {
    return Reflect.construct(NativeResponse, [body, init], new.target === Response ? NativeResponse : new.target);
  }
  return new LazyResponse(planned);
}
Response.prototype = NativeResponse.prototype;
Response.error = () => NativeResponse.error();
Response.redirect = (url, status) => NativeResponse.redirect(url, status);
Response.json = (data, init = {}) => {
  const text = JSON.stringify(data);
  const planned = text === undefined ? undefined : plan(text, init, 'application/json');
  return planned === undefined ? NativeResponse.json(data, init) : new LazyResponse(planned);
};

/**
 * What to send for `response` without reading it: { status, statusText, headers (lower-case names, with the
 * content-length of a body), content (string, Buffer or null) }, or undefined when it is a real Response (or a lazy
 * one whose real one was made). The wrapper must not change it: the real Response, if one is made, comes from it.
 */
export function pendingResponse(response) {
  return response instanceof LazyResponse && response[REAL] === undefined ? response[PLAN] : undefined;
}

/** Puts the lazy Response, and the Request and fetch that accept a lazy Request, in the global scope. */
export function install() {
  globalThis.Request = Request;
  globalThis.Response = Response;
  globalThis.fetch = fetch;
  Object.defineProperty(NativeRequest.prototype, 'constructor', { value: Request });
  Object.defineProperty(NativeResponse.prototype, 'constructor', { value: Response });
}
