import { describe, it } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo } from 'node:net';

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
 * `describe` for tests that need a server (or several). Unreachable: under CI=true, a failing
 * test saying so; elsewhere the block is skipped, with the reason printed.
 */
export async function describeWithServer(
  names: ServerName | readonly ServerName[],
  title: string,
  body: () => void,
): Promise<void> {
  const all = typeof names === 'string' ? [names] : names;
  const missing: ServerName[] = [];
  for (const server of all) if (!(await reachable(endpoint(server)))) missing.push(server);
  if (missing.length === 0) {
    describe(title, body);
    return;
  }
  const name = missing[0];
  const address = endpoint(name);
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
  // Skipped on purpose, outside CI only: the server is not running here (the reason is in the title).
  describe.skip(`${title} (skipped: ${reason})`, body);
}

/**
 * Servers the tests start themselves, each its own instance on a free port, from a binary here;
 * and the browser the status page's suite drives (Debian's `chromium`).
 */
export type BinaryName =
  | 'memcached'
  | 'prometheus-blackbox-exporter'
  | 'redis-server'
  | 'python3-mockupdb'
  | 'promtool'
  | 'haproxy'
  | 'chromium';

/** How to tell that a server can be run: `<binary> --version`, unless said here. */
const PRESENCE: Partial<Record<BinaryName, [command: string, args: string[]]>> = {
  // A Python module (MongoDB's wire-protocol server), for Debian's own interpreter.
  'python3-mockupdb': ['/usr/bin/python3', ['-c', 'import mockupdb']],
  // haproxy answers `--version` with its usage and status 1.
  haproxy: ['haproxy', ['-v']],
};

/** The Debian package of a binary whose name is not its package's. */
const PACKAGES: Partial<Record<BinaryName, string>> = { promtool: 'prometheus' };

/** Whether a binary can be run here. */
export function hasBinary(binary: BinaryName): boolean {
  const [command, args] = PRESENCE[binary] ?? [binary, ['--version']];
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

/**
 * `describe` for tests that start a server of their own from `binary`. Missing: under CI=true, a
 * failing test saying so (`.ci/run` installs it); elsewhere the block is skipped, with the reason.
 */
export function describeWithBinary(binary: BinaryName, title: string, body: () => void): void {
  if (hasBinary(binary)) {
    describe(title, body);
    return;
  }
  const reason = `the "${binary}" binary is not installed (Debian package ${PACKAGES[binary] ?? binary}; .ci/run installs it)`;
  if (process.env.CI === 'true') {
    describe(title, () => {
      it(`needs ${binary}`, () => {
        throw new Error(`${reason}; CI=true requires it`);
      });
    });
    return;
  }
  console.warn(`Skipping "${title}": ${reason}`);
  // Skipped on purpose, outside CI only: the binary is not installed here (the reason is in the title).
  describe.skip(`${title} (skipped: ${reason})`, body);
}

/** A free TCP port on the loopback, to start a server on. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A server process the test started, and how to stop it (only it). */
export interface OwnServer {
  port: number;
  stop(): Promise<void>;
}

/** Starts a memcached of the test's own on a free loopback port; resolves once it accepts. */
export async function startMemcached(): Promise<OwnServer> {
  const port = await freePort();
  const args = ['-p', String(port), '-U', '0', '-l', '127.0.0.1', '-m', '16'];
  // memcached refuses to run as root unless told which user to be.
  if (process.getuid?.() === 0) args.push('-u', 'root');
  const child: ChildProcess = spawn('memcached', args, { stdio: 'ignore' });
  const exited = once(child, 'exit');
  const deadline = Date.now() + 5000;
  while (!(await reachable({ host: '127.0.0.1', port }))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`memcached did not start on port ${port} (exit code ${child.exitCode})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
