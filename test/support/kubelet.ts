import { expect } from '@jest/globals';
import { request } from 'node:http';
import { check, healthClient } from './grpc.js';
import { LoadGenerator } from './load.js';
import { sleep } from './wait.js';

/** A probe as a Pod spec declares it, in milliseconds: `url` (httpGet) or `grpc`. */
export interface ProbeSpec {
  /** An HTTP probe: the URL of its GET. */
  url?: string;
  /**
   * A gRPC probe (`grpc: { port, service }`): `Check` of `service` (`""` when the spec names
   * none) at `address` (`host:port`).
   */
  grpc?: { address: string; service?: string };
  periodMs: number;
  timeoutMs: number;
  /** Consecutive failures that make the probe fail. Kubernetes' default: 3. */
  failureThreshold?: number;
  /** Consecutive successes that make it succeed. Kubernetes' default (and only value for liveness and startup): 1. */
  successThreshold?: number;
}

/** One probe attempt: when it was sent, when it settled, and how. */
export interface ProbeAttempt {
  sentAt: number;
  doneAt: number;
  /** The HTTP status of an HTTP probe's answer. */
  status?: number;
  /** The serving status of a gRPC probe's answer (`SERVING`, `NOT_SERVING`...). */
  serving?: string;
  /** A network error's code; a gRPC call's status code when it failed (`NOT_FOUND`...). */
  error?: string;
  success: boolean;
}

export type ProbeState = 'unknown' | 'success' | 'failure';

export interface Transition {
  at: number;
  from: ProbeState;
  to: ProbeState;
}

/**
 * The kubelet's HTTP probe: every period a GET on a new connection with
 * `User-Agent: kube-probe/1.31`; success is a status from 200 to 399 within the timeout; the
 * state changes after `successThreshold` successes or `failureThreshold` failures in a row.
 * Every attempt and every transition is recorded.
 *
 * Its gRPC probe, likewise: every period a `grpc.health.v1.Health/Check` on a new channel (with
 * `kube-probe/1.31` as its user agent), within the timeout; success is `SERVING`, anything else
 * (`NOT_SERVING`, an error status such as `NOT_FOUND` or `UNIMPLEMENTED`, no answer) a failure.
 */
export class ProbeSimulator {
  readonly attempts: ProbeAttempt[] = [];
  readonly transitions: Transition[] = [];
  state: ProbeState = 'unknown';
  private running = false;
  private loop?: Promise<void>;
  private successes = 0;
  private failures = 0;
  private readonly waiters: { state: ProbeState; resolve: (t: Transition) => void }[] = [];

  constructor(private readonly spec: ProbeSpec) {}

  start(): this {
    this.running = true;
    this.loop = this.run();
    return this;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Resolves at the next transition to `state` (at once if it is already there). */
  until(state: ProbeState, timeoutMs: number): Promise<Transition> {
    const last = this.transitions.at(-1);
    if (this.state === state && last) return Promise.resolve(last);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.target} did not turn ${state} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        state,
        resolve: (transition) => {
          clearTimeout(timer);
          resolve(transition);
        },
      });
    });
  }

  private async run(): Promise<void> {
    while (this.running) {
      const started = Date.now();
      this.record(await this.probeOnce());
      const wait = this.spec.periodMs - (Date.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  private get target(): string {
    const { url, grpc } = this.spec;
    return url ?? `grpc ${grpc!.address} service "${grpc!.service ?? ''}"`;
  }

  private probeOnce(): Promise<ProbeAttempt> {
    return this.spec.grpc ? this.grpcProbeOnce(this.spec.grpc) : this.httpProbeOnce(this.spec.url!);
  }

  private async grpcProbeOnce(target: NonNullable<ProbeSpec['grpc']>): Promise<ProbeAttempt> {
    const sentAt = Date.now();
    const client = healthClient(target.address, { 'grpc.primary_user_agent': 'kube-probe/1.31' });
    try {
      const answer = await check(client, target.service ?? '', this.spec.timeoutMs);
      return {
        sentAt,
        doneAt: Date.now(),
        serving: answer.status,
        error: answer.code,
        success: answer.status === 'SERVING',
      };
    } finally {
      client.close();
    }
  }

  private httpProbeOnce(url: string): Promise<ProbeAttempt> {
    const sentAt = Date.now();
    return new Promise((resolve) => {
      const settle = (fields: Partial<ProbeAttempt>) => {
        if (settled) return;
        settled = true;
        resolve({ sentAt, doneAt: Date.now(), success: false, ...fields });
      };
      let settled = false;
      const req = request(
        url,
        {
          agent: false,
          headers: { 'User-Agent': 'kube-probe/1.31', Accept: '*/*', Connection: 'close' },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            settle({ status, success: status >= 200 && status < 400 });
          });
        },
      );
      req.setTimeout(this.spec.timeoutMs, () => {
        req.destroy();
        settle({ error: 'timeout' });
      });
      req.on('error', (error: NodeJS.ErrnoException) =>
        settle({ error: error.code ?? error.message }),
      );
      req.end();
    });
  }

  private record(attempt: ProbeAttempt): void {
    this.attempts.push(attempt);
    if (attempt.success) {
      this.successes++;
      this.failures = 0;
      if (this.successes >= (this.spec.successThreshold ?? 1))
        this.moveTo('success', attempt.doneAt);
    } else {
      this.failures++;
      this.successes = 0;
      if (this.failures >= (this.spec.failureThreshold ?? 3))
        this.moveTo('failure', attempt.doneAt);
    }
  }

  private moveTo(state: ProbeState, at: number): void {
    if (this.state === state) return;
    const transition = { at, from: this.state, to: state };
    this.transitions.push(transition);
    this.state = state;
    for (const waiter of this.waiters.splice(0)) {
      if (waiter.state === state) waiter.resolve(transition);
      else this.waiters.push(waiter);
    }
  }
}

/**
 * Saturates the sample app (20 connections on a route taking 20 ms of CPU: the event loop is
 * never idle) while the probes `start` makes run for 2 s, and expects the load served and every
 * probe to have succeeded throughout.
 */
export async function expectProbesThroughSaturation(
  ordersUrl: string,
  start: () => ProbeSimulator[],
): Promise<void> {
  const load = new LoadGenerator(`${ordersUrl}/report?cpuMs=20`, 20).start();
  await sleep(300);
  const probes = start();
  await sleep(2000);
  await Promise.all(probes.map((probe) => probe.stop()));
  await load.stop();
  expect(load.requests.filter((sent) => sent.status === 200).length).toBeGreaterThan(50);
  for (const probe of probes) {
    expect(probe.attempts.length).toBeGreaterThan(10);
    expect(probe.attempts.filter((attempt) => !attempt.success)).toEqual([]);
    expect(probe.transitions.map((t) => t.to)).toEqual(['success']);
  }
}
