import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import amqp from 'amqplib';
import request from 'supertest';
import { MicroserviceClientHealthIndicator, RabbitMqHealthIndicator } from '../lib/index.js';
import { createTestApp } from './support/app.js';
import { CHANNEL_CLOSE_TEXT, FakeAmqp } from './support/fake-amqp.js';

/**
 * A broker that closes each channel as it opens it, Channel.OpenOk and Channel.Close in one write.
 * amqplib reads both in the same tick, before `createChannel()` resolves: a channel with no
 * `error` listener by then has its error turned into an error of the whole connection, which
 * amqplib closes (or which crashes the process, when nothing listens to the connection). The
 * indicators that open a channel of their own on the app's connection (RabbitMQ, and the
 * microservice indicators over RMQ) fail their check; the app's connection is left alone.
 */

const AMQP = Symbol('AMQP');
const CLOSED = `Channel closed by server: 406 (PRECONDITION-FAILED) with message "${CHANNEL_CLOSE_TEXT}"`;

/** GET /health/ready over HTTP: its status code, and the entry of check `name`. */
async function ready(app: INestApplication, name: string) {
  const response = await request(app.getHttpServer()).get('/health/ready');
  const entry = response.body.checks?.[`${name}:responseTime`]?.[0];
  return { status: response.status, entry };
}

describe('a broker that closes each channel as it opens it', () => {
  let fake: FakeAmqp;
  let connection: amqp.ChannelModel;
  /** What the app's connection went through. */
  const heard: string[] = [];
  let app: INestApplication;

  beforeAll(async () => {
    fake = await new FakeAmqp().start();
    connection = await amqp.connect(fake.url);
    connection.on('error', (error: Error) => heard.push(`error: ${error.message}`));
    connection.on('close', () => heard.push('close'));
    // What a Nest RMQ ClientProxy unwraps to: amqp-connection-manager, its amqplib connection
    // under `connection`.
    const manager = { isConnected: () => true, createChannel: () => undefined, connection };
    const orders = {
      connect: async () => undefined,
      unwrap: () => manager,
      send: () => ({ subscribe: () => ({ unsubscribe: () => undefined }) }),
    };
    app = await createTestApp({
      providers: [
        { provide: AMQP, useValue: connection },
        { provide: 'ORDERS', useValue: orders },
        RabbitMqHealthIndicator.register({ client: AMQP, cacheTtlMs: 0 }),
        MicroserviceClientHealthIndicator.register({
          client: 'ORDERS',
          name: 'orders',
          cacheTtlMs: 0,
        }),
      ],
    });
  });

  afterAll(async () => {
    await app?.close();
    await connection?.close().catch(() => undefined);
    await fake?.stop();
  });

  it('fails the RabbitMQ check, run after run, and leaves the app’s connection open', async () => {
    const runs = [await ready(app, 'rabbitmq'), await ready(app, 'rabbitmq')];
    expect(heard).toEqual([]);
    for (const { status, entry } of runs) {
      expect(status).toBe(503);
      expect(entry).toMatchObject({ status: 'fail', output: CLOSED });
    }
  });

  it('fails the microservice check over RMQ the same way', async () => {
    const { status, entry } = await ready(app, 'orders');
    expect(heard).toEqual([]);
    expect(status).toBe(503);
    expect(entry).toMatchObject({ status: 'fail', output: CLOSED });
    expect(fake.channelsClosed).toBeGreaterThanOrEqual(3);
  });
});
