// The Node.js handler-mode test function: Isola's wrapper is its server. It echoes what it was called with,
// streams, throws and waits on request, so that a test can see each of those cross the wrapper.
let release = () => {};

export default async (request) => {
  const url = new URL(request.url);
  switch (url.pathname) {
    case '/slow': {
      process.stderr.write('slow request started\n');
      await new Promise((resolve) => setTimeout(resolve, Number(url.searchParams.get('ms'))));
      return new Response('slept');
    }
    case '/throw':
      throw new Error('handler failed on purpose');
    case '/not-a-response':
      return 'just a string';
    case '/stream': {
      // First chunk at once, the second only after a call to /release: a caller that reads the first chunk
      // before calling /release proves that the body streamed.
      const released = new Promise((resolve) => { release = resolve; });
      const encoder = new TextEncoder();
      let step = 0;
      const body = new ReadableStream({
        async pull(controller) {
          step++;
          if (step === 1) controller.enqueue(encoder.encode('first\n'));
          else if (step === 2) { await released; controller.enqueue(encoder.encode('second\n')); }
          else controller.close();
        },
      });
      return new Response(body, { headers: { 'content-type': 'text/plain' } });
    }
    case '/release':
      release();
      return new Response('released');
    default: {
      const body = request.body ? await request.text() : '';
      return Response.json({ method: request.method, path: url.pathname, query: url.search.slice(1),
        test: request.headers.get('x-test') ?? '', body });
    }
  }
};
