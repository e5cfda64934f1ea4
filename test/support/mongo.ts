import { expect } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import type { MongoClient } from 'mongodb';
import request from 'supertest';
import type { CheckReport } from '../../lib/index.js';
import type { TcpProxy } from './tcp-proxy.js';
import { sleep, until } from './wait.js';

/**
 * What the MongoDB and Mongoose suites share: the readiness probe over HTTP, what the driver
 * does on the application's client (from its public events), and the outage both go through.
 */

export interface Answer {
  /** The HTTP status of `GET /health/ready`. */
  code: number;
  entry: CheckReport;
  /** How long the probe took, in ms. */
  ms: number;
}

/** `GET /health/ready` (or another probe) over HTTP, and the indicator's entry in it. */
export async function ready(app: INestApplication, name: string, probe = 'ready'): Promise<Answer> {
  const started = performance.now();
  const response = await request(app.getHttpServer()).get(`/health/${probe}`);
  const ms = performance.now() - started;
  const entry = (response.body as { checks?: Record<string, CheckReport[]> }).checks?.[
    `${name}:responseTime`
  ]?.[0];
  if (!entry) throw new Error(`no "${name}" check in ${response.status} ${response.text}`);
  return { code: response.status, entry, ms };
}

/** Probes until the indicator's entry is one `accept` takes, or fails with the last one. */
export async function readyUntil(
  app: INestApplication,
  name: string,
  accept: (entry: CheckReport) => boolean,
  withinMs = 5000,
  probe = 'ready',
): Promise<Answer> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const answer = await ready(app, name, probe);
    if (accept(answer.entry)) return answer;
    if (Date.now() > deadline) {
      throw new Error(`after ${withinMs} ms, "${name}" is still ${JSON.stringify(answer.entry)}`);
    }
    await sleep(20);
  }
}

export const passes = (entry: CheckReport) => entry.status === 'pass';

/**
 * The commands and pooled connections of a client, counted from the driver's public events
 * (command monitoring needs `monitorCommands: true`), from the moment it listens: a connection
 * lent before and returned after is simply not counted.
 */
export class Traffic {
  private readonly pings = new Set<number>();
  private readonly checkedOut = new Set<number>();
  /** The most pings outstanding at once, and pooled connections checked out at once. */
  maxPings = 0;
  maxCheckedOut = 0;

  constructor(client: MongoClient, command = 'ping') {
    client.on('commandStarted', (event) => {
      if (event.commandName !== command) return;
      this.pings.add(event.requestId);
      this.maxPings = Math.max(this.maxPings, this.pings.size);
    });
    const answered = (event: { requestId: number }) => this.pings.delete(event.requestId);
    client.on('commandSucceeded', answered).on('commandFailed', answered);
    client.on('connectionCheckedOut', (event) => {
      this.checkedOut.add(event.connectionId as number);
      this.maxCheckedOut = Math.max(this.maxCheckedOut, this.checkedOut.size);
    });
    const back = (event: { connectionId: number | '<monitor>' }) =>
      this.checkedOut.delete(event.connectionId as number);
    client.on('connectionCheckedIn', back).on('connectionClosed', back);
  }

  /** Pings sent and not answered yet; pooled connections lent and not back. */
  get outstanding(): { pings: number; checkedOut: number } {
    return { pings: this.pings.size, checkedOut: this.checkedOut.size };
  }

  /** Forgets the maxima (from now on). */
  restart(): void {
    this.maxPings = this.pings.size;
    this.maxCheckedOut = this.checkedOut.size;
  }
}

export interface Outage {
  app: INestApplication;
  name: string;
  /** The proxy between the application's client and the server. */
  proxy: TcpProxy;
  traffic: Traffic;
  timeoutMs: number;
  ttlMs: number;
  /** The application's own query through the same client, over HTTP: its route. */
  query: string;
  /** The client's `heartbeatFrequencyMS`: how soon its monitor finds the server gone. */
  heartbeatMs: number;
  /** The client's `maxConnecting`: how many connections its pool opens at once. */
  maxConnecting: number;
}

const idle = (traffic: Traffic) => () =>
  traffic.outstanding.pings === 0 && traffic.outstanding.checkedOut === 0;

/**
 * Refused: fails fast, with the driver's reason, run after run (the pool's, then the monitor's),
 * and passes again once healed.
 * A black hole: fails at the timeout, run after run, with never more than one ping outstanding,
 * none left after each run, and no pooled connection kept; healed, the application's own query
 * through the same client answers at once, and the check passes again.
 */
export async function outage(o: Outage): Promise<void> {
  const { app, name, proxy, traffic, timeoutMs, ttlMs } = o;
  await readyUntil(app, name, passes);

  await proxy.refuse();
  // First the pool's own connection attempts are refused; then the driver's monitor has found
  // the server gone too (at its next heartbeat), and says why. Fast, either way.
  const outputs: string[] = [];
  await until(
    async () => {
      await sleep(ttlMs + 20);
      const { code, entry } = await ready(app, name);
      expect(code).toBe(503);
      outputs.push(entry.output ?? '');
      expect(entry.output).toMatch(/^(ping failed|no server reachable): connect ECONNREFUSED /);
      return entry.output!.startsWith('no server reachable');
    },
    () => `the monitor to find the server gone (outputs: ${outputs.join('; ')})`,
    o.heartbeatMs + 3000,
  );
  await proxy.heal();
  await readyUntil(app, name, passes, ttlMs + timeoutMs + 2000);

  proxy.blackhole();
  traffic.restart();
  const acceptedBefore = proxy.accepted;
  for (let run = 1; run <= 4; run++) {
    await sleep(ttlMs + 20);
    const { code, entry, ms } = await ready(app, name);
    expect(code).toBe(503);
    expect(entry).toMatchObject({ status: 'fail', output: `timed out after ${timeoutMs} ms` });
    // Bounded by the timeout, with room for a loaded machine and the HTTP round trip.
    expect(ms).toBeLessThan(timeoutMs + 1000);
    await until(
      idle(traffic),
      () => `nothing outstanding after run ${run}: ${JSON.stringify(traffic.outstanding)}`,
    );
  }
  expect(traffic.maxPings).toBeLessThanOrEqual(1);
  expect(traffic.maxCheckedOut).toBeLessThanOrEqual(1);
  // Connections the pool was opening for a check that gave up are left to it: it opens at most
  // maxConnecting at once (whoever asks), each ending at its connectTimeoutMS. That is all the
  // black hole collects, however many runs it lasts.
  expect(proxy.accepted - acceptedBefore).toBeLessThanOrEqual(o.maxConnecting);

  // A black hole drops bytes: connections that lived through it end with the network.
  await proxy.refuse();
  await proxy.heal();
  const started = performance.now();
  const own = await request(app.getHttpServer()).get(o.query);
  expect(own.status).toBe(200);
  expect(own.body).toMatchObject({ name: 'first' });
  expect(performance.now() - started).toBeLessThan(timeoutMs + 1000);
  await readyUntil(app, name, passes, ttlMs + timeoutMs + 2000);
}
