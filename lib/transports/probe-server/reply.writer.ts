import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpReply } from '../http/http.answer.js';

/** Bodies change as results do: the bytes of this many are kept. */
const PREPARED_MAX = 256;

interface Prepared {
  readonly bytes: Buffer;
  readonly headers: readonly string[];
}

/**
 * @internal Writes replies on the probe server, each body's bytes and headers made once: probes
 * repeat the same few answers, and a reply is keyed by its body string, the same object while a
 * result stands.
 */
export class ReplyWriter {
  private readonly prepared = new Map<string, Map<HttpReply['contentType'], Prepared>>();

  /** Writes `reply` to `request`'s response: its headers alone to a `HEAD`. */
  write(request: IncomingMessage, response: ServerResponse, reply: HttpReply): void {
    const ready = this.prepare(reply);
    response.writeHead(reply.statusCode, ready.headers as string[]);
    response.end(request.method === 'HEAD' ? undefined : ready.bytes);
  }

  private prepare(reply: HttpReply): Prepared {
    const key = reply.bare ? `${reply.contentType} bare` : reply.contentType;
    let byType = this.prepared.get(reply.body);
    const known = byType?.get(key);
    if (known) return known;
    const bytes = Buffer.from(reply.body);
    const headers = ['Content-Type', reply.contentType, 'Content-Length', String(bytes.length)];
    if (!reply.bare) headers.push('Cache-Control', 'no-store');
    const ready = { bytes, headers };
    if (byType === undefined) {
      if (this.prepared.size >= PREPARED_MAX) this.prepared.clear();
      byType = new Map();
      this.prepared.set(reply.body, byType);
    }
    byType.set(key, ready);
    return ready;
  }
}
