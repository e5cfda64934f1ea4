import {
  request as httpRequest,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http';
import { until } from './wait.js';

/** One server-sent event. */
export interface StreamEvent {
  event: string;
  data: string;
}

/** A server-sent events stream read as a browser's EventSource would, kept for the test to read. */
export interface EventStreamClient {
  status: number;
  headers: IncomingHttpHeaders;
  /** Every event so far (comments and `retry:` left out). */
  events: StreamEvent[];
  /** The body so far, as sent. */
  text(): string;
  /** Whether the server ended the response. */
  ended(): boolean;
  /** Waits until an event satisfies `predicate`, and returns it. */
  next(predicate: (event: StreamEvent) => boolean, withinMs?: number): Promise<StreamEvent>;
  close(): void;
}

/** Opens `path` on the loopback as an event stream; resolves once the response's head arrived. */
export function openEventStream(
  port: number,
  path: string,
  { from = '127.0.0.1', headers = {} }: { from?: string; headers?: OutgoingHttpHeaders } = {},
): Promise<EventStreamClient> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        localAddress: from,
        agent: false,
        headers: { accept: 'text/event-stream', ...headers },
      },
      (res) => {
        let body = '';
        let done = false;
        const events: StreamEvent[] = [];
        let parsed = 0;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          let end: number;
          while ((end = body.indexOf('\n\n', parsed)) !== -1) {
            const block = body.slice(parsed, end);
            parsed = end + 2;
            const lines = block.split('\n').filter((line) => !line.startsWith(':'));
            const field = (name: string) =>
              lines
                .filter((l) => l.startsWith(`${name}:`))
                .map((l) => l.slice(name.length + 1).trimStart());
            const data = field('data');
            if (data.length > 0)
              events.push({ event: field('event')[0] ?? 'message', data: data.join('\n') });
          }
        });
        res.on('end', () => (done = true));
        res.on('close', () => (done = true));
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          events,
          text: () => body,
          ended: () => done,
          async next(predicate, withinMs = 3000) {
            let found: StreamEvent | undefined;
            await until(
              () => (found = events.find(predicate)) !== undefined,
              () => `an event of the stream at ${path}; got:\n${body.slice(-2000)}`,
              withinMs,
            );
            return found!;
          },
          close: () => req.destroy(),
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The status view a message carries (`data:` of the stream's default event). */
export interface ViewMessage {
  at: string;
  source: 'app' | 'probe-server';
  probes: { name: string; kind: string; status?: string; output?: string }[];
  checks: {
    name: string;
    status: string;
    critical: boolean;
    output?: string;
    durationMs: number;
    changedAt?: string;
  }[];
  transitions: { check: string; from: string; to: string; output?: string; at: string }[];
  diagnostics: { name: string; value: unknown; unit?: string }[];
  eventLoop?: { stalled: boolean; output?: string; lateMs: number; maxStallMs: number };
}

/** The views of a stream's messages, in order. */
export const views = (stream: EventStreamClient): ViewMessage[] =>
  stream.events
    .filter((event) => event.event === 'message')
    .map((event) => JSON.parse(event.data) as ViewMessage);

/** Waits for a view that satisfies `predicate`. */
export async function nextView(
  stream: EventStreamClient,
  predicate: (view: ViewMessage) => boolean,
  withinMs = 3000,
): Promise<ViewMessage> {
  const event = await stream.next(
    (candidate) =>
      candidate.event === 'message' && predicate(JSON.parse(candidate.data) as ViewMessage),
    withinMs,
  );
  return JSON.parse(event.data) as ViewMessage;
}
