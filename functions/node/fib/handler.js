// node-fib is the paper's CPU workload: fib(n) computed by naive recursion (?n=, default 30, 0..45).
'use strict';

const { intParam, text, badRequest } = require('./param');

function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

module.exports = async (request) => {
  const n = intParam(request, 'n', 30, 0, 45);
  if (n.error) return badRequest(n.error);
  return text(`${fib(n.value)}\n`);
};
