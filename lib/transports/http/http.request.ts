import type { IncomingMessage } from 'node:http';
import { readingOf, type ProbeReading } from '../../core/probe.reading.js';

/** The request a guard sees: Express' (Node's own) or Fastify's (which wraps Node's as `raw`). */
export type HttpRequest = IncomingMessage | { raw: IncomingMessage };

/** @internal Node's request, under Express' or Fastify's. */
export function rawRequest(request: HttpRequest): IncomingMessage {
  return 'raw' in request && request.raw ? request.raw : (request as IncomingMessage);
}

/** @internal The reading a request asks for. */
export function readingOfRequest(request: HttpRequest): ProbeReading {
  const raw = rawRequest(request);
  return readingOf(raw.url ?? '', raw.headers?.accept);
}

/** @internal The `index`-th segment of the request's path from its end, as sent (not decoded). */
export function rawSegment(request: HttpRequest, index: number): string {
  const raw = rawRequest(request) as { url?: string; originalUrl?: string };
  const path = (raw.originalUrl ?? raw.url ?? '').split(/[?#]/)[0].replace(/\/$/, '');
  const segments = path.split('/');
  return segments[segments.length - index] ?? '';
}
