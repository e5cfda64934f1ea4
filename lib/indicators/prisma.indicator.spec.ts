import { describe, expect, it } from '@jest/globals';
import { errorMessage } from '../core/check-result.normalizer.js';
import { PrismaHealthIndicator, type PrismaClientLike } from './prisma.indicator.js';

async function outcome(indicator: PrismaHealthIndicator, signal = new AbortController().signal) {
  try {
    return { result: await indicator.check(signal) };
  } catch (error) {
    return { output: errorMessage(error) };
  }
}

describe('PrismaHealthIndicator', () => {
  it('runs the statement with $queryRawUnsafe()', async () => {
    const ran: string[] = [];
    const client: PrismaClientLike = { $queryRawUnsafe: async (sql) => ran.push(sql) };
    expect(await outcome(new PrismaHealthIndicator({ client, query: 'SELECT 2' }))).toEqual({
      result: {},
    });
    expect(ran).toEqual(['SELECT 2']);
  });

  it('fails with the reason, out of the lines Prisma wraps it in', async () => {
    const client: PrismaClientLike = {
      $queryRawUnsafe: async () => {
        throw new Error(
          '\nInvalid `prisma.$queryRawUnsafe()` invocation:\n\n\nRaw query failed. Code: `42P01`. Message: `relation "nope" does not exist`',
        );
      },
    };
    expect(await outcome(new PrismaHealthIndicator({ client }))).toEqual({
      output:
        'SELECT 1 failed: Raw query failed. Code: `42P01`. Message: `relation "nope" does not exist`',
    });
  });

  it('runs one query at a time, however many runs time out waiting for it', async () => {
    let calls = 0;
    let answer: (() => void) | undefined;
    const client: PrismaClientLike = {
      $queryRawUnsafe: () => {
        calls++;
        return new Promise<void>((resolve) => (answer = resolve));
      },
    };
    const indicator = new PrismaHealthIndicator({ client });
    for (let run = 0; run < 3; run++) {
      expect((await outcome(indicator, AbortSignal.timeout(10))).output).toMatch(
        /^SELECT 1 failed/,
      );
    }
    expect(calls).toBe(1);
    answer!();
    expect((await outcome(indicator)).result).toEqual({});
  });

  it('refuses, at start-up, what is not a Prisma client', () => {
    expect(
      () =>
        new PrismaHealthIndicator({
          client: { query: async () => [] } as unknown as PrismaClientLike,
        }),
    ).toThrow(
      /^PrismaHealthIndicator needs a Prisma client \(PrismaClient\) \(an object with \$queryRawUnsafe\(\)\)/,
    );
  });
});
