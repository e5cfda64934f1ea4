import { readFileSync } from 'node:fs';
import { parseFaults, type Faults } from './faults/fault.model.js';

/** Everything the service reads from its environment, parsed and checked once at start-up. */
export interface AppConfig {
  port: number;
  /** Route prefix of the probes; `''` serves them at the root. */
  healthPath: string;
  version?: string;
  releaseId?: string;
  /** How long loading the reference data takes. */
  warmupMs: number;
  /** The dependencies broken from the start. */
  faults: Faults;
  /** How long to keep serving after SIGTERM; unset: the library's default (5 s in Kubernetes). */
  shutdownDelayMs?: number;
  /**
   * Whether main.ts calls app.enableShutdownHooks() too: Nest's signal handler then closes the
   * app on a signal, held by the library for the delay; beginShutdown() still closes it.
   */
  shutdownHooks: boolean;
  /** The probe server's port: the kubelet's, not the Service's (`0`: any free port). */
  probePort: number;
  /** Liveness fails when the event loop has not turned for this long. */
  maxStallMs: number;
  /** The port of the gRPC server (orders and the health service); unset: HTTP only. */
  grpcPort?: number;
  /** The probe server's gRPC port (grpc.health.v1, for the kubelet's grpc probes); unset: none. */
  probeGrpcPort?: number;
}

/** Injection token of the `AppConfig`. */
export const APP_CONFIG = Symbol('APP_CONFIG');

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  return {
    port: integer(env, 'PORT', 3000, 65_535),
    healthPath: env.HEALTH_PATH ?? 'health',
    version: env.APP_VERSION || packageVersion(),
    releaseId: env.RELEASE_ID || undefined,
    warmupMs: integer(env, 'WARMUP_MS', 3000, 600_000),
    faults: parseFaults(env.FAIL),
    shutdownDelayMs: env.SHUTDOWN_DELAY_MS
      ? integer(env, 'SHUTDOWN_DELAY_MS', 0, 120_000)
      : undefined,
    shutdownHooks: env.SHUTDOWN_HOOKS === 'true',
    probePort: integer(env, 'PROBE_PORT', 9000, 65_535),
    maxStallMs: integer(env, 'MAX_STALL_MS', 10_000, 600_000),
    grpcPort: env.GRPC_PORT ? integer(env, 'GRPC_PORT', 0, 65_535) : undefined,
    probeGrpcPort: env.PROBE_GRPC_PORT ? integer(env, 'PROBE_GRPC_PORT', 0, 65_535) : undefined,
  };
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new Error(`${name} must be an integer from 0 to ${max}, got "${raw}"`);
  }
  return value;
}

/**
 * The version of the package the service ships in (here the repository's, next to dist-sample/).
 * Read from the file rather than npm_package_version, which only `npm start` sets.
 */
function packageVersion(): string | undefined {
  try {
    const pkg: unknown = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    );
    const version = (pkg as { version?: unknown }).version;
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}
