import type { ProbeDefinition } from '../../core/probe.definitions.js';

/** What the OpenAPI document says of a route: one line, and a paragraph. */
export interface RouteText {
  readonly summary: string;
  readonly description: string;
}

/** The four probes, as the OpenAPI document describes them. */
const PROBE_TEXT: Readonly<Record<string, RouteText>> = {
  live: {
    summary: 'Liveness: is the process alive?',
    description: 'Runs no indicator and never checks a dependency: always 200. Public by default.',
  },
  ready: {
    summary: 'Readiness: can it serve traffic?',
    description:
      'Runs the readiness indicators. A failing critical indicator fails it (503); a failing ' +
      'non-critical one or a `warn` degrades it (still 200). 503 with output `starting` until ' +
      'start-up has completed and the HTTP server listens, and while shutting down. External ' +
      'callers get only `{ "status": ... }` by default.',
  },
  startup: {
    summary: 'Start-up: has it finished initialising?',
    description:
      'Runs the startup indicators until the application has bootstrapped and each has passed ' +
      'once, then latches to 200. External callers get only `{ "status": ... }` by default.',
  },
  deep: {
    summary: 'Deep: every indicator and the process diagnostics',
    description:
      'For operators: every indicator, whatever its probes, plus the `process:*` diagnostics. ' +
      'Internal callers only by default.',
  },
};

/** @internal What the OpenAPI document says of a probe or health group. */
export function probeText(probe: ProbeDefinition): RouteText {
  if (probe.kind === 'probe' && PROBE_TEXT[probe.name]) return PROBE_TEXT[probe.name];
  const gated = probe.gates.includes('startup');
  return {
    summary: `Health group "${probe.name}"`,
    description:
      `Its checks: ${(probe.include ?? []).join(', ')}. A failing critical one fails it (503); a ` +
      `failing non-critical one degrades it (200, \`warn\`).` +
      (gated ? ' 503 while starting, shutting down or marked not ready, as readiness.' : ''),
  };
}
