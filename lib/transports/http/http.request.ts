import type { IncomingMessage } from 'node:http';

/** The request a guard sees: Express' (Node's own) or Fastify's (which wraps Node's as `raw`). */
export type HttpRequest = IncomingMessage | { raw: IncomingMessage };

/** @internal Node's request, under Express' or Fastify's. */
export function rawRequest(request: HttpRequest): IncomingMessage {
  return 'raw' in request && request.raw ? request.raw : (request as IncomingMessage);
}
