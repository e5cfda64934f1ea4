import { afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { firstValueFrom, timeout } from 'rxjs';
import './support/dist.js';
import { rawGet } from './support/http.js';
import { nestRelease, nestUnderTest } from './support/nest-release.js';
import { freePort, SERVERS } from './support/servers.js';

/**
 * Every kind of Nest app with the probe server, in a process of its own, sent SIGTERM as the
 * kubelet sends it: readiness fails at once on the probe server while liveness passes, the app
 * keeps working for the delay, a microservice stops taking messages before any hook runs, and the
 * process exits 0. Where Nest's own handler closes the app at once (enableShutdownHooks() without
 * an HTTP server, or on NestJS 11), start-up and the shutdown log say so.
 */
const FIXTURE = fileURLToPath(new URL('./fixtures/probe-server-app.mjs', import.meta.url));
const DELAY_MS = 1200;

interface Running {
  child: ChildProcess;
  ports: { probePort: number; appPort?: number; transportPort?: number; nest: string };
  /** What HealthModule logged (`log ...`, `warn ...`, `error ...` lines). */
  logs: () => string;
  /** Lines with their time, as the app printed them: `HANDLED <ms>`, `DESTROY <ms>`. */
  events: () => { name: string; at: number }[];
  exited: Promise<number | null>;
}

// Each test starts an app in a child process, which a loaded machine can take a while to start.
jest.setTimeout(60_000);

beforeAll(() => {
  // The microservice clients of this suite log their connections through Nest's Logger.
  Logger.overrideLogger(false);
});

let running: Running | undefined;
let client: ClientProxy | undefined;
/** A process whose start-up fails, and the server holding the port its app wanted. */
let failing: ChildProcess | undefined;
let taken: Server | undefined;

afterEach(async () => {
  await client?.close();
  client = undefined;
  if (running?.child.exitCode === null) running.child.kill('SIGKILL');
  running = undefined;
  if (failing?.exitCode === null) failing.kill('SIGKILL');
  failing = undefined;
  taken?.close();
  taken = undefined;
});

/** The fixture in a process of its own: what it prints, and how it ends. */
function spawnApp(env: Record<string, string>) {
  const child = spawn(process.execPath, [...nestUnderTest(), FIXTURE], {
    env: { ...process.env, DELAY_MS: String(DELAY_MS), REDIS_URL: SERVERS.redis, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const printed = { out: '', err: '' };
  child.stdout!.on('data', (chunk: Buffer) => (printed.out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (printed.err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, printed, exited };
}

function launch(env: Record<string, string>): Promise<Running> {
  const { child, printed, exited } = spawnApp(env);
  const events = () =>
    printed.out
      .split('\n')
      .map((line) => /^(HANDLED|DESTROY) (\d+)$/.exec(line))
      .filter((match) => match !== null)
      .map((match) => ({ name: match![1], at: Number(match![2]) }));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no READY within 30 s\n${printed.out}\n${printed.err}`)),
      // A bound on start-up, which this suite does not measure: generous for a loaded machine.
      30_000,
    );
    child.stdout!.on('data', () => {
      const ready = /READY (\{.*\})/.exec(printed.out);
      if (ready) {
        clearTimeout(timer);
        resolve({ child, ports: JSON.parse(ready[1]), logs: () => printed.err, events, exited });
      }
    });
    child.on('exit', (code) =>
      reject(new Error(`exited with ${code} at start\n${printed.out}\n${printed.err}`)),
    );
  });
}

async function status(port: number, path: string) {
  const response = await rawGet(port, { path });
  return { status: response.status, body: response.body as { status: string; output?: string } };
}

async function until(read: () => Promise<{ status: number }>, wanted: number, ms = 5000) {
  const deadline = Date.now() + ms;
  while ((await read()).status !== wanted) {
    if (Date.now() > deadline) throw new Error(`never answered ${wanted}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Sends `ping` every 50 ms until stopped; resolves with when each was answered. */
function pinging(proxy: ClientProxy) {
  const answered: number[] = [];
  const state = { going: true };
  const loop = (async () => {
    while (state.going) {
      const sent = Date.now();
      try {
        await firstValueFrom(proxy.send('ping', {}).pipe(timeout(300)));
        answered.push(sent);
      } catch {
        // Refused, or not answered: the server has stopped taking messages.
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    answered,
    stop: async () => {
      state.going = false;
      await loop;
    },
  };
}

const NEST = nestRelease();
const NEST11 = NEST.startsWith('11.');

const KINDS = [
  { kind: 'http', transport: undefined, shutdown: 'library' },
  { kind: 'hybrid', transport: 'tcp', shutdown: 'nest' },
  { kind: 'microservice', transport: 'tcp', shutdown: 'library' },
  // NestJS 11's Redis server leaves the rejection of a message answered while it closes unhandled
  // (ioredis: "Connection is closed"), which ends the process with code 1; 12 handles it.
  ...(NEST11 ? [] : [{ kind: 'microservice', transport: 'redis', shutdown: 'library' } as const]),
  { kind: 'context', transport: undefined, shutdown: 'library' },
  { kind: 'microservice', transport: 'tcp', shutdown: 'nest' },
  { kind: 'context', transport: undefined, shutdown: 'nest' },
] as const;

/**
 * Whether the delay holds the hooks back: always when the library closes the app; with Nest's
 * handler, only through the HTTP adapter's beforeClose(), which NestJS 12 awaits and 11 does not.
 */
const holds = (setup: (typeof KINDS)[number]) =>
  setup.shutdown === 'library' ||
  (setup.kind !== 'microservice' && setup.kind !== 'context' && !NEST11);

describe('the probe server in every kind of app, through a SIGTERM', () => {
  it.each(KINDS)('$kind app, transport $transport, closed by $shutdown', async (setup) => {
    const { kind, shutdown, transport } = setup;
    running = await launch({ KIND: kind, SHUTDOWN: shutdown, TRANSPORT: transport ?? 'tcp' });
    const { probePort, transportPort, nest } = running.ports;
    expect(nest).toBe(NEST);
    await until(() => status(probePort, '/health/ready'), 200);
    if (!holds(setup)) {
      await closesAtOnce(running);
      return;
    }

    let pings: ReturnType<typeof pinging> | undefined;
    if (transport) {
      client = ClientProxyFactory.create(
        transport === 'tcp'
          ? { transport: Transport.TCP, options: { host: '127.0.0.1', port: transportPort! } }
          : { transport: Transport.REDIS, options: redisOptions() },
      );
      await client.connect();
      pings = pinging(client);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const signalledAt = Date.now();
    running.child.kill('SIGTERM');
    // Readiness fails at once; liveness holds: the kubelet must not restart a draining pod.
    await until(() => status(probePort, '/health/ready'), 503, 500);
    expect((await status(probePort, '/health/ready')).body.output).toBe('shutting down');
    expect((await status(probePort, '/health/live')).status).toBe(200);

    const code = await running.exited;
    await pings?.stop();
    expect(code).toBe(0);
    const destroyed = running.events().find((event) => event.name === 'DESTROY')!;
    // The whole delay passed before the hooks ran.
    expect(destroyed.at - signalledAt).toBeGreaterThanOrEqual(DELAY_MS - 50);
    if (pings) {
      // Messages were taken through the delay, and none once the hooks began (NestJS 11's TCP
      // server stops listening when closed, but serves the connections it has until the process
      // exits).
      expect(pings.answered.some((sent) => sent > signalledAt + DELAY_MS / 2)).toBe(true);
      const handled = running.events().filter((event) => event.name === 'HANDLED');
      if (!NEST11) expect(handled.every((event) => event.at < destroyed.at)).toBe(true);
    }
    expect(running.logs()).not.toMatch(/^warn /m);
  });

  it('says at start-up when nothing closes the app, and exits 1 after the delay without its hooks', async () => {
    running = await launch({ KIND: 'http', SHUTDOWN: 'none' });
    const { probePort } = running.ports;
    await logged(
      running,
      /^warn Nothing closes this application on SIGTERM: .*app\.get\(HealthService\)\.handleShutdown\(app\)/m,
    );
    await until(() => status(probePort, '/health/ready'), 200);
    const signalledAt = Date.now();
    running.child.kill('SIGTERM');
    await until(() => status(probePort, '/health/ready'), 503, 500);
    const code = await running.exited;
    expect(code).toBe(1);
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(DELAY_MS);
    expect(running.logs()).toMatch(
      /^error SIGTERM: nothing closed the application after the shutdown delay/m,
    );
    expect(running.events().filter((event) => event.name === 'DESTROY')).toEqual([]);
  });
});

/** Resolves once the app has logged a line matching `pattern` (start-up warnings come a turn later). */
async function logged(app: Running, pattern: RegExp, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pattern.test(app.logs())) {
    if (Date.now() > deadline) throw new Error(`never logged ${pattern}:\n${app.logs()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Nest's own handler closes the app as soon as the signal arrives: start-up warned, and the
 * shutdown log promises no delay.
 */
async function closesAtOnce(app: Running): Promise<void> {
  await logged(
    app,
    /^warn app\.enableShutdownHooks\(\) .* closes the application as soon as the signal arrives.*handleShutdown\(app\)/m,
  );
  const signalledAt = Date.now();
  app.child.kill('SIGTERM');
  expect(await app.exited).toBe(0);
  const destroyed = app.events().find((event) => event.name === 'DESTROY')!;
  expect(destroyed.at - signalledAt).toBeLessThan(DELAY_MS);
  expect(app.logs()).toMatch(
    /^log SIGTERM: readiness now fails, but Nest closes the application at once/m,
  );
  expect(app.logs()).not.toMatch(/closing in \d+ ms/);
}

function redisOptions() {
  const url = new URL(SERVERS.redis);
  return { host: url.hostname, port: Number(url.port || 6379) };
}

/** Resolves with `promise`, or fails saying what did not happen within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

interface Answer {
  /** 0: refused. */
  status: number;
  output?: string;
}

/** Asks the probe server for `ready` every 20 ms until `done(answers)`, for at most `ms`. */
async function pollReady(port: number, done: (answers: Answer[]) => boolean, ms = 8000) {
  const answers: Answer[] = [];
  const deadline = Date.now() + ms;
  while (!done(answers) && Date.now() < deadline) {
    const answer = await status(port, '/health/ready').catch(() => undefined);
    answers.push({ status: answer?.status ?? 0, output: answer?.body?.output });
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return answers;
}

/** A port in use on the loopback, as another process would hold it. */
async function takenPort(): Promise<number> {
  taken = createServer();
  await new Promise<void>((resolve) => taken!.listen(0, '127.0.0.1', resolve));
  return (taken.address() as AddressInfo).port;
}

describe('the probe server of an app whose start-up fails', () => {
  it('lets the process end, as it would without it, when a provider’s onModuleInit throws', async () => {
    const app = spawnApp({ KIND: 'http', FAIL: 'init' });
    failing = app.child;
    const code = await within(app.exited, 8000, 'the process did not end');
    expect([code, app.printed.out]).toEqual([0, 'FAILED the database refused the connection\n']);
  });

  it('never answers ready when the app cannot listen, and lets the process end', async () => {
    const probePort = await freePort();
    const app = spawnApp({
      KIND: 'http',
      FAIL: 'listen',
      APP_PORT: String(await takenPort()),
      PROBE_PORT: String(probePort),
      WAIT_MS: '300',
    });
    failing = app.child;
    const answers = pollReady(probePort, () => app.child.exitCode !== null);
    const code = await within(app.exited, 8000, 'the process did not end');
    expect(code).toBe(0);
    expect(app.printed.out).toMatch(/^FAILED listen EADDRINUSE/);
    // It answered (503 starting) until the app failed to listen, and never 200.
    expect((await answers).some((answer) => answer.status === 503)).toBe(true);
    expect((await answers).filter((answer) => answer.status === 200)).toEqual([]);
  });

  it('closes when the app cannot listen, though something else keeps the process alive', async () => {
    const probePort = await freePort();
    const app = spawnApp({
      KIND: 'http',
      FAIL: 'listen',
      HOLD: 'true',
      APP_PORT: String(await takenPort()),
      PROBE_PORT: String(probePort),
      WAIT_MS: '300',
    });
    failing = app.child;
    // Polled until refused after the failure: as the app's own port is, so the kubelet restarts
    // the pod as it would without the probe server.
    let failedAt: number | undefined;
    const answers = await pollReady(probePort, (so) => {
      if (failedAt === undefined && app.printed.out.includes('FAILED')) failedAt = so.length;
      return failedAt !== undefined && so.slice(failedAt).some((answer) => answer.status === 0);
    });
    expect(app.printed.out).toMatch(/^FAILED listen EADDRINUSE/);
    expect(answers.some((answer) => answer.status === 503)).toBe(true);
    expect(answers.filter((answer) => answer.status === 200)).toEqual([]);
    expect(answers.at(-1)).toEqual({ status: 0 });
    expect(app.child.exitCode).toBeNull();
  });
});
