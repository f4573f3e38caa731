// param.js holds the query-parameter and answer helpers of the Node.js workloads. Each function is uploaded on
// its own (the deploy archive is its directory), so each carries this copy, as the Go twins carry param.go.
'use strict';

// intParam reads query parameter name of request (a fetch Request) as an integer in [lo, hi]; absent or empty
// gives def. Returns {value} or {error} (the same message as the Go twin).
function intParam(request, name, def, lo, hi) {
  const s = new URL(request.url).searchParams.get(name);
  if (s === null || s === '') return { value: def };
  const v = /^[+-]?\d+$/.test(s) ? Number(s) : NaN;
  if (!(v >= lo && v <= hi)) return { error: `${name} must be an integer in ${lo}..${hi}` };
  return { value: v };
}

// text is a plain-text answer (200 unless told).
function text(body, status = 200) {
  return new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

// badRequest is a 400 with a one-line plain-text reason.
function badRequest(message) {
  return text(`${message}\n`, 400);
}

module.exports = { intParam, text, badRequest };
