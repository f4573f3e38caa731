"""python-hello is the no-op function of the paper's cold-start, burst, idle and network experiments, as a WSGI
application (Isola serves it with waitress): 200 "ok" on any path and method."""

BODY = b'ok'
HEADERS = [('Content-Type', 'text/plain; charset=utf-8'), ('Content-Length', str(len(BODY)))]


def app(environ, start_response):
    # The body is read and discarded, as hello does; waitress has buffered it whole before the call anyway.
    environ['wsgi.input'].read()
    start_response('200 OK', HEADERS)
    return [BODY]
