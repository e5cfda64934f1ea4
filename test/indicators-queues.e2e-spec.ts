import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication, Provider, Type } from '@nestjs/common';
import { BullModule, getQueueToken, OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { BullMqHealthIndicator, HealthService, type CheckReport } from '../lib/index.js';
import { createTestApp, startUpFailure } from './support/app.js';
import { describeWithServer, endpoint } from './support/servers.js';
import { TcpProxy } from './support/tcp-proxy.js';

/**
 * BullMqHealthIndicator against the real Redis, with real queues and real workers of
 * `@nestjs/bullmq`, connected through a TCP proxy the test owns. Every key lives under a prefix of
 * this run's own, deleted at the end.
 */

const TIMEOUT_MS = 300;
const PREFIX = `nestjs-probes-test-${process.pid}-${Date.now()}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A queue name of this run's own. */
let queues = 0;
const queueName = (what: string) => `${what}-${++queues}`;

async function until(condition: () => boolean | Promise<boolean>, what: string, withinMs = 5000) {
  const deadline = Date.now() + withinMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`still waiting, after ${withinMs} ms, for ${what}`);
    await sleep(20);
  }
}

async function entry(app: INestApplication, name = 'bullmq'): Promise<CheckReport> {
  const report = await app.get(HealthService).check('ready');
  const found = report.checks?.[`${name}:responseTime`]?.[0];
  if (!found) throw new Error(`no "${name}" check in ${JSON.stringify(report)}`);
  return found;
}

async function entryUntil(
  app: INestApplication,
  accept: (entry: CheckReport) => boolean,
  name = 'bullmq',
  withinMs = 5000,
): Promise<CheckReport> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const current = await entry(app, name);
    if (accept(current)) return current;
    if (Date.now() > deadline) {
      throw new Error(`after ${withinMs} ms, the check is still ${JSON.stringify(current)}`);
    }
    await sleep(20);
  }
}

/** Starts an app that must fail to start, and returns why. */
const failure = (providers: Provider[]) => startUpFailure(() => createTestApp({ providers }));

/** A stand-in queue, never called: for the start-up errors. */
const fakeQueue = {
  name: 'settings',
  keys: { failed: 'settings:failed' },
  isPaused: async () => false,
  getWorkersCount: async () => 0,
  getJobCounts: async () => ({}),
};

/** A worker class of `@nestjs/bullmq` for `queue`, whose jobs fail when their data says so. */
function processorFor(queue: string) {
  @Processor(queue)
  class Worker extends WorkerHost {
    /** Listened to, or BullMQ prints every connection error of an outage. */
    @OnWorkerEvent('error')
    onError() {}

    async process(job: Job<{ fail?: boolean }>) {
      if (job.data.fail) throw new Error('job failed on purpose');
      return 'done';
    }
  }
  return Worker;
}

await describeWithServer('redis', 'BullMqHealthIndicator', () => {
  let proxy: TcpProxy;
  let running: INestApplication | undefined;

  beforeAll(async () => {
    proxy = await new TcpProxy(endpoint('redis')).start();
  });

  afterEach(async () => {
    // Healed first: a queue closing through a refusing proxy would wait for its reconnection.
    await proxy.heal();
    await running?.close();
    running = undefined;
    await until(() => proxy.openSockets === 0, 'every socket to close');
  });

  afterAll(async () => {
    await proxy?.stop();
    // Every key this run created, and none other.
    const { host, port } = endpoint('redis');
    const redis = new Redis({ host, port });
    const keys = await redis.keys(`${PREFIX}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  /** An app with the queue, `processor` as its worker (none: `null`), and the providers. */
  async function start(
    queue: string,
    providers: Provider[],
    processor: Type<WorkerHost> | null = processorFor(queue),
  ) {
    running = await createTestApp({
      imports: [
        BullModule.forRoot({
          connection: { host: '127.0.0.1', port: proxy.port, retryStrategy: () => 50 },
          prefix: PREFIX,
        }),
        BullModule.registerQueue({ name: queue }),
      ],
      providers: [...(processor ? [processor] : []), ...providers],
    });
    running.get<Queue>(getQueueToken(queue)).on('error', () => undefined);
    return running;
  }

  const options = { timeoutMs: TIMEOUT_MS, cacheTtlMs: 0 };

  it('passes with a running worker, on the queue’s own connection', async () => {
    const queue = queueName('emails');
    const app = await start(queue, [BullMqHealthIndicator.register({ queue, ...options })]);
    const first = await entryUntil(app, (e) => e.status === 'pass');
    expect(first).toMatchObject({
      componentId: 'bullmq',
      componentType: 'component',
      observedUnit: 'ms',
      details: {
        queue,
        paused: false,
        workers: 1,
        localWorkers: 1,
        waiting: 0,
        delayed: 0,
        failed: 0,
        failedRecent: 0,
        failedWindowMs: 900000,
      },
    });
    expect(first.output).toBeUndefined();
    const accepted = proxy.accepted;
    for (let i = 0; i < 3; i++) expect((await entry(app)).status).toBe('pass');
    // No connection of its own, per check or once.
    expect(proxy.accepted).toBe(accepted);
  });

  it('fails below minWorkers; warns above a backlog threshold, or fails when told to', async () => {
    const queue = queueName('reports');
    const app = await start(
      queue,
      [
        BullMqHealthIndicator.register({ queue, name: 'workers', ...options }),
        BullMqHealthIndicator.register({
          queue,
          name: 'backlog',
          minWorkers: 0,
          maxWaiting: 2,
          maxDelayed: 0,
          ...options,
        }),
        BullMqHealthIndicator.register({
          queue,
          name: 'strict',
          minWorkers: 0,
          maxWaiting: 2,
          backlogStatus: 'fail',
          ...options,
        }),
      ],
      null,
    );
    const jobs = app.get<Queue>(getQueueToken(queue));
    await jobs.addBulk([1, 2, 3].map((n) => ({ name: 'report', data: { n } })));
    await jobs.add('later', {}, { delay: 60_000 });
    expect(await entry(app, 'workers')).toMatchObject({
      status: 'fail',
      output: '0 running workers, below minWorkers 1',
      details: { workers: 0, waiting: 3, delayed: 1 },
    });
    expect(await entry(app, 'backlog')).toMatchObject({
      status: 'warn',
      output: '3 waiting, above maxWaiting 2; 1 delayed, above maxDelayed 0',
    });
    expect(await entry(app, 'strict')).toMatchObject({
      status: 'fail',
      output: '3 waiting, above maxWaiting 2',
    });
  });

  it('counts the jobs failed within the window only', async () => {
    const queue = queueName('imports');
    const app = await start(queue, [
      BullMqHealthIndicator.register({ queue, maxFailed: 0, failedWindowMs: 1000, ...options }),
    ]);
    await app.get<Queue>(getQueueToken(queue)).add('import', { fail: true });
    const failing = await entryUntil(app, (e) => e.status === 'warn');
    expect(failing.output).toBe('1 failed in the last 1 s, above maxFailed 0');
    expect(failing.details).toMatchObject({ failed: 1, failedRecent: 1 });
    // Older than the window: still failed, no longer recent.
    const later = await entryUntil(app, (e) => e.status === 'pass', 'bullmq', 3000);
    expect(later.details).toMatchObject({ failed: 1, failedRecent: 0 });
  });

  it('fails while the queue or this application’s worker is paused, or its worker closed', async () => {
    const queue = queueName('invoices');
    const Worker = processorFor(queue);
    const app = await start(queue, [BullMqHealthIndicator.register({ queue, ...options })], Worker);
    await entryUntil(app, (e) => e.status === 'pass');
    const jobs = app.get<Queue>(getQueueToken(queue));
    await jobs.pause();
    expect(await entry(app)).toMatchObject({
      status: 'fail',
      output: `queue "${queue}" is paused`,
    });
    await jobs.resume();
    await entryUntil(app, (e) => e.status === 'pass');

    const { worker } = app.get(Worker);
    await worker.pause(true);
    expect(await entry(app)).toMatchObject({
      status: 'fail',
      output: "1 of this application's workers paused; 0 running workers, below minWorkers 1",
    });
    worker.resume();
    await entryUntil(app, (e) => e.status === 'pass');
    await worker.close();
    expect(await entryUntil(app, (e) => e.status === 'fail')).toMatchObject({
      output: "1 of this application's workers closed; 0 running workers, below minWorkers 1",
    });
  });

  it('fails fast when Redis refuses, at its timeout in a black hole, and recovers', async () => {
    const queue = queueName('outage');
    const app = await start(queue, [BullMqHealthIndicator.register({ queue, ...options })]);
    await entryUntil(app, (e) => e.status === 'pass');

    await proxy.refuse();
    // The first run may still find the client ready, and time out; then it fails at once.
    const refused = await entryUntil(app, (e) => (e.output ?? '').startsWith('not connected'));
    expect(refused.output).toMatch(/^not connected \(status: (reconnecting|connecting|connect)\)$/);
    expect(refused.observedValue).toBeLessThan(100);
    await proxy.heal();
    await entryUntil(app, (e) => e.status === 'pass');

    proxy.blackhole();
    const hung = await entry(app);
    expect(hung).toMatchObject({ status: 'fail', output: `timed out after ${TIMEOUT_MS} ms` });
    // Bounded by the timeout, with room for a loaded machine's scheduling.
    expect(hung.observedValue).toBeLessThan(TIMEOUT_MS + 1000);
    // The black hole ends as a partition does: connections reset, then the network back.
    await proxy.refuse();
    await proxy.heal();
    await entryUntil(app, (e) => e.status === 'pass');
    await app.close();
    running = undefined;
    await until(() => proxy.openSockets === 0, 'the queue’s and worker’s sockets to close');
  });

  describe('start-up errors', () => {
    it('says which queue is missing, and how to register it', async () => {
      const message = await failure([BullMqHealthIndicator.register({ queue: 'nowhere' })]);
      expect(message).toBe(
        'BullMqHealthIndicator(bullmq) found no BullMQ queue "nowhere": nothing is provided under "BullQueue_nowhere". Register it with BullModule.registerQueue({ name: \'nowhere\' }) in this module or in a module it imports.',
      );
    });

    it('names a bad setting, and an unknown one', async () => {
      expect(() => BullMqHealthIndicator.register({ queue: '' })).toThrow(
        /BullMqHealthIndicator: "queue" is ""; it must be the name of a queue/,
      );
      // A queue object under the queue's token: the settings are judged before any Redis call.
      const queue = { provide: getQueueToken('settings'), useValue: fakeQueue };
      const bad = await failure([
        queue,
        BullMqHealthIndicator.register({ queue: 'settings', maxWaiting: -1 }),
      ]);
      expect(bad).toBe(
        'BullMqHealthIndicator(bullmq): "maxWaiting" is number -1; it must be an integer >= 0.',
      );
      const unknown = await failure([
        queue,
        BullMqHealthIndicator.register({ queue: 'settings', maxWaitng: 10 } as never),
      ]);
      expect(unknown).toMatch(
        /^BullMqHealthIndicator\(bullmq\) has no setting or option "maxWaitng"\. Its settings: "queue", "workers", "minWorkers", "maxWaiting"/,
      );
      const notQueue = await failure([
        { provide: getQueueToken('settings'), useValue: { name: 'settings' } },
        BullMqHealthIndicator.register({ queue: 'settings' }),
      ]);
      expect(notQueue).toMatch(/^BullMqHealthIndicator\(bullmq\) needs a BullMQ Queue/);
    });

    it('needs the bullmq package', () => {
      class NoBullIndicator extends BullMqHealthIndicator {
        static override readonly peer = 'not-an-installed-package-nestjs-probes' as never;
      }
      expect(() => new NoBullIndicator({ queue: fakeQueue })).toThrow(
        'NoBullIndicator needs the "not-an-installed-package-nestjs-probes" package, which is not installed. Install it: npm install not-an-installed-package-nestjs-probes',
      );
    });
  });
});
