import { Injectable, type Provider } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The built package, for suites of what runs in a worker thread (the probe server): a worker
 * runs plain JavaScript, so these suites load `dist/`, as users do, instead of the sources.
 */
const INDEX = new URL('../../dist/index.js', import.meta.url);
const PROBE_SERVER = new URL('../../dist/transports/probe-server/probe-server.js', import.meta.url);

for (const file of [INDEX, PROBE_SERVER]) {
  if (!existsSync(fileURLToPath(file))) {
    throw new Error(
      `${fileURLToPath(file)} does not exist: run \`npm run build\` first (npm test does)`,
    );
  }
}

/** The package's public API, from `dist/`. */
export const built: typeof import('../../lib/index.js') = await import(INDEX.href);
/** The probe server's main-thread side, from `dist/` (internal: to stop its worker in a test). */
export const { ProbeServer } = (await import(
  PROBE_SERVER.href
)) as typeof import('../../lib/transports/probe-server/probe-server.js');

/** An indicator of the built package (`${name}Health`), failing while `failing.now`. */
export function builtIndicator(
  name: string,
  options: object = {},
  failing = { now: false },
): Provider {
  @built.HealthIndicator({ name, ...options })
  @Injectable()
  class Check {
    check() {
      if (failing.now) throw new Error('connection refused');
    }
  }
  Object.defineProperty(Check, 'name', { value: `${name}Health` });
  return Check;
}
