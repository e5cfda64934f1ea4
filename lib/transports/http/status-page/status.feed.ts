import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { Subscription } from 'rxjs';
import { RESOLVED_HEALTH_OPTIONS } from '../../../core/health.constants.js';
import { IndicatorRegistry } from '../../../core/indicator.registry.js';
import type { ProbeResult } from '../../../core/probe-result.js';
import { ProbeWatcher } from '../../../core/probe.watcher.js';
import { ReadinessState } from '../../../core/readiness.state.js';
import type { ResolvedHealthOptions } from '../../../core/resolved-options.js';
import type { StatusPart } from '../../../core/route.matcher.js';
import { StatusRecorder } from '../../../core/status.history.js';
import { latestOf, statusMessage, statusView } from '../../../core/status.view.js';
import { rawRequest, type HttpRequest } from '../http.request.js';
import { EventStreams, STREAM_END } from './event-streams.js';
import { writeStatusPage } from './status-page.document.js';

/** Changes that come together (a run changes several probes) are sent as one message. */
const COALESCE_MS = 25;

/**
 * @internal The status page on the app's port (`statusPage`): the page, and its event stream fed
 * by the watcher, which follows every probe while a stream is open and nothing while none is.
 * What it sends is what the probes say (`statusView()`), with the checks' history. Streams end
 * when the shutdown's drain begins (an open stream would hold the drain to its end) or the
 * application closes. Access is the controller's, as for any health route.
 */
@Injectable()
export class StatusFeed implements OnModuleDestroy {
  private readonly streams?: EventStreams;
  private readonly results = new Map<string, ProbeResult>();
  private readonly subscriptions: Subscription[] = [];
  private pending?: NodeJS.Timeout;

  constructor(
    @Inject(RESOLVED_HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
    private readonly registry: IndicatorRegistry,
    private readonly watcher: ProbeWatcher,
    private readonly recorder: StatusRecorder,
    private readonly state: ReadinessState,
  ) {
    if (!options.statusPage) return;
    this.streams = new EventStreams(options.statusPage.maxStreams, {
      first: () => this.follow(),
      last: () => this.unfollow(),
    });
  }

  /** Whether the `statusPage` option is on. */
  get enabled(): boolean {
    return this.streams !== undefined;
  }

  /** Writes the page, or opens its stream, on Node's response (Fastify's reply is hijacked). */
  serve(part: StatusPart, request: HttpRequest, response: unknown): void {
    if (!this.streams) return;
    const reply = response as { raw?: ServerResponse; hijack?: () => void };
    if (typeof reply.hijack === 'function') reply.hijack();
    const raw = (reply.raw ?? response) as ServerResponse;
    if (part === 'page') return writeStatusPage(rawRequest(request), raw);
    if (this.state.draining) this.streams.end(STREAM_END.draining);
    // A new stream gets a view of now, stamped now, whatever was sent before.
    if (this.streams.accept(rawRequest(request), raw)) this.schedule();
  }

  onModuleDestroy(): void {
    this.streams?.end(STREAM_END.closing);
    this.unfollow();
  }

  private follow(): void {
    for (const probe of this.registry.probes) {
      const results = this.watcher.results(probe).subscribe({
        next: (result) => {
          this.results.set(probe.name, result);
          this.schedule();
        },
        complete: () => this.streams?.end(STREAM_END.closing),
      });
      this.subscriptions.push(results);
    }
    const state = this.state.changed.subscribe(() => {
      if (this.state.draining) this.streams?.end(STREAM_END.draining);
      else this.schedule();
    });
    this.subscriptions.push(
      state,
      this.recorder.changed.subscribe(() => this.schedule()),
    );
    this.schedule();
  }

  private unfollow(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.unsubscribe();
    this.results.clear();
    clearTimeout(this.pending);
    this.pending = undefined;
  }

  private schedule(): void {
    if (this.pending !== undefined || !this.streams?.size) return;
    this.pending = setTimeout(() => this.push(), COALESCE_MS);
    this.pending.unref();
  }

  private push(): void {
    this.pending = undefined;
    const { outcomes, diagnostics } = latestOf(this.results.values());
    const view = statusView({
      source: 'app',
      identity: this.options.identity,
      probes: this.registry.probes.map(({ name }) => ({ name, result: this.results.get(name) })),
      outcomes,
      diagnostics,
      history: this.recorder.history,
    });
    this.streams?.send(statusMessage(view, Date.now()));
  }
}
