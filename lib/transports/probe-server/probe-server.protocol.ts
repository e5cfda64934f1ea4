import type { PublishedChecks, PublishedProbe } from '../../core/published-probes.js';
import type { ProbeResult, ReportIdentity } from '../../core/probe-result.js';
import type { RouteSettings } from '../../core/route.matcher.js';
import type { TrustProxy } from '../../core/network.policy.js';
import type { StatusHistory } from '../../core/status.view.js';

/** @internal An application listener the worker watches: an address, or a Unix socket's path. */
export type WatchedListener =
  | { readonly kind: string; readonly host: string; readonly port: number }
  | { readonly kind: string; readonly path: string };

/** @internal Everything the probe server's worker starts with. */
export interface ProbeServerConfig {
  port: number;
  host: string;
  /** How paths are matched: the application's adapter and its settings, under `path`. */
  routes: RouteSettings;
  maxStallMs: number;
  identity: ReportIdentity;
  probes: readonly PublishedProbe[];
  internalNetworks: readonly string[];
  trustProxy: TrustProxy;
  deniedStatus: 403 | 404;
  metrics: boolean;
  /** The status page (`statusPage`): its streams at most. */
  statusPage: false | { maxStreams: number };
  /** The main event loop's heartbeat: `process.hrtime.bigint()` of its last turn. */
  beats: SharedArrayBuffer;
  /** `grpc.health.v1` on a port of its own too (`probeServer.grpcPort`). */
  grpc?: { port: number; maxWatchStreams: number };
}

/** @internal Messages from the main thread to the worker. */
export type ToProbeServer =
  | { type: 'result'; result: ProbeResult }
  | ({ type: 'checks' } & PublishedChecks)
  /** The adapter's settings as they stand once the application has bootstrapped. */
  | { type: 'routes'; routes: RouteSettings }
  /** The application's listeners that listen now: each is checked from the worker. */
  | { type: 'listeners'; listeners: readonly WatchedListener[] }
  | { type: 'shutdown' }
  /** The status page's history of the checks, as it changes. */
  | { type: 'history'; history: StatusHistory }
  /** The shutdown's drain has begun: the status page's streams end. */
  | { type: 'draining' }
  | { type: 'metrics'; id: number; contentType?: string; body?: string }
  /** Stop: the worker ends its gRPC Watch streams, then answers `closed`. */
  | { type: 'close' };

/** @internal Messages from the worker to the main thread. */
export type ToMainThread =
  | { type: 'listening'; port: number; grpcPort?: number }
  /** It could not listen: on `port`, or on the gRPC port. */
  | { type: 'error'; code: string; message: string; grpc?: true }
  | { type: 'metrics'; id: number }
  | { type: 'closed' };
