import { describe, expect, it } from '@jest/globals';
import { AbandonedCalls } from './abandoned-calls.js';

describe('AbandonedCalls', () => {
  it('lets a check be called while no call is held', () => {
    expect(new AbandonedCalls(500).wait(0)).toBeUndefined();
  });

  it('waits three timeouts after a call is given up on, then lets the check be called again', () => {
    const calls = new AbandonedCalls(500);
    calls.abandon(0, 500);
    expect(calls.wait(1000)).toBe(
      'timed out after 500 ms, and has not answered for 1.0 s: called again in 1.0 s',
    );
    expect(calls.wait(1999)).toBeDefined();
    expect(calls.wait(2000)).toBeUndefined();
  });

  it('waits at least 1 s and at most 10 s for the first retry, whatever the timeout', () => {
    const short = new AbandonedCalls(10);
    short.abandon(0, 10);
    expect(short.wait(1009)).toBeDefined();
    expect(short.wait(1010)).toBeUndefined();
    const long = new AbandonedCalls(8000);
    long.abandon(0, 8000);
    expect(long.wait(17_999)).toBeDefined();
    expect(long.wait(18_000)).toBeUndefined();
  });

  it('doubles the wait while calls keep hanging, up to 30 s, and starts again after an answer', () => {
    const calls = new AbandonedCalls(500);
    const waits: number[] = [];
    let now = 0;
    for (let i = 0; i < 7; i++) {
      now += 500;
      calls.abandon(now - 500, now);
      let until = now;
      while (calls.wait(until) !== undefined) until += 100;
      waits.push(until - now);
      now = until;
    }
    expect(waits).toEqual([1500, 3000, 6000, 12_000, 24_000, 30_000, 30_000]);
    calls.answered();
    calls.abandon(now, now + 500);
    expect(calls.wait(now + 500 + 1499)).toBeDefined();
    expect(calls.wait(now + 500 + 1500)).toBeUndefined();
  });

  it('holds at most ten calls: the check then waits until one settles', () => {
    const calls = new AbandonedCalls(500);
    const held = Array.from({ length: 10 }, (_, i) => calls.abandon(i * 1000, i * 1000 + 500));
    expect(calls.wait(20_000)).toBe(
      '10 earlier calls have not settled (check() ignores its AbortSignal): it is called again when one does',
    );
    calls.settled(held[9]);
    expect(calls.count).toBe(9);
    expect(calls.wait(60_000)).toBeUndefined();
  });

  it('stops waiting for a call that has not settled after five minutes', () => {
    const calls = new AbandonedCalls(500);
    for (let i = 0; i < 10; i++) calls.abandon(i, i + 500);
    expect(calls.wait(299_999)).toMatch(/^10 earlier calls have not settled/);
    expect(calls.wait(300_011)).toBeUndefined();
    expect(calls.count).toBe(0);
  });

  it('tells a failed run how many earlier calls are held, not counting its own', () => {
    const calls = new AbandonedCalls(500);
    expect(calls.note()).toBeUndefined();
    const first = calls.abandon(0, 500);
    expect(calls.note(first)).toBeUndefined();
    const second = calls.abandon(2000, 2500);
    expect(calls.note(second)).toBe(
      '1 earlier call never settled (check() ignores its AbortSignal)',
    );
    expect(calls.note()).toBe('2 earlier calls never settled (check() ignores its AbortSignal)');
  });

  it('counts no call of its own that has settled already: never fewer than none', () => {
    const calls = new AbandonedCalls(500);
    const own = calls.abandon(0, 500);
    calls.settled(own);
    expect(calls.note(own)).toBeUndefined();
  });
});
