"""python-alloc is the paper's memory-write workload as a WSGI application: allocate ?mib= MiB (default 50, 1..4096)
and write one byte to every 4 KiB page so that each page is backed by physical memory; the body is the number of
bytes made resident (pages written × 4096).

The memory is an anonymous mmap: fresh untouched zero pages from the OS, as Go's make of a large slice and
Node.js's Buffer.allocUnsafe get, so the loop below takes one page fault per page, as in the paper (a bytearray
would be zero-filled by memset first, faulting every page in before the loop). It is unmapped on return.
"""

import mmap
import re
from urllib.parse import parse_qs

PAGE_SIZE = 4096


def touch(size):
    pages = 0
    with mmap.mmap(-1, size) as b:
        for i in range(0, size, PAGE_SIZE):
            b[i] = 1
            pages += 1
    return pages * PAGE_SIZE


def app(environ, start_response):
    try:
        mib = int_param(environ, 'mib', 50, 1, 4096)
    except BadRequest as err:
        return bad_request(start_response, err)
    return text(start_response, f'{touch(mib << 20)}\n')


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
