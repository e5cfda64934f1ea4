import { describe, expect, it } from '@jest/globals';
import { PostgresHealthIndicator } from '../indicators/postgres.indicator.js';
import { RedisHealthIndicator } from '../indicators/redis.indicator.js';
import { DISCOVERABLE } from './discoverable.js';
import { scanClients, type Provided } from './client.scanner.js';

/* Clients by their shapes, as the libraries make them, without their libraries. */

const redis = () => ({ status: 'ready', ping: async () => 'PONG', connect() {}, duplicate() {} });
const pgPool = () => ({
  totalCount: 0,
  idleCount: 0,
  waitingCount: 0,
  connect() {},
  query() {},
  end() {},
  on() {},
});
const dataSource = (pool: object) => ({
  isInitialized: true,
  driver: { master: pool },
  query() {},
  initialize() {},
  destroy() {},
  getRepository() {},
});
const drizzleDb = (pool: object) => ({
  $client: pool,
  execute() {},
  select() {},
  insert() {},
  transaction() {},
});
const queue = (name: string, connection: object) => ({
  name,
  keys: { failed: `bull:${name}:failed` },
  opts: { connection },
  isPaused() {},
  getWorkersCount() {},
  getJobCounts() {},
  add() {},
});
const prisma = () => ({ $queryRawUnsafe() {}, $connect() {}, $disconnect() {}, $transaction() {} });

const scan = (provided: Provided[], declared = new Map<string, object>()) =>
  scanClients(provided, DISCOVERABLE, declared);
const tokens = (found: readonly { token: unknown }[]) => found.map(({ token }) => token);

describe('scanClients', () => {
  it('finds each client once, under the first token it is provided under', () => {
    const cache = redis();
    const result = scan([
      { token: 'CACHE', instance: cache },
      { token: 'SESSIONS', instance: cache },
      { token: 'QUEUE_REDIS', instance: redis() },
      { token: 'CONFIG', instance: { host: 'localhost' } },
      { token: 'NOTHING', instance: undefined },
    ]);
    expect(tokens(result.found)).toEqual(['CACHE', 'QUEUE_REDIS']);
    expect(result.found[0].cls).toBe(RedisHealthIndicator);
  });

  it('checks the client that holds another, and not the one it holds', () => {
    const pool = pgPool();
    const other = pgPool();
    const result = scan([
      { token: 'PG_POOL', instance: pool },
      { token: 'DRIZZLE', instance: drizzleDb(pool) },
      { token: 'DataSource', instance: dataSource(other) },
      { token: 'OTHER_POOL', instance: other },
    ]);
    expect(tokens(result.found)).toEqual(['DRIZZLE', 'DataSource']);
    expect(result.held.map(({ found, by }) => [found.token, by.token])).toEqual([
      ['PG_POOL', 'DRIZZLE'],
      ['OTHER_POOL', 'DataSource'],
    ]);
  });

  it('leaves what a declared indicator checks to it: the client, what holds it, what it holds', () => {
    const checked = redis();
    const pool = pgPool();
    const held = pgPool();
    const declared = new Map<string, object>([
      ['cache', new RedisHealthIndicator({ client: checked })],
      ['database', new PostgresHealthIndicator({ client: pool })],
      ['reporting', { checkedClients: () => [dataSource(held)] }],
    ]);
    const result = scan(
      [
        { token: 'REDIS', instance: checked },
        { token: 'DB', instance: drizzleDb(pool) },
        { token: 'POOL', instance: held },
        { token: 'OTHER', instance: redis() },
      ],
      declared,
    );
    expect(tokens(result.found)).toEqual(['OTHER']);
    expect(result.covered.map(({ found, by }) => [found.token, by])).toEqual([
      ['REDIS', 'cache'],
      ['DB', 'database'],
      ['POOL', 'reporting'],
    ]);
  });

  it('leaves a queue a check of its own: it checks more than the Redis connection it holds', () => {
    const shared = redis();
    const options = { host: 'localhost' };
    const emails = queue('emails', shared);
    const declared = new Map<string, object>([
      ['cache', new RedisHealthIndicator({ client: shared })],
      ['emails', { checkedClients: () => [emails] }],
    ]);
    const result = scan(
      [
        { token: 'REDIS', instance: shared },
        { token: 'BullQueue_emails', instance: emails },
        { token: 'BullQueue_reports', instance: queue('reports', shared) },
        { token: 'BullQueue_imports', instance: queue('imports', options) },
        { token: 'BullQueue_exports', instance: queue('exports', options) },
      ],
      declared,
    );
    expect(tokens(result.found)).toEqual([
      'BullQueue_reports',
      'BullQueue_imports',
      'BullQueue_exports',
    ]);
    expect(result.covered.map(({ found, by }) => [found.token, by])).toEqual([
      ['REDIS', 'cache'],
      ['BullQueue_emails', 'emails'],
    ]);
  });

  it('says why it leaves a client it cannot check without changing it', () => {
    const result = scan([{ token: 'PrismaService', instance: prisma() }]);
    expect(result.found).toEqual([]);
    expect(result.unsupported[0].why).toMatch(/register PrismaHealthIndicator/);
  });
});
