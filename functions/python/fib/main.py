"""python-fib is the paper's CPU workload as a WSGI application: fib(n) computed by naive recursion (?n=, default
30, 0..45)."""

import re
from urllib.parse import parse_qs


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def app(environ, start_response):
    try:
        n = int_param(environ, 'n', 30, 0, 45)
    except BadRequest as err:
        return bad_request(start_response, err)
    return text(start_response, f'{fib(n)}\n')


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
