import type { Server, ServerResponse } from 'node:http';

/** How long a draining server lets idle keep-alive sockets be before closing them. */
const IDLE_GRACE_MS = 500;

/**
 * @internal Lets keep-alive clients go (responses from now on close their connection), then stops
 * accepting connections and waits for in-flight requests, closing connections as they fall idle:
 * keep-alive clients would otherwise hold the server open for ever. Resolves with how long it
 * took; at once (`undefined`) when the server does not listen.
 */
export async function drainHttpServer(server: Server | undefined): Promise<number | undefined> {
  if (!server?.listening) return undefined;
  const started = Date.now();
  server.prependListener('request', (_request, response: ServerResponse) => {
    if (!response.headersSent) response.setHeader('Connection', 'close');
  });
  // A request may be on its way on a socket that looks idle, and server.close() closes idle
  // sockets at once (Node 19+): it is called only after a grace period, during which every
  // response tells its client to let go of the connection.
  await new Promise((resolve) => setTimeout(resolve, IDLE_GRACE_MS));
  await new Promise<void>((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 25);
    server.close(() => {
      clearInterval(sweep);
      resolve();
    });
  });
  return Date.now() - started;
}
