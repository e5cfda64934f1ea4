import { describe, it } from '@jest/globals';
import { connect } from 'node:net';

/**
 * The real servers the integration tests talk to: addresses from env vars, loopback defaults.
 * With CI=true a missing server fails the run; otherwise its tests skip, saying why.
 */
export const SERVERS = {
  postgres: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  mysql: process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
  redis: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  amqp: process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  nats: process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222',
  mqtt: process.env.TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883',
} as const;

export type ServerName = keyof typeof SERVERS;

/** Host and port of a server's URL. */
export function endpoint(name: ServerName): { host: string; port: number } {
  const url = new URL(SERVERS[name]);
  return { host: url.hostname, port: Number(url.port) };
}

/** The server's URL with its host and port replaced, to go through a proxy. */
export function via(name: ServerName, port: number, host = '127.0.0.1'): string {
  const url = new URL(SERVERS[name]);
  url.hostname = host;
  url.port = String(port);
  return url.toString();
}

function reachable({ host, port }: { host: string; port: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true)).once('error', () => done(false));
  });
}

/**
 * `describe` for tests that need a server. Unreachable: under CI=true, a failing test saying so;
 * elsewhere the block is skipped, with the reason printed.
 */
export async function describeWithServer(
  name: ServerName,
  title: string,
  body: () => void,
): Promise<void> {
  const address = endpoint(name);
  if (await reachable(address)) {
    describe(title, body);
    return;
  }
  const reason = `${name} is not reachable at ${address.host}:${address.port} (set TEST_${name.toUpperCase()}_URL)`;
  if (process.env.CI === 'true') {
    describe(title, () => {
      it(`needs ${name}`, () => {
        throw new Error(`${reason}; CI=true requires it`);
      });
    });
    return;
  }
  console.warn(`Skipping "${title}": ${reason}`);
  // Skipped on purpose, with the reason above: the server is not running here.
  describe.skip(title, body);
}
