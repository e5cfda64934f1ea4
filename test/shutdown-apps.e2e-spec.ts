import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import './support/dist.js';
import { nestRelease, nestUnderTest } from './support/nest-release.js';

/**
 * Several applications in one process (as e2e suites and an HTTP app beside a queue worker have
 * them), sent SIGTERM as the kubelet sends it: each gets its whole delay and runs every hook, and
 * the process exits 0 only once the last of them has closed.
 */
const FIXTURE = fileURLToPath(new URL('./fixtures/shutdown-apps.mjs', import.meta.url));

interface Apps {
  child: ChildProcess;
  ports: Record<string, number | undefined>;
  /** The @nestjs/core release the process runs. */
  nest: string;
  /** When `DESTROY <name>` or `CLOSED <name>` was printed. */
  at: (event: 'DESTROY' | 'CLOSED', name: string) => number | undefined;
  /** HealthModule's log lines. */
  logs: () => string;
  exited: Promise<{ code: number | null; at: number }>;
}

let running: Apps | undefined;

afterEach(() => {
  if (running?.child.exitCode === null) running.child.kill('SIGKILL');
  running = undefined;
});

function launch(apps: string): Promise<Apps> {
  const child = spawn(process.execPath, [...nestUnderTest(), FIXTURE], {
    env: { ...process.env, APPS: apps },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const printed = { out: '', err: '' };
  child.stdout!.on('data', (chunk: Buffer) => (printed.out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (printed.err += chunk.toString()));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.on('exit', (code) => resolve({ code, at: Date.now() })),
  );
  const at = (event: string, name: string) => {
    const match = new RegExp(`^${event} ${name} (\\d+)$`, 'm').exec(printed.out);
    return match ? Number(match[1]) : undefined;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no READY within 10 s\n${printed.out}\n${printed.err}`)),
      10_000,
    );
    child.stdout!.on('data', () => {
      const ready = /READY (\{.*\})/.exec(printed.out);
      if (!ready) return;
      clearTimeout(timer);
      const { ports, nest } = JSON.parse(ready[1]) as Pick<Apps, 'ports' | 'nest'>;
      if (nest !== nestRelease())
        reject(new Error(`runs @nestjs/core ${nest}, not ${nestRelease()}`));
      resolve({ child, ports, nest, at, logs: () => printed.err, exited });
    });
    child.on('exit', (code) =>
      reject(new Error(`exited with ${code} at start\n${printed.out}\n${printed.err}`)),
    );
  });
}

/** Resolves with what `read` gives once it is defined, polling for at most `ms`. */
async function until<T>(read: () => T | undefined, what: string, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const live = async (port: number) =>
  (await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => undefined))?.status;

/**
 * Sends SIGTERM, and checks that each app ran its hooks after its own delay, that the app with
 * the longer delay kept serving after the other had closed, and that the process exited 0 once
 * the last had closed.
 */
async function shutDown(apps: Apps, delays: Record<string, number>): Promise<void> {
  const [first, last] = Object.keys(delays).toSorted((a, b) => delays[a] - delays[b]);
  const signalledAt = Date.now();
  apps.child.kill('SIGTERM');
  await until(() => apps.at('CLOSED', first), `${first} did not close`);
  const lastPort = apps.ports[last];
  if (lastPort !== undefined) expect(await live(lastPort)).toBe(200);
  const exit = await apps.exited;
  expect(exit.code).toBe(0);
  for (const [name, delayMs] of Object.entries(delays)) {
    // The whole delay passed before the app's hooks ran.
    const destroyedAfter = apps.at('DESTROY', name)! - signalledAt;
    expect({ name, delayed: destroyedAfter >= delayMs - 50 }).toEqual({ name, delayed: true });
    expect(apps.at('CLOSED', name)).toBeLessThanOrEqual(exit.at);
  }
  expect(apps.at('CLOSED', first)).toBeLessThan(apps.at('DESTROY', last)!);
}

describe('several applications in one process, through a SIGTERM', () => {
  it('each handed over gets its whole delay and hooks; the process exits 0 after the last', async () => {
    running = await launch('a:http:library:300,b:http:library:2500');
    await shutDown(running, { a: 300, b: 2500 });
  });

  it('each closed by Nest’s handler gets its whole delay and hooks (NestJS 12)', async () => {
    running = await launch('a:http:nest:300,b:http:nest:2500');
    if (running.nest.startsWith('11.')) {
      await closedAtOnce(running, ['a', 'b']);
      return;
    }
    await shutDown(running, { a: 300, b: 2500 });
  });

  it('a microservice and a standalone context, handed over, each get theirs', async () => {
    running = await launch('m:microservice:library:1200,c:context:library:400');
    await shutDown(running, { c: 400, m: 1200 });
  });

  it('ends the delays at a second SIGTERM, running every hook all the same', async () => {
    running = await launch('a:http:library:8000,b:http:nest:8000');
    const signalledAt = Date.now();
    running.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    running.child.kill('SIGTERM');
    const exit = await running.exited;
    expect(exit.code).toBe(0);
    expect(exit.at - signalledAt).toBeLessThan(4000);
    expect([running.at('CLOSED', 'a'), running.at('CLOSED', 'b')]).toEqual([
      expect.any(Number),
      expect.any(Number),
    ]);
  });
});

/**
 * NestJS 11 with enableShutdownHooks(): Nest closes each app at once, which start-up and the
 * shutdown log say, without promising a delay; every hook runs, and the process exits 0.
 */
async function closedAtOnce(apps: Apps, names: string[]): Promise<void> {
  await until(
    () => /closes the application as soon as the signal arrives/.test(apps.logs()) || undefined,
    'no start-up warning',
  );
  const signalledAt = Date.now();
  apps.child.kill('SIGTERM');
  const exit = await apps.exited;
  expect(exit.code).toBe(0);
  for (const name of names) {
    expect(apps.at('DESTROY', name)! - signalledAt).toBeLessThan(500);
    expect(apps.at('CLOSED', name)).toBeLessThanOrEqual(exit.at);
    expect(apps.logs()).toContain(
      `${name} log SIGTERM: readiness now fails, but Nest closes the application at once`,
    );
  }
  expect(apps.logs()).not.toMatch(/closing in \d+ ms/);
}
