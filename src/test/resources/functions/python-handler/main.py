# The Python handler-mode test function: Isola's wrapper (waitress) is its server. It echoes what it was called
# with, streams, raises and waits on request, so that a test can see each of those cross the wrapper.
import json
import sys
import threading
import time

from echo import describe  # a module of the function's own, found beside main.py

released = threading.Event()


def app(environ, start_response):
    path = environ.get('PATH_INFO', '/')
    if path == '/slow':
        sys.stderr.write('slow request started\n')
        time.sleep(int(dict(p.split('=') for p in environ['QUERY_STRING'].split('&'))['ms']) / 1000)
        return respond(start_response, b'slept')
    if path == '/throw':
        raise RuntimeError('handler failed on purpose')
    if path == '/stream':
        # First chunk at once, the second only after a call to /release: a caller that reads the first chunk
        # before calling /release proves that the body streamed.
        released.clear()
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return stream()
    if path == '/release':
        released.set()
        return respond(start_response, b'released')
    body = json.dumps(describe(environ)).encode()
    return respond(start_response, body, 'application/json')


def stream():
    yield b'first\n'
    released.wait(30)
    yield b'second\n'


def respond(start_response, body, content_type='text/plain'):
    start_response('200 OK', [('Content-Type', content_type), ('Content-Length', str(len(body)))])
    return [body]
