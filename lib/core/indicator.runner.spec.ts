import { describe, expect, it, jest } from '@jest/globals';
import { resolveHealthOptions, resolveIndicatorOptions } from '../options/health.options.js';
import type { HealthCheck } from '../interfaces/health-check.interface.js';
import { IndicatorRunner } from './indicator.runner.js';
import { Redactor } from './redactor.js';

const module = resolveHealthOptions({});

function runner(check: HealthCheck['check'], options: Record<string, unknown> = {}) {
  const resolved = resolveIndicatorOptions('TestHealth', { name: 'test', ...options }, module);
  return new IndicatorRunner(resolved, { check }, new Redactor());
}

const noop = (): void => undefined;
/** A check that fails until `state.up`. */
const failingUntil = (state: { up: boolean }) =>
  jest.fn(async () => {
    if (!state.up) throw new Error('not yet');
  });
const activeTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('IndicatorRunner', () => {
  describe('timeouts', () => {
    it('fails a hung check soon after its timeout, saying so', async () => {
      const r = runner(() => new Promise(() => undefined), { timeoutMs: 50 });
      const started = Date.now();
      const outcome = await r.outcome();
      expect(Date.now() - started).toBeGreaterThanOrEqual(45);
      expect(Date.now() - started).toBeLessThan(500);
      expect(outcome.status).toBe('fail');
      expect(outcome.report.output).toBe('timed out after 50 ms');
    });

    it('says nothing of held calls when the check settles as its signal aborts', async () => {
      const r = runner(
        (signal) =>
          new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
        { timeoutMs: 20 },
      );
      expect((await r.outcome()).report.output).toBe('timed out after 20 ms');
    });

    it('aborts the signal it gave the check, with a TimeoutError', async () => {
      let signal: AbortSignal | undefined;
      const r = runner(
        (s) => {
          signal = s;
          return new Promise(() => undefined);
        },
        { timeoutMs: 20 },
      );
      await r.outcome();
      expect(signal?.aborted).toBe(true);
      expect((signal!.reason as DOMException).name).toBe('TimeoutError');
    });

    it('leaves no timer behind, whether the check settles or hangs', async () => {
      const before = activeTimers();
      await runner(async () => undefined, { timeoutMs: 10_000 }).outcome();
      await runner(() => new Promise(() => undefined), { timeoutMs: 10 }).outcome();
      expect(activeTimers()).toBe(before);
    });

    it('does not abort the signal of a check that finished in time', async () => {
      let signal: AbortSignal | undefined;
      await runner(async (s) => {
        signal = s;
      }).outcome();
      expect(signal?.aborted).toBe(false);
    });

    it('does not call a check again at once while an earlier call has not settled', async () => {
      let release = noop;
      const check = jest.fn(() => new Promise<void>((resolve) => (release = resolve)));
      const r = runner(check, { timeoutMs: 20, cacheTtlMs: 0 });
      expect((await r.outcome()).report.output).toBe('timed out after 20 ms');
      for (let i = 0; i < 5; i++) {
        const { report, timedOut } = await r.outcome();
        expect(report.output).toMatch(
          /^timed out after 20 ms, and has not answered for \d+ ms: called again in [\d.]+ m?s$/,
        );
        expect(timedOut).toBe(true);
      }
      expect(check).toHaveBeenCalledTimes(1);
      // It settles: the check is called again on the next run, however soon.
      release();
      await new Promise((resolve) => setImmediate(resolve));
      await r.outcome();
      expect(check).toHaveBeenCalledTimes(2);
    });

    it('calls a check that never settles again a few timeouts later, and says an earlier call never settled', async () => {
      let hangs = true;
      const check = jest.fn((): Promise<void> | undefined =>
        hangs ? new Promise(() => undefined) : undefined,
      );
      // 3 timeouts of 20 ms is less than the shortest wait: 1 s after the call was given up on.
      const r = runner(check, { timeoutMs: 20, cacheTtlMs: 0 });
      await r.outcome();
      await new Promise((resolve) => setTimeout(resolve, 1050));
      const again = await r.outcome();
      expect(check).toHaveBeenCalledTimes(2);
      expect(again.report.output).toBe(
        'timed out after 20 ms; 1 earlier call never settled (check() ignores its AbortSignal)',
      );
      // The dependency recovers: the next call after the (doubled) wait passes.
      hangs = false;
      await new Promise((resolve) => setTimeout(resolve, 2050));
      expect((await r.outcome()).status).toBe('pass');
      expect(check).toHaveBeenCalledTimes(3);
    });

    it('does not charge a check the time the event loop spent on other work', async () => {
      // The check's answer (a message from a thread of its own) arrives while another check keeps
      // the loop busy past this one's timeout: it is read (the poll phase) before the verdict.
      const { Worker } = await import('node:worker_threads');
      const answerer = new Worker(
        "require('node:worker_threads').parentPort.on('message', () => " +
          "setTimeout(() => require('node:worker_threads').parentPort.postMessage('done'), 10))",
        { eval: true },
      );
      try {
        await new Promise((resolve) => answerer.once('online', resolve));
        const answered = new Promise((resolve) => answerer.once('message', resolve));
        const reading = runner(() => answered.then(noop), { timeoutMs: 50 });
        const busy = runner(async () => {
          // oxlint-disable-next-line unicorn/require-post-message-target-origin -- a Worker, not a window
          answerer.postMessage('answer');
          const until = performance.now() + 500;
          while (performance.now() < until);
        });
        const [outcome] = await Promise.all([reading.outcome(), busy.outcome()]);
        expect(outcome.status).toBe('pass');
      } finally {
        await answerer.terminate();
      }
    });

    it('ignores a late rejection from a check that already timed out', async () => {
      const unhandled = jest.fn();
      process.on('unhandledRejection', unhandled);
      try {
        const r = runner(
          () => new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 40)),
          { timeoutMs: 10 },
        );
        expect((await r.outcome()).report.output).toBe('timed out after 10 ms');
        await new Promise((resolve) => setTimeout(resolve, 80));
        expect(unhandled).not.toHaveBeenCalled();
      } finally {
        process.off('unhandledRejection', unhandled);
      }
    });
  });

  describe('caching and single flight', () => {
    it('reuses a result for cacheTtlMs, synchronously, then runs again', async () => {
      const check = jest.fn(async () => undefined);
      const r = runner(check, { cacheTtlMs: 1000 });
      const first = await r.outcome({ now: 1_000 });
      // The clock the runner compares against is the one it is given.
      const at = first.observedAt;
      expect(r.outcome({ now: at + 999 })).toBe(first);
      expect(check).toHaveBeenCalledTimes(1);
      const second = await r.outcome({ now: at + 1000 });
      expect(second).not.toBe(first);
      expect(check).toHaveBeenCalledTimes(2);
    });

    it('runs on every call when cacheTtlMs is 0', async () => {
      const check = jest.fn(async () => undefined);
      const r = runner(check, { cacheTtlMs: 0 });
      await r.outcome();
      await r.outcome();
      expect(check).toHaveBeenCalledTimes(2);
    });

    it('shares one run among 1,000 concurrent callers on a cold cache', async () => {
      const check = jest.fn(() => new Promise<void>((resolve) => setTimeout(resolve, 20)));
      const r = runner(check);
      const outcomes = await Promise.all(Array.from({ length: 1000 }, () => r.outcome()));
      expect(check).toHaveBeenCalledTimes(1);
      expect(new Set(outcomes).size).toBe(1);
    });

    it('shares the run in flight even when caching is off', async () => {
      const check = jest.fn(() => new Promise<void>((resolve) => setTimeout(resolve, 20)));
      const r = runner(check, { cacheTtlMs: 0 });
      await Promise.all([r.outcome(), r.outcome(), r.outcome()]);
      expect(check).toHaveBeenCalledTimes(1);
    });

    it('caches a failure too, so a struggling dependency is not hammered', async () => {
      const check = jest.fn(async () => {
        throw new Error('down');
      });
      const r = runner(check);
      const first = await r.outcome();
      expect(r.outcome()).toBe(first);
      expect(check).toHaveBeenCalledTimes(1);
    });

    it('runs again instead of reusing a cached failure when asked to retry failures', async () => {
      let fail = true;
      const r = runner(async () => {
        if (fail) throw new Error('not yet');
      });
      expect((await r.outcome()).status).toBe('fail');
      fail = false;
      expect(r.outcome({ retryFailure: false })).toHaveProperty('status', 'fail');
      expect((await r.outcome({ retryFailure: true })).status).toBe('pass');
    });

    it('stamps each result with the time it was observed', async () => {
      const outcome = await runner(async () => undefined).outcome();
      expect(outcome.report.time).toBe(new Date(outcome.observedAt).toISOString());
    });
  });

  describe('a check that has not passed yet since boot', () => {
    it('runs a failure again after 100 ms, then 200 ms, doubling up to cacheTtlMs', async () => {
      const check = failingUntil({ up: false });
      const r = runner(check, { cacheTtlMs: 500 });
      const retries: number[] = [];
      for (let run = 0; run < 5; run++) {
        const failed = await r.outcome();
        // Reused until its retry is due, then run again.
        let wait = 0;
        while (r.outcome({ now: failed.observedAt + wait + 1 }) === failed) wait++;
        retries.push(wait + 1);
        await r.outcome({ now: failed.observedAt + wait + 1 });
      }
      expect(retries).toEqual([100, 200, 400, 500, 500]);
      expect(check).toHaveBeenCalledTimes(6);
    });

    it('reuses a failure for cacheTtlMs once the check has passed', async () => {
      const state = { up: true };
      const r = runner(failingUntil(state), { cacheTtlMs: 500 });
      await r.outcome();
      state.up = false;
      const failed = await r.outcome({ now: Date.now() + 600 });
      expect(failed.status).toBe('fail');
      expect(r.outcome({ now: failed.observedAt + 499 })).toBe(failed);
    });

    it('on a background schedule, runs a failure again when asked after its retry, and reads a result once it has passed', async () => {
      const state = { up: false };
      const check = failingUntil(state);
      const r = runner(check, { refreshIntervalMs: 60_000 });
      r.start();
      try {
        const failed = await r.outcome();
        expect(r.outcome({ now: failed.observedAt + 99 })).toBe(failed);
        expect(r.dueAt(failed.observedAt, 1000)).toBe(failed.observedAt + 100);
        state.up = true;
        const passed = await r.outcome({ now: failed.observedAt + 100 });
        expect(passed.status).toBe('pass');
        expect(r.outcome({ now: passed.observedAt + 59_000 })).toBe(passed);
      } finally {
        r.stop();
      }
    });

    it('runs a failure again when asked after expireFailure(), as at the end of start-up', async () => {
      const state = { up: false };
      const r = runner(failingUntil(state), { cacheTtlMs: 5000 });
      const failed = await r.outcome();
      state.up = true;
      expect(r.outcome({ now: failed.observedAt + 1 })).toBe(failed);
      r.expireFailure();
      expect((await r.outcome({ now: failed.observedAt + 1 })).status).toBe('pass');
    });
  });

  describe('background runs', () => {
    it('reads the latest result, and counts one older than three intervals plus the timeout as stale', async () => {
      const check = jest.fn(async () => undefined);
      const r = runner(check, { refreshIntervalMs: 100, timeoutMs: 50 });
      r.start();
      try {
        const first = await r.outcome();
        expect(first.status).toBe('pass');
        expect(r.outcome({ now: first.observedAt + 349 })).toBe(first);
        const stale = r.outcome({ now: first.observedAt + 10_000 }) as {
          status: string;
          report: { output?: string };
        };
        expect(stale.status).toBe('fail');
        expect(stale.report.output).toBe('stale: the last result is 10.0 s old');
      } finally {
        r.stop();
      }
    });
  });

  describe('containment', () => {
    it('keeps working when a redaction rule of the user throws', async () => {
      const resolved = resolveIndicatorOptions('T', { name: 'test', cacheTtlMs: 0 }, module);
      const redactor = new Redactor([
        {
          pattern: /boom/,
          replacement: () => {
            throw new Error('bad rule');
          },
        },
      ]);
      const check = jest.fn(async () => {
        throw new Error('boom');
      });
      const r = new IndicatorRunner(resolved, { check }, redactor);
      expect((await r.outcome()).report.output).toBe('***');
      expect((await r.outcome()).report.output).toBe('***');
      expect(check).toHaveBeenCalledTimes(2);
    });

    it('fails a check that asks for its own outcome, without calling it again', async () => {
      let inner: unknown;
      const check = jest.fn(async () => {
        inner = await r.outcome();
        return { observedValue: 1 };
      });
      const r = runner(check, { cacheTtlMs: 0 });
      const outcome = await r.outcome();
      expect(check).toHaveBeenCalledTimes(1);
      expect(outcome.report.status).toBe('fail');
      expect(outcome.report.output).toMatch(
        /^check\(\) read a probe or group that includes "test"/,
      );
      expect(inner).toMatchObject({ status: 'fail', report: { output: outcome.report.output } });
    });

    it('turns a synchronous throw into a failed check', async () => {
      const outcome = await runner(() => {
        throw new Error('sync boom');
      }).outcome();
      expect(outcome.report).toMatchObject({ status: 'fail', output: 'sync boom' });
    });

    it('turns a rejection with a non-Error value into a failed check', async () => {
      const outcome = await runner(() => Promise.reject(42)).outcome();
      expect(outcome.report.output).toBe('check() failed with a non-Error value: number 42');
    });

    it('accepts a synchronous check', async () => {
      const outcome = await runner(() => ({ observedValue: 3, observedUnit: 'items' })).outcome();
      expect(outcome.report).toMatchObject({
        status: 'pass',
        observedValue: 3,
        observedUnit: 'items',
      });
    });

    it('bounds an enormous message', async () => {
      const outcome = await runner(async () => {
        throw new Error('x'.repeat(1_000_000));
      }).outcome();
      expect(outcome.report.output!.length).toBeLessThanOrEqual(512);
    });
  });

  describe('the report entry', () => {
    it('reports the duration in ms when the check measures nothing else', async () => {
      const outcome = await runner(async () => undefined).outcome();
      expect(outcome.report).toMatchObject({
        componentId: 'test',
        componentType: 'component',
        status: 'pass',
        observedUnit: 'ms',
      });
      expect(typeof outcome.report.observedValue).toBe('number');
      expect(outcome.report).not.toHaveProperty('output');
    });

    it('keys the check <name>:<measurement>', () => {
      expect(runner(async () => undefined, { measurement: 'freeBytes' }).key).toBe(
        'test:freeBytes',
      );
    });

    it('keeps a warn output and drops a pass output', async () => {
      const warn = await runner(async () => ({
        status: 'warn' as const,
        output: 'slow',
      })).outcome();
      expect(warn.report.output).toBe('slow');
      const pass = await runner(async () => ({ output: 'fine' })).outcome();
      expect(pass.report.output).toBeUndefined();
    });

    it('is frozen, so no caller can alter a cached result', async () => {
      const outcome = await runner(async () => undefined).outcome();
      expect(Object.isFrozen(outcome.report)).toBe(true);
    });
  });
});
