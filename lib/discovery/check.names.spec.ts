import { describe, expect, it } from '@jest/globals';
import { NAME_PATTERN } from '../core/value.rules.js';
import { checkNames, tokenText, wordsOf, type Naming } from './check.names.js';

const typeorm = { kind: 'typeorm', words: ['typeorm', 'orm', 'data', 'source', 'datasource'] };
const redis = { kind: 'redis', words: ['redis', 'ioredis', 'cluster'] };
const micro = { kind: 'microservice', words: ['microservice', 'micro', 'proxy', 'rpc'] };

/** A class token, as `@nestjs/typeorm` provides the default DataSource under. */
class DataSource {
  readonly isInitialized = false;
}

const names = (namings: Naming[], taken: string[] = []) => checkNames(namings, new Set(taken));

describe('the names of auto-found checks', () => {
  it('splits a token into lower-case words, whatever its case or separators', () => {
    expect(wordsOf('reportingDataSource')).toEqual(['reporting', 'data', 'source']);
    expect(wordsOf('ORDERS_SERVICE')).toEqual(['orders', 'service']);
    expect(wordsOf('BullQueue_emails')).toEqual(['bull', 'queue', 'emails']);
    expect(wordsOf('MikroORM')).toEqual(['mikro', 'orm']);
    expect(wordsOf('HTTPClient2')).toEqual(['http', 'client2']);
    expect(wordsOf('users-db.primary')).toEqual(['users', 'db', 'primary']);
  });

  it('reads a string token, a symbol’s description and a class’s name', () => {
    expect(tokenText('REDIS')).toBe('REDIS');
    expect(tokenText(Symbol('CACHE'))).toBe('CACHE');
    expect(tokenText(Symbol())).toBe('');
    expect(tokenText(DataSource)).toBe('DataSource');
    expect(tokenText(42)).toBe('');
  });

  it('names a check by its kind, and by what its token adds to it', () => {
    expect(
      names([
        { ...typeorm, token: DataSource },
        { ...typeorm, token: 'reportingDataSource' },
        { ...redis, token: 'REDIS_CLIENT' },
        { ...redis, token: 'CACHE_REDIS' },
        { ...micro, token: 'ORDERS_SERVICE' },
      ]),
    ).toEqual(['typeorm', 'typeorm.reporting', 'redis', 'redis.cache', 'microservice.orders']);
  });

  it('prefers a name the client has to its token (a queue’s)', () => {
    const bullmq = { kind: 'bullmq', words: ['bullmq', 'queue'] };
    expect(names([{ ...bullmq, token: 'BullQueue_sendEmails', own: 'sendEmails' }])).toEqual([
      'bullmq.send-emails',
    ]);
  });

  it('tells clashing names apart by their whole tokens, then by a number', () => {
    expect(
      names([
        { ...redis, token: 'REDIS' },
        { ...redis, token: 'REDIS_CLIENT' },
        { ...redis, token: 'SESSIONS' },
      ]),
    ).toEqual(['redis.redis', 'redis.redis-client', 'redis.sessions']);
    // One token in two modules: the whole token tells nothing more.
    expect(
      names([
        { ...redis, token: 'REDIS' },
        { ...redis, token: 'REDIS' },
        { ...redis, token: 'REDIS' },
      ]),
    ).toEqual(['redis', 'redis-2', 'redis-3']);
  });

  it('leaves a declared indicator its name', () => {
    expect(names([{ ...redis, token: 'REDIS' }], ['redis'])).toEqual(['redis.redis']);
    expect(names([{ ...redis, token: Symbol() }], ['redis'])).toEqual(['redis-2']);
  });

  it('always makes a valid check name, never with the ":" of report keys', () => {
    const made = names([
      { ...redis, token: 'a:b/c d' },
      { ...redis, token: `${'x'.repeat(100)}_CACHE` },
      { ...redis, token: `${'x'.repeat(100)}_SESSIONS` },
      { ...redis, token: '' },
    ]);
    expect(made[0]).toBe('redis.a-b-c-d');
    for (const name of made) expect(name).toMatch(NAME_PATTERN);
    expect(new Set(made).size).toBe(made.length);
  });
});
