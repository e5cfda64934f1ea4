import type { Provider } from '@nestjs/common';
import { messages } from '../core/health.messages.js';
import type { CheckResult, HealthStatus } from '../interfaces/health-check.interface.js';
import {
  BuiltInIndicator,
  type BuiltInClass,
  type IndicatorOptions,
  type RegisterOptions,
} from './support/built-in.indicator.js';
import { abortable, PendingCall } from './support/client-call.js';
import type { Discovery } from './support/discovery.js';
import { registerWithHandle } from './support/handle.registration.js';
import { assertClient, hasMethod, settingKeysOf } from './support/setting.rules.js';
import { processorWorkers, queueLookup } from './support/nest-bullmq.js';

/** The part of the queue's ioredis client the indicator uses. */
export interface BullRedisClientLike {
  /** `'ready'` when commands can be served. */
  readonly status?: string;
  zcount(key: string, min: number | string, max: number | string): Promise<number>;
}

/** The part of a BullMQ `Queue` (bullmq 5 or 6) the indicator uses. */
export interface BullQueueLike {
  readonly name: string;
  /** Redis keys of the queue; `failed` is the sorted set of failed jobs, scored by `finishedOn`. */
  readonly keys: { readonly failed: string };
  /** The queue's own Redis client (bullmq 5). */
  readonly client?: Promise<BullRedisClientLike>;
  /** The queue's backend, whose `client` is its Redis client (bullmq 6). */
  getBackend?(): { readonly client?: Promise<BullRedisClientLike> };
  isPaused(): Promise<boolean>;
  getWorkersCount(): Promise<number>;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
}

/** The part of a BullMQ `Worker` the indicator uses. */
export interface BullWorkerLike {
  isRunning(): boolean;
  isPaused(): boolean;
  /** Set once `close()` has been called. */
  readonly closing?: Promise<void>;
}

/** Settings of `BullMqHealthIndicator`. */
export interface BullMqIndicatorSettings {
  /** The application's queue; `register()` takes its name and finds it in DI. */
  queue: BullQueueLike;
  /** This application's workers of the queue; `register()` finds its `@Processor()` classes. */
  workers?: () => readonly BullWorkerLike[];
  /** Fewer running workers (in any process, as Redis lists them) fails. Default 1; 0 turns it off. */
  minWorkers?: number;
  /** More jobs waiting (waiting + prioritized) than this reports `backlogStatus`. */
  maxWaiting?: number;
  /** More delayed jobs than this reports `backlogStatus`. */
  maxDelayed?: number;
  /** More jobs failed within `failedWindowMs` than this reports `backlogStatus`. */
  maxFailed?: number;
  /** The window of `maxFailed`, in ms. Default 900000 (15 minutes). */
  failedWindowMs?: number;
  /** What a backlog above a threshold reports. Default `'warn'`. */
  backlogStatus?: 'warn' | 'fail';
}

/** What `validate()` asks of a queue. */
const QUEUE_METHODS = ['isPaused', 'getWorkersCount', 'getJobCounts'];
/** What `register()` takes: the queue's name instead of the queue. */
export type BullMqRegisterOptions = IndicatorOptions &
  Omit<BullMqIndicatorSettings, 'queue' | 'workers'> & { queue: string };

/**
 * Checks a BullMQ queue of the application (`@nestjs/bullmq`): its own Redis connection (fails at
 * once while it is not ready), that its workers run (`minWorkers` across every process, none of
 * this application's paused or closed, the queue not paused), and its backlog (`maxWaiting`,
 * `maxDelayed`, `maxFailed` within `failedWindowMs`), which warns by default.
 *
 * @example
 * BullMqHealthIndicator.register({ queue: 'emails', maxWaiting: 1000 })
 */
export class BullMqHealthIndicator extends BuiltInIndicator<BullMqIndicatorSettings> {
  static override readonly defaults = { name: 'bullmq', componentType: 'component' };
  static override readonly settingKeys = settingKeysOf<BullMqIndicatorSettings>(
    'queue',
    'workers',
    'minWorkers',
    'maxWaiting',
    'maxDelayed',
    'maxFailed',
    'failedWindowMs',
    'backlogStatus',
  );
  static override readonly peer = 'bullmq';
  /**
   * @internal A queue, named by its name, with the workers of its `@Processor()` classes. Its
   * Redis connection, when the application gave it a client of its own, is checked through it.
   */
  static override readonly discovery: Discovery<BullQueueLike> = {
    kind: 'BullMQ queue',
    words: ['bullmq', 'bull', 'queue'],
    recognises: (value): value is BullQueueLike =>
      [...QUEUE_METHODS, 'add'].every((method) => hasMethod(value, method)) &&
      typeof (value as Partial<BullQueueLike>).keys?.failed === 'string',
    settings: (queue, { modules }) => ({
      queue,
      workers: () => processorWorkers(modules, queue.name),
    }),
    nameOf: (queue) => queue.name,
    wraps: (queue) => [(queue as { opts?: { connection?: unknown } }).opts?.connection],
    addsToHeld: true,
  };

  private redis?: BullRedisClientLike;
  /** A read still unanswered (its check timed out) is waited for: no pile of them in the client. */
  private readonly reading = new PendingCall<QueueState>();

  /**
   * A provider in one line, the queue found by its name (`BullModule.registerQueue({ name })`):
   * `BullMqHealthIndicator.register({ queue: 'emails', maxWaiting: 1000 })`.
   */
  static override register<S>(
    this: BuiltInClass<S>,
    options: BullMqRegisterOptions | RegisterOptions<S>,
  ): Provider {
    const lookup = queueLookup(this.name, (options as { queue?: unknown })?.queue);
    return registerWithHandle(this, options as Record<string, unknown>, lookup);
  }

  protected override validate(settings: BullMqIndicatorSettings): void {
    const name = this.constructor.name;
    const bad = (key: keyof BullMqIndicatorSettings, valid: string) =>
      new Error(messages.badSetting(name, key, settings[key], valid));
    assertClient(name, settings.queue, QUEUE_METHODS, 'a BullMQ Queue');
    for (const key of ['minWorkers', 'maxWaiting', 'maxDelayed', 'maxFailed'] as const) {
      const value = settings[key];
      if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
        throw bad(key, 'an integer >= 0');
      }
    }
    const window = settings.failedWindowMs;
    if (window !== undefined && !(Number.isInteger(window) && window > 0)) {
      throw bad('failedWindowMs', 'an integer number of ms > 0');
    }
    if (
      settings.backlogStatus !== undefined &&
      !['warn', 'fail'].includes(settings.backlogStatus)
    ) {
      throw bad('backlogStatus', '"warn" or "fail"');
    }
    if (settings.workers !== undefined && typeof settings.workers !== 'function') {
      throw bad('workers', "a function returning the application's workers of the queue");
    }
  }

  async check(signal: AbortSignal): Promise<CheckResult> {
    // The client resolves once connected: while it never was, the check waits for its timeout.
    const redis = (this.redis ??= await abortable(this.clientOf(), signal));
    if (redis.status !== undefined && redis.status !== 'ready') {
      throw new Error(`not connected (status: ${redis.status})`);
    }
    return this.judge(await this.reading.join(() => this.read(redis), signal));
  }

  private clientOf(): Promise<BullRedisClientLike> {
    const { queue } = this.settings;
    const client = queue.getBackend?.().client ?? queue.client;
    if (client === undefined) return Promise.reject(new Error('the queue has no Redis client'));
    return client;
  }

  private async read(redis: BullRedisClientLike): Promise<QueueState> {
    const { queue, failedWindowMs = 900_000 } = this.settings;
    const [paused, workers, counts, failedRecent] = await Promise.all([
      queue.isPaused(),
      queue.getWorkersCount(),
      queue.getJobCounts('waiting', 'prioritized', 'delayed', 'failed', 'active'),
      redis.zcount(queue.keys.failed, Date.now() - failedWindowMs, '+inf'),
    ]);
    return { paused, workers, counts, failedRecent, failedWindowMs };
  }

  private judge(state: QueueState): CheckResult {
    const { backlogStatus = 'warn', queue } = this.settings;
    const { counts } = state;
    const workers = this.workers(state);
    const backlog = this.backlog(state);
    const status: HealthStatus =
      workers.failures.length > 0 ? 'fail' : backlog.length > 0 ? backlogStatus : 'pass';
    const result: CheckResult = {
      status,
      details: {
        queue: queue.name,
        paused: state.paused,
        workers: workers.running,
        ...(workers.local !== undefined && { localWorkers: workers.local }),
        waiting: waitingOf(state),
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        failed: counts.failed ?? 0,
        failedRecent: state.failedRecent,
        failedWindowMs: state.failedWindowMs,
      },
    };
    if (status !== 'pass') result.output = [...workers.failures, ...backlog].join('; ');
    return result;
  }

  /** Whether the queue's workers run: what fails, how many run, how many of this app's do. */
  private workers(state: QueueState) {
    const { minWorkers = 1, queue } = this.settings;
    const local = this.settings.workers?.() ?? [];
    const closed = local.filter((w) => w.closing !== undefined || !w.isRunning()).length;
    const paused = local.filter((w) => w.closing === undefined && w.isPaused()).length;
    // A paused worker keeps its connection, so Redis still lists it.
    const running = Math.max(0, state.workers - paused);
    const failures: string[] = [];
    if (state.paused) failures.push(`queue "${queue.name}" is paused`);
    if (paused > 0) failures.push(`${paused} of this application's workers paused`);
    if (closed > 0) failures.push(`${closed} of this application's workers closed`);
    if (running < minWorkers) {
      const plural = running === 1 ? '' : 's';
      failures.push(`${running} running worker${plural}, below minWorkers ${minWorkers}`);
    }
    const stillLocal = local.length > 0 ? local.length - closed - paused : undefined;
    return { failures, running, local: stillLocal };
  }

  /** The thresholds the backlog is above, each said in words. */
  private backlog(state: QueueState): string[] {
    const { maxWaiting, maxDelayed, maxFailed } = this.settings;
    const above: string[] = [];
    const check = (what: string, value: number, max: number | undefined, setting: string) => {
      if (max !== undefined && value > max) above.push(`${value} ${what}, above ${setting} ${max}`);
    };
    check('waiting', waitingOf(state), maxWaiting, 'maxWaiting');
    check('delayed', state.counts.delayed ?? 0, maxDelayed, 'maxDelayed');
    const failed = `failed in the last ${state.failedWindowMs / 1000} s`;
    check(failed, state.failedRecent, maxFailed, 'maxFailed');
    return above;
  }
}

/** What one read of the queue found. */
interface QueueState {
  paused: boolean;
  workers: number;
  counts: Record<string, number>;
  failedRecent: number;
  failedWindowMs: number;
}

/** Jobs waiting to be taken: waiting, and prioritized (a set of their own since bullmq 4). */
function waitingOf({ counts }: QueueState): number {
  return (counts.waiting ?? 0) + (counts.prioritized ?? 0);
}
