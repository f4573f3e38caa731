def describe(environ):
    length = int(environ.get('CONTENT_LENGTH') or 0)
    return {
        'method': environ['REQUEST_METHOD'],
        'path': environ.get('PATH_INFO', ''),
        'query': environ.get('QUERY_STRING', ''),
        'test': environ.get('HTTP_X_TEST', ''),
        'body': environ['wsgi.input'].read(length).decode() if length else '',
    }
