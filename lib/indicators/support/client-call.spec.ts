import { describe, expect, it } from '@jest/globals';
import { getEventListeners } from 'node:events';
import { resolveHealthOptions, resolveIndicatorOptions } from '../../options/health.options.js';
import { IndicatorRunner } from '../../core/indicator.runner.js';
import { Redactor } from '../../core/redactor.js';
import { PendingCall } from './client-call.js';

/** A client call the test answers by hand, counting the calls made. */
function hungClient() {
  const answers: (() => void)[] = [];
  const call = () => new Promise<string>((resolve) => answers.push(() => resolve('PONG')));
  return { call, answers };
}

/** A client call that throws instead of returning a promise. */
function throwing(): Promise<string> {
  throw new Error('not connected');
}

/** A runner of `check`, as the module runs an indicator: no cache, a short timeout. */
function runner(check: (signal: AbortSignal) => Promise<void>) {
  const options = resolveIndicatorOptions(
    'PingHealth',
    { name: 'ping', timeoutMs: 20, cacheTtlMs: 0 },
    resolveHealthOptions({}),
  );
  return new IndicatorRunner(options, { check }, new Redactor());
}

describe('PendingCall', () => {
  it('makes the call once, however many checks wait for it, and again once it has answered', async () => {
    const client = hungClient();
    const pending = new PendingCall<string>();
    const first = pending.join(client.call, new AbortController().signal);
    const second = pending.join(client.call, new AbortController().signal);
    expect(client.answers).toHaveLength(1);
    client.answers[0]();
    await expect(Promise.all([first, second])).resolves.toEqual(['PONG', 'PONG']);
    const third = pending.join(client.call, new AbortController().signal);
    expect(client.answers).toHaveLength(2);
    client.answers[1]();
    await expect(third).resolves.toBe('PONG');
  });

  it('gives up when the signal aborts, leaving no listener on it; the call answers the next check', async () => {
    const client = hungClient();
    const pending = new PendingCall<string>();
    const controller = new AbortController();
    const givenUp = pending.join(client.call, controller.signal);
    controller.abort(new Error('timed out after 20 ms'));
    await expect(givenUp).rejects.toThrow('timed out after 20 ms');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    const next = pending.join(client.call, new AbortController().signal);
    client.answers[0]();
    await expect(next).resolves.toBe('PONG');
    expect(client.answers).toHaveLength(1);
  });

  it('makes no call for a check whose signal has already aborted, and rejects what the call throws', async () => {
    const client = hungClient();
    const pending = new PendingCall<string>();
    await expect(pending.join(client.call, AbortSignal.abort(new Error('late')))).rejects.toThrow(
      'late',
    );
    expect(client.answers).toHaveLength(0);
    await expect(pending.join(throwing, new AbortController().signal)).rejects.toThrow(
      'not connected',
    );
  });

  // The runner holds the checks that outlive their signal (AbandonedCalls); a built-in check
  // settles at its timeout, so the runner calls it again at once: only the PendingCall keeps
  // the client from collecting one hung call per run.
  it('keeps a hung client to one call across runs that each fail at their timeout, as the runner alone would not', async () => {
    const shared = hungClient();
    const pending = new PendingCall<string>();
    const withPendingCall = runner(async (signal) => {
      await pending.join(shared.call, signal);
    });
    const alone = hungClient();
    const withoutOne = runner(async (signal) => {
      const answer = alone.call();
      await new Promise((resolve, reject) => {
        answer.then(resolve);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    });
    for (let run = 0; run < 3; run++) {
      for (const r of [withPendingCall, withoutOne]) {
        const outcome = await r.outcome();
        expect(outcome.report.output).toMatch(/^timed out after 20 ms/);
      }
    }
    expect(shared.answers).toHaveLength(1);
    expect(alone.answers).toHaveLength(3);
  });
});
