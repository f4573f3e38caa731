// node-matrix is the paper's memory-read workload: C = A×B for two n×n float64 matrices (?n=, default
// 1024, 1..2048), naive triple loop in i-k-j order; the body is the sum of C's elements.
//
// The entries are small integers, so every product and partial sum is exact in float64: the checksum
// does not depend on summation order, and the Go twin prints the same number.
'use strict';

const { intParam, text, badRequest } = require('./param');

function multiply(n) {
  const a = new Float64Array(n * n);
  const b = new Float64Array(n * n);
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      a[i * n + j] = (i + 2 * j) % 7;
      b[i * n + j] = (3 * i + j) % 5;
    }
  }
  for (let i = 0; i < n; i++) {
    const ci = i * n;
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      const bk = k * n;
      for (let j = 0; j < n; j++) c[ci + j] += aik * b[bk + j];
    }
  }
  let sum = 0;
  for (let i = 0; i < c.length; i++) sum += c[i];
  return sum;
}

module.exports = async (request) => {
  const n = intParam(request, 'n', 1024, 1, 2048);
  if (n.error) return badRequest(n.error);
  return text(`${multiply(n.value)}\n`);
};
