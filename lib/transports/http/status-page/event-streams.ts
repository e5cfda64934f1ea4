import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_PAGE_HEADERS } from './status-page.document.js';

/** A comment line this often keeps idle proxies (and `kubectl port-forward`) from cutting a stream. */
const HEARTBEAT_MS = 15_000;
/** A reader that lets this much pile up unread is let go: it would hold it in memory for ever. */
const MAX_UNREAD_BYTES = 1 << 20;
/** How soon a browser reconnects after a stream drops, in ms (`retry:`). */
const RETRY_MS = 1000;

/** @internal Why the streams end. */
export const STREAM_END = {
  draining: 'the application is shutting down',
  closing: 'the application is closing',
} as const;

const STREAM_HEADERS = {
  ...STATUS_PAGE_HEADERS,
  'Content-Type': 'text/event-stream; charset=utf-8',
  // no-transform: a compressing proxy or middleware would hold the events back.
  'Cache-Control': 'no-store, no-transform',
  'X-Accel-Buffering': 'no',
};

/** @internal What the streams tell their owner. */
export interface EventStreamsHooks {
  /** The first stream opened: start following what they show. */
  first(): void;
  /** The last one closed: stop, nothing is watched. */
  last(): void;
}

/**
 * @internal The status page's open event streams (server-sent events) on one port: at most
 * `max` at once (one more is answered 503, and its page retries), each sent the same data, the
 * newest again to a stream that opens; all ended with a reason when the shutdown's drain begins,
 * and none opened from then on. A timer runs only while a stream is open. Pure: the probe
 * server's worker keeps its own.
 */
export class EventStreams {
  private readonly open = new Set<ServerResponse>();
  private latest?: string;
  private heartbeat?: NodeJS.Timeout;
  private ended?: string;

  constructor(
    private readonly max: number,
    private readonly hooks: EventStreamsHooks,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** Opens a stream on `response`, or answers why not; `true` when it opened. */
  accept(request: IncomingMessage, response: ServerResponse): boolean {
    // Gone while it was being decided: 'close' has been and will not come again.
    if (response.socket === null || response.socket.destroyed) return false;
    if (request.method === 'HEAD') {
      response.writeHead(200, STREAM_HEADERS).end();
      return false;
    }
    const refusal =
      this.ended ??
      (this.open.size >= this.max
        ? `too many status streams are open (statusPage.maxStreams: ${this.max})`
        : undefined);
    if (refusal !== undefined) {
      response.writeHead(503, {
        ...STATUS_PAGE_HEADERS,
        'Content-Type': 'text/plain; charset=utf-8',
        'Retry-After': '5',
      });
      response.end(`${refusal}\n`);
      return false;
    }
    response.writeHead(200, STREAM_HEADERS);
    response.write(`retry: ${RETRY_MS}\n\n`);
    if (this.latest !== undefined) response.write(this.latest);
    this.open.add(response);
    response.once('close', () => this.drop(response));
    if (this.open.size === 1) this.started();
    return true;
  }

  /** Sends one message (a line of JSON) to every open stream, and to each that opens later. */
  send(data: string): void {
    this.latest = `data: ${data}\n\n`;
    for (const response of this.open) this.write(response, this.latest);
  }

  /** Ends every stream, saying why, and opens none from now on. */
  end(reason: string): void {
    this.ended ??= `the status stream has ended: ${reason}`;
    for (const response of this.open) {
      response.end(`event: end\ndata: ${reason}\n\n`);
      this.drop(response);
    }
  }

  private write(response: ServerResponse, chunk: string): void {
    if (response.writableLength > MAX_UNREAD_BYTES) {
      response.destroy();
      this.drop(response);
      return;
    }
    response.write(chunk);
  }

  private started(): void {
    this.heartbeat = setInterval(() => {
      for (const response of this.open) this.write(response, ': heartbeat\n\n');
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
    this.hooks.first();
  }

  private drop(response: ServerResponse): void {
    if (!this.open.delete(response) || this.open.size > 0) return;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.latest = undefined;
    this.hooks.last();
  }
}
