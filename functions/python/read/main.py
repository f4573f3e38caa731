"""python-read is the paper's file-system workload as a WSGI application: it reads a ?mib= MiB file (default 50,
1..1024) fully into memory and answers {"bytes":N,"micros":T}, T being the time of the read alone. The file is
written (and fsynced) once per instance, so later reads are usually served from the page cache, as in the paper's
repeated runs."""

import logging
import re
import time
from urllib.parse import parse_qs

from datafile import data_file

log = logging.getLogger(__name__)


def app(environ, start_response):
    try:
        mib = int_param(environ, 'mib', 50, 1, 1024)
    except BadRequest as err:
        return bad_request(start_response, err)
    try:
        path = data_file('read', mib)
    except OSError as err:
        log.error('failed to create the data file: %s', err)
        return text(start_response, 'failed to create the data file\n', '500 Internal Server Error')
    start = time.perf_counter_ns()
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as err:
        log.error('failed to read the data file: %s', err)
        return text(start_response, 'failed to read the data file\n', '500 Internal Server Error')
    micros = (time.perf_counter_ns() - start) // 1000
    body = f'{{"bytes":{len(data)},"micros":{micros}}}\n'.encode()
    start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
    return [body]


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
