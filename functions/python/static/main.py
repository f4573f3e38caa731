"""python-static is the paper's network-throughput workload as a WSGI application: it serves a ?mib= MiB file
(default 50, 1..1024) with Content-Length, streamed from disk through waitress's wsgi.file_wrapper (1 MiB reads;
waitress has no sendfile(2)). Like the Node.js twin it answers HEAD but ignores Range: every GET gets the whole file
with a 200."""

import logging
import os
import re
from urllib.parse import parse_qs

from datafile import data_file

log = logging.getLogger(__name__)
BLOCK = 1 << 20


def app(environ, start_response):
    try:
        mib = int_param(environ, 'mib', 50, 1, 1024)
    except BadRequest as err:
        return bad_request(start_response, err)
    try:
        path = data_file('static', mib)
    except OSError as err:
        log.error('failed to create the data file: %s', err)
        return text(start_response, 'failed to create the data file\n', '500 Internal Server Error')
    try:
        f = open(path, 'rb')
    except OSError as err:
        log.error('failed to open the data file: %s', err)
        return text(start_response, 'failed to open the data file\n', '500 Internal Server Error')
    size = os.fstat(f.fileno()).st_size
    start_response('200 OK', [('Content-Type', 'application/octet-stream'), ('Content-Length', str(size))])
    if environ['REQUEST_METHOD'] == 'HEAD':
        # Not the file wrapper: waitress would send the file after the headers even for HEAD.
        f.close()
        return []
    return environ['wsgi.file_wrapper'](f, BLOCK)


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
