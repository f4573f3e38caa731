"""The function __NAME__. Isola supplies the HTTP server (listening, readiness, graceful stop, keep-alive) and calls
this WSGI application (PEP 3333) for every request to /function/__NAME__/... A Flask or Django application works
too: vendor it into this directory (pip install --target .) and name it in function.yaml's handler."""
from urllib.parse import parse_qs


def app(environ, start_response):
    name = parse_qs(environ.get('QUERY_STRING', '')).get('name', ['world'])[0]
    body = f'Hello, {name}!\n'.encode()
    start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8'), ('Content-Length', str(len(body)))])
    return [body]
