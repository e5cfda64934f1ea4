import type { ResolvedHealthOptions } from '../../options/health.options.js';
import type { ProbeResult } from '../../core/probe.evaluator.js';
import type { ProbeDefinition } from '../../core/probe.definitions.js';

/** @internal What the worker knows of a probe: the table's entry, less its functions. */
export type PublishedProbe = Pick<
  ProbeDefinition,
  'name' | 'access' | 'checkRoutes' | 'runsChecks' | 'diagnostics' | 'gates'
>;

/** @internal Everything the probe server's worker starts with. */
export interface ProbeServerConfig {
  port: number;
  host: string;
  /** The route prefix, without slashes (`''`: the root). */
  path: string;
  maxStallMs: number;
  identity: ResolvedHealthOptions['identity'];
  probes: readonly PublishedProbe[];
  internalNetworks: ResolvedHealthOptions['internalNetworks'];
  trustProxy: ResolvedHealthOptions['trustProxy'];
  deniedStatus: 403 | 404;
  metrics: boolean;
  /** The main event loop's heartbeat: `process.hrtime.bigint()` of its last turn. */
  beats: SharedArrayBuffer;
}

/** @internal Messages from the main thread to the worker. */
export type ToProbeServer =
  | { type: 'result'; result: ProbeResult }
  /** Which checks each probe selects, and how old a background result may get. */
  | {
      type: 'checks';
      selections: Record<string, readonly string[]>;
      staleAfterMs: Record<string, number>;
    }
  | { type: 'metrics'; id: number; contentType?: string; body?: string };

/** @internal Messages from the worker to the main thread. */
export type ToMainThread =
  | { type: 'listening'; port: number }
  | { type: 'error'; code: string; message: string }
  | { type: 'metrics'; id: number };
