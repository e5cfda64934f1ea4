import { describe, expect, it } from '@jest/globals';
import { errorMessage } from '../core/check-result.normalizer.js';
import { MikroOrmHealthIndicator, type MikroOrmLike } from './mikro-orm.indicator.js';

async function outcome(orm: MikroOrmLike) {
  try {
    const indicator = new MikroOrmHealthIndicator({ client: orm });
    return { result: await indicator.check(new AbortController().signal) };
  } catch (error) {
    return { output: errorMessage(error) };
  }
}

/** A MikroORM whose driver has no Knex pool (MikroORM 7, or MongoDB). */
const ormWithout = (check: MikroOrmLike['checkConnection']): MikroOrmLike => ({
  em: { getConnection: () => ({}) },
  checkConnection: check,
});

describe('MikroOrmHealthIndicator', () => {
  it('checks a driver without a Knex pool with orm.checkConnection()', async () => {
    expect(await outcome(ormWithout(async () => ({ ok: true })))).toEqual({
      result: {},
    });
  });

  it('fails with the reason checkConnection() gives', async () => {
    const down = ormWithout(async () => ({
      ok: false,
      reason: 'connect ECONNREFUSED 10.0.0.5:27017',
    }));
    expect(await outcome(down)).toEqual({ output: 'connect ECONNREFUSED 10.0.0.5:27017' });
  });

  it('refuses, at start-up, what is not a MikroORM', () => {
    expect(() => new MikroOrmHealthIndicator({ client: { em: {} } as MikroOrmLike })).toThrow(
      /^MikroOrmHealthIndicator needs a MikroORM instance \(MikroORM\.init\(\)\) \(an object with checkConnection\(\)\), got an object\./,
    );
  });
});
