// node-fib is the paper's CPU workload: fib(n) computed by naive recursion (?n=, default 30, 0..45).
'use strict';

const { serve, intParam, text, badRequest, drain } = require('./serve');

function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

serve((req, res) => drain(req, () => {
  const n = intParam(req, 'n', 30, 0, 45);
  if (n.error) return badRequest(res, n.error);
  text(res, `${fib(n.value)}\n`);
}));
