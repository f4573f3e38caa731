# Run with: python3 -m unittest
import unittest
from wsgiref.util import setup_testing_defaults

from main import app


class GreetingTest(unittest.TestCase):
    def test_greets_by_name(self):
        environ = {'QUERY_STRING': 'name=Isola'}
        setup_testing_defaults(environ)
        started = {}
        body = b''.join(app(environ, lambda status, headers: started.update(status=status)))
        self.assertEqual(started['status'], '200 OK')
        self.assertEqual(body, b'Hello, Isola!\n')


if __name__ == '__main__':
    unittest.main()
