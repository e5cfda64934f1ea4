import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  PublishedProbe,
  PublishedProbes,
  ReadConditions,
} from '../../core/published-probes.js';
import type { ReportIdentity } from '../../core/probe-result.js';
import type { StatusPart } from '../../core/route.matcher.js';
import {
  NO_HISTORY,
  statusMessage,
  statusView,
  type StatusHistory,
} from '../../core/status.view.js';
import { EventStreams, STREAM_END } from '../http/status-page/event-streams.js';
import { writeStatusPage } from '../http/status-page/status-page.document.js';

/** While a stream is open, the heartbeat is read this often: a stall shows within it. */
const READ_EVERY_MS = 500;
/** An unchanged view is sent again after this, so that the page's clock stays the server's. */
const RESEND_MS = 5000;
/** What the main thread posts together (a result, then the history it changed) is read once. */
const COALESCE_MS = 20;

/** @internal What the worker knows that the page shows. */
export interface WorkerStatusSource {
  readonly identity: ReportIdentity;
  readonly probes: readonly PublishedProbe[];
  readonly published: PublishedProbes;
  readonly maxStallMs: number;
  /** The moment of reading: the time, the heartbeat, the listeners. */
  conditions(): ReadConditions;
}

/**
 * @internal The status page on the probe server: the page, and its event stream fed from what
 * the main thread published and from the heartbeat, never by asking the main thread, so that it
 * keeps answering, and says the loop has stalled, while the main thread is stuck. What it sends
 * is what this port's probes answer now (`PublishedProbes`), with the history the main thread
 * published. It reads only while a stream is open; a view is sent when it has changed.
 */
export class WorkerStatusFeed {
  private readonly streams: EventStreams;
  private history: StatusHistory = NO_HISTORY;
  private reading?: NodeJS.Timeout;
  private pending = false;
  /** The last view sent, without its time: an unchanged view is not sent again for a while. */
  private sent?: string;
  private sentAt = 0;

  constructor(
    private readonly source: WorkerStatusSource,
    maxStreams: number,
  ) {
    this.streams = new EventStreams(maxStreams, {
      first: () => this.start(),
      last: () => this.stop(),
    });
  }

  /** Writes the page, or opens its stream. */
  serve(request: IncomingMessage, response: ServerResponse, part: StatusPart): void {
    if (part === 'page') return writeStatusPage(request, response);
    // A new stream gets a view of now, stamped now, whatever was sent before.
    if (this.streams.accept(request, response)) this.read(true);
  }

  /** Something was published: read again, once what comes with it has come. */
  changed(): void {
    if (this.pending || this.streams.size === 0) return;
    this.pending = true;
    setTimeout(() => {
      this.pending = false;
      this.read();
    }, COALESCE_MS).unref();
  }

  historyChanged(history: StatusHistory): void {
    this.history = history;
    this.changed();
  }

  /** The shutdown's drain has begun. */
  draining(): void {
    this.streams.end(STREAM_END.draining);
  }

  /** The worker stops. */
  close(): void {
    this.streams.end(STREAM_END.closing);
  }

  private start(): void {
    this.reading = setInterval(() => this.read(), READ_EVERY_MS);
    this.reading.unref();
  }

  private stop(): void {
    clearInterval(this.reading);
    this.reading = undefined;
    this.sent = undefined;
  }

  private read(anyway = false): void {
    if (this.streams.size === 0) return;
    const { identity, probes, published, maxStallMs } = this.source;
    const at = this.source.conditions();
    const view = statusView({
      source: 'probe-server',
      identity,
      probes: probes.map((probe) => ({
        name: probe.name,
        result: published.result(probe, [], at),
      })),
      ...published.newest(at.now),
      history: this.history,
      loop: { stalledMs: at.stalledMs, maxStallMs },
    });
    const key = JSON.stringify(view);
    if (!anyway && key === this.sent && at.now - this.sentAt < RESEND_MS) return;
    this.sent = key;
    this.sentAt = at.now;
    this.streams.send(statusMessage(view, at.now));
  }
}
