"""python-matrix is the paper's memory-read workload as a WSGI application: C = A×B for two n×n matrices of floats
(?n=, default 1024, 1..2048), naive triple loop in i-k-j order; the body is the sum of C's elements.

The entries are small integers, so every product and partial sum is exact in a float (IEEE 754 binary64, as in Go
and Node.js): the checksum does not depend on summation order, and the twins print the same number. Lists of rows
of floats, as plain Python has them (the standard library has no matrix type).
"""

import re
from urllib.parse import parse_qs


def multiply(n):
    a = [[float((i + 2 * j) % 7) for j in range(n)] for i in range(n)]
    b = [[float((3 * i + j) % 5) for j in range(n)] for i in range(n)]
    c = [[0.0] * n for _ in range(n)]
    for i in range(n):
        ai, ci = a[i], c[i]
        for k in range(n):
            aik, bk = ai[k], b[k]
            for j in range(n):
                ci[j] += aik * bk[j]
    return sum(sum(ci) for ci in c)


def app(environ, start_response):
    try:
        n = int_param(environ, 'n', 1024, 1, 2048)
    except BadRequest as err:
        return bad_request(start_response, err)
    # The sum is a whole number: printed without a fraction, as Go's FormatFloat(v, 'f', -1, 64) and Node.js do.
    return text(start_response, f'{int(multiply(n))}\n')


# The helpers below are the Go and Node.js twins' intParam, text and badRequest (serve.go / serve.js): the same
# parameters, answers and error bodies. Every workload under functions/python carries the same copy.

class BadRequest(Exception):
    """A bad parameter: answered 400 with the message as a one-line plain-text reason."""


# An optional sign and ASCII digits (Go's strconv.Atoi); leading zeros are dropped so that int() never meets a
# digit string beyond its length limit. More than 19 significant digits is out of range in any case.
_INTEGER = re.compile(r'([+-]?)0*([0-9]{1,19})')


def int_param(environ, name, default, lo, hi):
    """Query parameter name as an integer in [lo, hi]; absent or empty gives default. Raises BadRequest."""
    s = parse_qs(environ.get('QUERY_STRING', ''), keep_blank_values=True).get(name, [''])[0]
    if s == '':
        return default
    m = _INTEGER.fullmatch(s)
    if m is None or not lo <= int(m[1] + m[2]) <= hi:
        raise BadRequest(f'{name} must be an integer in {lo}..{hi}')
    return int(m[1] + m[2])


def text(start_response, body, status='200 OK'):
    """Answers with a plain-text body (200 unless told)."""
    data = body.encode()
    start_response(status, [('Content-Type', 'text/plain; charset=utf-8'), ('Content-Length', str(len(data)))])
    return [data]


def bad_request(start_response, err):
    """Answers 400 with a one-line plain-text reason."""
    return text(start_response, f'{err}\n', '400 Bad Request')
