// The function __NAME__. Isola supplies the HTTP server (listening, readiness, graceful stop, keep-alive) and calls
// this for every request to /function/__NAME__/...: a fetch-API Request in, a Response out.
export default async (request) => {
  const name = new URL(request.url).searchParams.get('name') ?? 'world';
  return new Response(`Hello, ${name}!\n`, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
};
