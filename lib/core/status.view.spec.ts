import { describe, expect, it } from '@jest/globals';
import type { HealthStatus } from '../interfaces/health-check.interface.js';
import type { CheckOutcome } from './check-outcome.js';
import { HealthEvents } from './health.events.js';
import { probeResult } from './probe-result.js';
import type { ResolvedHealthOptions } from './resolved-options.js';
import { StatusRecorder } from './status.history.js';
import { HISTORY_LIMIT, latestOf, NO_HISTORY, statusView } from './status.view.js';

function outcome(check: string, status: HealthStatus, observedAt: number, critical = true) {
  const time = new Date(observedAt).toISOString();
  const output = status === 'pass' ? undefined : `${check} is ${status}`;
  return {
    check,
    key: `${check}:responseTime`,
    critical,
    status,
    report: { componentId: check, componentType: 'component', status, time, output },
    observedAt,
    durationMs: 1.2345,
    failed: status === 'fail',
    timedOut: false,
  } as CheckOutcome;
}

const diagnostics = (time: string) => ({
  'process:uptime': [
    { componentId: 'process', componentType: 'system', status: 'pass' as const, time },
  ],
});

/** The event loop's reading, as the probe server makes it. */
const loop = (stalledMs: number, maxStallMs = 10_000) =>
  statusView({
    source: 'probe-server',
    identity: {},
    probes: [],
    outcomes: [],
    history: NO_HISTORY,
    loop: { stalledMs, maxStallMs },
  }).eventLoop;

describe('statusView', () => {
  it('shows what the results say, and decides nothing again', () => {
    // A result that says `warn` though its one outcome passes: the page shows `warn`.
    const said = probeResult('payments', { status: 'warn', output: 'as decided' }, [
      outcome('stripe', 'pass', 1000),
    ]);
    const view = statusView({
      source: 'app',
      identity: { version: '1.2.3' },
      probes: [{ name: 'ready' }, { name: 'payments', result: said }],
      outcomes: [outcome('stripe', 'pass', 1000, false)],
      history: { transitions: [], changedAt: { stripe: '1970-01-01T00:00:00.500Z' } },
    });
    expect(view).toEqual({
      source: 'app',
      service: { version: '1.2.3' },
      probes: [
        { name: 'ready', kind: 'probe', status: undefined, output: undefined },
        { name: 'payments', kind: 'group', status: 'warn', output: 'as decided' },
      ],
      checks: [
        {
          name: 'stripe',
          status: 'pass',
          critical: false,
          output: undefined,
          durationMs: 1.2,
          timedOut: false,
          observedAt: '1970-01-01T00:00:01.000Z',
          changedAt: '1970-01-01T00:00:00.500Z',
        },
      ],
      transitions: [],
      diagnostics: [],
    });
  });

  it('reads the event loop as the probes do: stalled past maxStallMs, late from a second', () => {
    expect(loop(120)).toEqual({ stalled: false, output: undefined, lateMs: 0, maxStallMs: 10_000 });
    expect(loop(2345)).toMatchObject({ stalled: false, lateMs: 2300 });
    expect(loop(12_345)).toEqual({
      stalled: true,
      output: 'the event loop has not turned for 12.3 s (maxStallMs 10000)',
      lateMs: 12_300,
      maxStallMs: 10_000,
    });
    expect(loop(600, 500)).toMatchObject({ stalled: true, lateMs: 600 });
  });
});

describe('latestOf', () => {
  it('keeps the newest outcome of each check, and the newest process diagnostics', () => {
    const ready = probeResult('ready', { status: 'pass' }, [
      outcome('db', 'pass', 2000),
      outcome('cache', 'fail', 1000),
    ]);
    const deep = probeResult(
      'deep',
      { status: 'fail', checks: diagnostics('1970-01-01T00:00:03.000Z') },
      [outcome('db', 'fail', 1500), outcome('cache', 'warn', 3000)],
    );
    const older = probeResult('deep', {
      status: 'pass',
      checks: diagnostics('1970-01-01T00:00:01.000Z'),
    });
    const { outcomes, diagnostics: newest } = latestOf([ready, deep, older]);
    expect(outcomes.map((o) => [o.check, o.status])).toEqual([
      ['db', 'pass'],
      ['cache', 'warn'],
    ]);
    expect(newest['process:uptime'][0].time).toBe('1970-01-01T00:00:03.000Z');
  });
});

/** A recorder fed by its own event bus. */
const recorder = (statusPage: boolean) => {
  const events = new HealthEvents();
  const options = { statusPage: statusPage && { maxStreams: 1 } } as ResolvedHealthOptions;
  return { events, recorder: new StatusRecorder(options, events) };
};

describe('StatusRecorder', () => {
  it('keeps the newest transitions first, bounded, and when each check last changed', () => {
    const { events, recorder: history } = recorder(true);
    let previous: CheckOutcome | undefined;
    for (let i = 0; i < HISTORY_LIMIT + 10; i++) {
      const next = outcome(i % 2 ? 'db' : 'cache', i % 4 < 2 ? 'pass' : 'fail', 1000 * i);
      events.ran(next.check, next, previous?.check === next.check ? previous : undefined);
      previous = next;
    }
    const { transitions, changedAt } = history.history;
    expect(transitions).toHaveLength(HISTORY_LIMIT);
    expect(transitions[0].at).toBe(new Date(1000 * (HISTORY_LIMIT + 9)).toISOString());
    expect(changedAt).toEqual({
      db: new Date(1000 * (HISTORY_LIMIT + 9)).toISOString(),
      cache: new Date(1000 * (HISTORY_LIMIT + 8)).toISOString(),
    });
    expect(Object.isFrozen(history.history.transitions)).toBe(true);
  });

  it('records nothing while the page is off', () => {
    const { events, recorder: history } = recorder(false);
    const next = outcome('db', 'fail', 1000);
    events.ran('db', next, undefined);
    expect(history.history).toBe(NO_HISTORY);
  });
});
