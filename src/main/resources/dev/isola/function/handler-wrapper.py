# Isola's handler-mode wrapper for Python; copied into each artefact, never into the function's sources.
# The function names a WSGI application (PEP 3333) as module:attribute; this file serves it with waitress and
# carries the whole function contract (functions/README.md), as the Go and Node.js wrappers do.
#
#   python3 -I -B -S -u .isola/handler_wrapper.py PACKAGES THREADS module:attr           serve
#   python3 -I -B -S -u .isola/handler_wrapper.py --check PACKAGES THREADS module:attr   check it (at deploy)
#
# -I -S: nothing of the environment or of the host's site-packages is on sys.path; only the function's own
# directory (its vendored packages too) and, for waitress alone, PACKAGES.
import importlib
import logging
import os
import signal
import sys
import threading
import time
import traceback

FN = os.environ.get('ISOLA_FUNCTION', '')
INST = os.environ.get('ISOLA_INSTANCE', '')

# How long an idle keep-alive connection is kept. Long, so that the gateway's connection pool, which drops idle
# connections sooner, is the side that closes them: a server closing first races with a request the pool is just
# sending on that connection. Same as the Go and Node.js wrappers.
IDLE_TIMEOUT_S = 5 * 60
# Bounds the wait for requests under way after SIGTERM; the platform sends SIGKILL 2 s after SIGTERM anyway.
STOP_TIMEOUT_S = 30
MAX_HEADER_BYTES = 1 << 20


class HandlerError(Exception):
    pass


def log(msg):
    sys.stderr.write(f'fn={FN} inst={INST} {msg}\n')
    sys.stderr.flush()


def load(spec):
    """Imports module:attr and returns the application, or raises HandlerError the deployer can act on."""
    module_name, _, attr_path = spec.partition(':')
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name and (module_name == err.name or module_name.startswith(err.name + '.')):
            path = module_name.replace('.', '/')
            raise HandlerError(f"module '{module_name}' not found: expected {path}.py or {path}/__init__.py in "
                               'the function directory') from None
        raise
    app = module
    for name in attr_path.split('.'):
        if not hasattr(app, name):
            raise HandlerError(f"module '{module_name}' has no attribute '{attr_path}' (expected the WSGI "
                               f'application, e.g. {attr_path} = Flask(__name__) or def {attr_path}(environ, '
                               'start_response))')
        app = getattr(app, name)
    if not callable(app):
        raise HandlerError(f"'{spec}' is {type(app).__name__}, not callable: a WSGI application is called as "
                           'app(environ, start_response)')
    return app


def notify_ready(url):
    """The single readiness POST; a failure is logged and otherwise ignored (the platform then probes)."""
    import http.client
    import urllib.parse
    try:
        target = urllib.parse.urlsplit(url)
        cls = http.client.HTTPSConnection if target.scheme == 'https' else http.client.HTTPConnection
        conn = cls(target.hostname, target.port, timeout=10)
        path = target.path + ('?' + target.query if target.query else '')
        conn.request('POST', path or '/', body=b'', headers={'Connection': 'close'})
        conn.getresponse().read()
        conn.close()
    except Exception as err:  # noqa: BLE001 - any failure means "probe instead"
        log(f'ready callback failed: {err}')


def serve(app, threads):
    from waitress import wasyncore
    from waitress.channel import HTTPChannel
    from waitress.server import create_server
    from waitress.task import WSGITask

    stopping = threading.Event()

    class Task(WSGITask):
        # While stopping, every answer closes its connection, so that the gateway stops sending on it.
        def build_response_header(self):
            if stopping.is_set():
                self.request.headers['CONNECTION'] = 'close'
            return super().build_response_header()

    class Channel(HTTPChannel):
        task_class = Task

    host = os.environ.get('HOST', '0.0.0.0')
    port = int(os.environ.get('PORT', '8080'))
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format=f'fn={FN} inst={INST} %(message)s')
    try:
        # Bound and listening on return: the readiness callback below never precedes the port.
        server = create_server(app, host=host, port=port, threads=threads, ident=None,
                               channel_timeout=IDLE_TIMEOUT_S, cleanup_interval=30, asyncore_use_poll=True,
                               max_request_header_size=MAX_HEADER_BYTES, connection_limit=1000)
    except OSError as err:
        log(f'failed to listen on {host}:{port}: {err}')
        sys.exit(1)
    server.channel_class = Channel
    log(f'listening on {server.effective_host}:{server.effective_port}')
    url = os.environ.get('ISOLA_READY_URL')
    if url:
        threading.Thread(target=notify_ready, args=(url,), daemon=True).start()

    # SIGTERM is the platform's stop: stop accepting, answer the requests under way, then exit 0. Python's
    # default for SIGTERM is to die at once; as PID 1 in a container it would be ignored altogether.
    def on_term(signum, frame):
        stopping.set()
        server.pull_trigger()  # wakes the loop's poll, which would otherwise sleep out its timeout first

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    channels = server._map
    while not stopping.is_set():
        wasyncore.loop(timeout=1.0, map=channels, use_poll=True, count=1)
    wasyncore.dispatcher.close(server)  # the listener only: the trigger still wakes the loop for finished tasks
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        open_channels = [c for c in list(channels.values()) if isinstance(c, HTTPChannel)]
        for channel in open_channels:
            if not channel.requests and channel.request is None and not channel.total_outbufs_len:
                channel.will_close = True  # idle: closed on the loop's next turn
        if not open_channels:
            break
        wasyncore.loop(timeout=0.1, map=channels, use_poll=True, count=1)
    else:
        log('stopped with requests still under way')
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
    sys.exit(0)


def main(argv):
    check = argv[:1] == ['--check']
    if check:
        argv = argv[1:]
    packages, threads, spec = argv
    sys.path.insert(0, os.getcwd())
    sys.path.append(packages)
    try:
        app = load(spec)
    except HandlerError as err:
        if check:
            sys.stderr.write(f'{err}\n')
        else:
            log(f'failed to load the handler: {err}')
        sys.exit(1)
    except BaseException:  # the module's own error (syntax, a failed import) with its traceback: file and line
        if check:
            traceback.print_exc()
        else:
            log(f'failed to load the handler:\n{traceback.format_exc()}')
        sys.exit(1)
    if check:
        import waitress  # noqa: F401 - the server must load too
        sys.exit(0)
    serve(app, int(threads))


if __name__ == '__main__':
    main(sys.argv[1:])
